package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/auth"
	"roster/store"
)

// tokensJSON answers a successful sign-up, sign-in or refresh.
type tokensJSON struct {
	UID              string `json:"uid"`
	Token            string `json:"token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	if !s.signupEnabled {
		return roster.Errorf(roster.KindForbidden, "sign-up is disabled on this server: ask an organization's owner for an invitation")
	}
	f, err := readStrings(w, r, []string{"email", "password", "display_name"}, "platform_link")
	if err != nil {
		return err
	}
	link, err := roster.ParsePlatformLink(f["platform_link"])
	if err != nil {
		return err
	}
	email, err := roster.ParseEmail("email", f["email"])
	if err != nil {
		return err
	}
	name, err := roster.ParseDisplayName("display_name", f["display_name"])
	if err != nil {
		return err
	}
	if err := auth.CheckPassword(f["password"]); err != nil {
		return err
	}
	hash, err := auth.HashPassword(f["password"], s.passwordParams)
	if err != nil {
		return err
	}
	a, err := s.store.CreateAccount(r.Context(), store.NewAccount{Email: email, DisplayName: name, PasswordHash: hash,
		Verification: verification(email, link)})
	if err != nil {
		return err
	}
	s.mail.Notify()
	return s.openSession(w, r, a.UID, http.StatusCreated)
}

// verification makes the token that proves an account owns email, and
// the mail that carries it.
func verification(email, link string) *store.EmailVerification {
	token, hash := auth.NewVerificationToken()
	return &store.EmailVerification{TokenHash: hash, ExpiresAt: time.Now().Add(roster.DefaultVerificationTTL),
		Mail: roster.VerificationMail(email, link, token)}
}

func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"token"})
	if err != nil {
		return err
	}
	if err := s.store.VerifyEmail(r.Context(), auth.HashToken(f["token"])); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Email address verified."})
	return nil
}

func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, nil, "platform_link")
	if err != nil {
		return err
	}
	link, err := roster.ParsePlatformLink(f["platform_link"])
	if err != nil {
		return err
	}
	// The address is the account's own, filled in by the store.
	if err := s.store.ResendVerification(r.Context(), principal(r).AccountUID, *verification("", link)); err != nil {
		if roster.KindOf(err) == roster.KindThrottled {
			w.Header().Set("Retry-After", strconv.Itoa(int(store.ResendEvery/time.Second)))
		}
		return err
	}
	s.mail.Notify()
	writeJSON(w, http.StatusOK, message{"Verification mail sent."})
	return nil
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"email", "password"})
	if err != nil {
		return err
	}
	uid, err := s.throttledCheck(w, r, f["email"], f["password"])
	if err != nil {
		return err
	}
	return s.openSession(w, r, uid, http.StatusOK)
}

// throttledCheck checks an email and password under the sign-in throttle
// and returns the account's uid.
func (s *Server) throttledCheck(w http.ResponseWriter, r *http.Request, email, password string) (string, error) {
	ctx := r.Context()
	keys := []store.ThrottleKey{
		{Key: "account:" + roster.EmailKey(email)},
		{Key: "addr:" + s.clientAddr(r), PerAddress: true},
	}
	wait, err := s.store.ClaimSignIn(ctx, time.Now(), keys...)
	if err != nil {
		return "", err
	}
	if wait > 0 {
		return "", tooManyAttempts(w, wait)
	}
	uid, err := s.checkPassword(ctx, email, password)
	if err != nil {
		return "", err
	}
	return uid, s.store.SignInSucceeded(ctx, keys[0].Key, keys[1].Key)
}

// checkPassword returns the uid of the account with this email and
// password, or store.ErrWrongCredentials; a deactivated account, once its
// password is right, is store.ErrDeactivated. An unknown email costs as much
// time as a wrong password, so that timing does not tell them apart.
func (s *Server) checkPassword(ctx context.Context, email, password string) (string, error) {
	uid, hash, active, err := s.store.PasswordHash(ctx, email)
	if errors.Is(err, store.ErrWrongCredentials) {
		auth.VerifyAbsent(password)
		return "", err
	}
	if err != nil {
		return "", err
	}
	ok, err := auth.VerifyPassword(hash, password)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", store.ErrWrongCredentials
	}
	if !active {
		return "", store.ErrDeactivated
	}
	return uid, nil
}

func tooManyAttempts(w http.ResponseWriter, wait time.Duration) error {
	secs := int64((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	return roster.Errorf(roster.KindThrottled, "too many failed sign-ins: try again in %d seconds", secs)
}

// openSession starts a sign-in session for an account and answers with
// its tokens.
func (s *Server) openSession(w http.ResponseWriter, r *http.Request, accountUID string, status int) error {
	t := time.Now()
	refresh, hash := auth.NewRefreshToken()
	ss := store.SignInSession{UID: roster.NewUID(t), AccountUID: accountUID, RefreshHash: hash,
		ExpiresAt: t.Add(s.refreshTTL), RemoteAddr: s.clientAddr(r), UserAgent: truncate(r.UserAgent(), 200)}
	if err := s.store.OpenSession(r.Context(), ss); err != nil {
		return err
	}
	return s.writeTokens(w, accountUID, ss.UID, refresh, status)
}

func (s *Server) writeTokens(w http.ResponseWriter, accountUID, sessionUID, refresh string, status int) error {
	token, err := s.tokens.Issue(accountUID, sessionUID, time.Now())
	if err != nil {
		return err
	}
	writeJSON(w, status, tokensJSON{UID: accountUID, Token: token, TokenType: "Bearer",
		ExpiresIn: int64(s.tokens.TTL() / time.Second), RefreshToken: refresh,
		RefreshExpiresIn: int64(s.refreshTTL / time.Second)})
	return nil
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"refresh_token"})
	if err != nil {
		return err
	}
	refresh, hash := auth.NewRefreshToken()
	accountUID, sessionUID, err := s.store.RotateRefresh(r.Context(), auth.HashToken(f["refresh_token"]), hash,
		time.Now().Add(s.refreshTTL))
	if err != nil {
		return err
	}
	return s.writeTokens(w, accountUID, sessionUID, refresh, http.StatusOK)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.SessionUID == "" {
		return invalid("logout ends a Roster sign-in session: send the bearer token Roster issued, not an API key or another provider's token")
	}
	if err := s.store.CloseSession(r.Context(), p.SessionUID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Signed out."})
	return nil
}

type meJSON struct {
	Clients       []ownClientJSON `json:"clients"`
	UID           string          `json:"uid"`
	Email         string          `json:"email"`
	DisplayName   string          `json:"display_name"`
	HasPassword   bool            `json:"has_password"`
	EmailVerified bool            `json:"email_verified"`
	Organization  *membershipJSON `json:"organization"`
}

type membershipJSON struct {
	UID         string `json:"uid"`
	CompanyName string `json:"company_name"`
	Role        string `json:"role"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	a, m, err := s.store.Me(r.Context(), principal(r).AccountUID)
	if err != nil {
		return err
	}
	out := meJSON{UID: a.UID, Email: a.Email, DisplayName: a.DisplayName, HasPassword: a.HasPassword,
		EmailVerified: a.EmailVerified}
	if m != nil {
		out.Organization = &membershipJSON{UID: m.OrgUID, CompanyName: m.CompanyName, Role: m.Role}
	}
	if out.Clients, err = s.ownClients(r); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// truncate cuts s to at most n bytes of valid UTF-8, for free text that
// the client sends, such as its User-Agent.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "")
}
