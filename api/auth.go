package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"roster"
	"roster/auth"
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

// signup starts a sign-up: the answer is the same 202 whether or not the
// address has an account, and the mail says which case it is. Nothing is
// created until the mailed code comes back with the password (verifyEmail).
func (s *Server) signup(w http.ResponseWriter, r *http.Request) error {
	f, link, err := s.readStringsWithLink(w, r, "email", "password", "display_name")
	if err != nil {
		return err
	}
	if err := s.SignUp(r, f["email"], f["display_name"], f["password"], link); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, message{"Check your email: it holds a code that finishes signing up, with your password."})
	return nil
}

// ErrSignUpDisabled refuses a sign-up on a server that takes none.
var ErrSignUpDisabled = roster.Errorf(roster.KindForbidden, "sign-up is disabled on this server: ask an organization's owner for an invitation")

// SignUp starts a sign-up, as POST /auth/signup does for the console too:
// it mails the address a code (in link, an allowed one, when given), or
// tells it that it has an account already, under the sign-up mail limits.
// Its error does not tell which case it was.
func (s *Server) SignUp(r *http.Request, email, displayName, password, link string) error {
	if !s.signupEnabled {
		return ErrSignUpDisabled
	}
	email, err := roster.ParseEmail("email", email)
	if err != nil {
		return err
	}
	name, err := roster.ParseDisplayName("display_name", displayName)
	if err != nil {
		return err
	}
	hash, err := s.hashNewPassword("password", password, email, name)
	if err != nil {
		return err
	}
	token, tok := s.emailToken(roster.SignUpTTL)
	err = s.store.StartSignUp(r.Context(), roster.SignUp{Email: email, DisplayName: name, PasswordHash: hash, Token: tok,
		Mail: roster.SignUpMail(email, link, token), ExistsMail: roster.ExistingAccountMail(email),
		ClientAddr: s.clientNet(r)}, s.limits)
	if err != nil {
		return err
	}
	s.mail.Notify()
	return nil
}

// SignUpEnabled reports whether the server takes sign-ups.
func (s *Server) SignUpEnabled() bool { return s.signupEnabled }

// hashNewPassword checks a new password (the request's field) against the
// rules and the person's own email and name, and hashes it.
func (s *Server) hashNewPassword(field, password, email, name string) (string, error) {
	if err := auth.CheckNewPassword(password, email, name); err != nil {
		return "", roster.FieldErrorf(field, "%s", strings.TrimPrefix(err.Error(), "password: "))
	}
	return auth.HashPassword(password, s.passwordParams)
}

// readStringsWithLink is readStrings with an optional platform_link, which
// must be on an origin that links in mail may point to.
func (s *Server) readStringsWithLink(w http.ResponseWriter, r *http.Request, required ...string) (map[string]string, string, error) {
	f, err := readStrings(w, r, required, "platform_link")
	if err != nil {
		return nil, "", err
	}
	link, err := s.linkOrigins.Check("platform_link", f["platform_link"])
	return f, link, err
}

// emailToken makes a code to mail and the token record that keeps its hash.
func (s *Server) emailToken(ttl time.Duration) (string, roster.EmailToken) {
	token, hash := auth.NewVerificationToken()
	return token, roster.EmailToken{Hash: hash, ExpiresAt: s.now().Add(ttl)}
}

// verifyEmail finishes a sign-up with the mailed code and the password
// chosen with it, and signs the person in.
func (s *Server) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"token", "password"})
	if err != nil {
		return err
	}
	uid, err := s.completeSignUp(r, f["token"], f["password"])
	if err != nil {
		return err
	}
	return s.openSignInSession(w, r, uid, http.StatusOK)
}

// completeSignUp finishes the sign-up of a mailed code and returns the
// account it made. The code alone is not enough: a victim who follows the
// link of a sign-up someone else made with their address would otherwise
// verify the address for them.
func (s *Server) completeSignUp(r *http.Request, token, password string) (string, error) {
	tokenHash := auth.HashToken(token)
	email, hash, err := s.store.SignUpPassword(r.Context(), tokenHash)
	if err != nil {
		return "", err
	}
	// Whoever holds a code (a forwarded mail, a leaked link) guesses its
	// password under the sign-in throttle of the address, like a sign-in.
	err = s.throttled(r, email, errWrongSignUpPassword, func() error {
		ok, err := auth.VerifyPassword(hash, password)
		if err == nil && !ok {
			err = errWrongSignUpPassword
		}
		return err
	})
	if err != nil {
		return "", err
	}
	return s.store.CompleteSignUp(r.Context(), tokenHash)
}

func (s *Server) resendVerification(w http.ResponseWriter, r *http.Request) error {
	_, link, err := s.readStringsWithLink(w, r)
	if err != nil {
		return err
	}
	if err := s.ResendVerification(r, principal(r).AccountUID, link); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Verification mail sent."})
	return nil
}

// ResendVerification mails an unverified account a new sign-up code, as
// POST /auth/verify-email/resend does for the console too, with link (an
// allowed one) when given.
func (s *Server) ResendVerification(r *http.Request, accountUID, link string) error {
	token, tok := s.emailToken(roster.SignUpTTL)
	// The address is the account's own, filled in by the store.
	if err := s.store.ResendVerification(r.Context(), accountUID, s.clientNet(r), tok,
		roster.SignUpMail("", link, token), s.limits); err != nil {
		return err
	}
	s.mail.Notify()
	return nil
}

// passwordReset mails a reset code to the account with the email, if
// there is one; the answer is the same 202 either way.
func (s *Server) passwordReset(w http.ResponseWriter, r *http.Request) error {
	f, link, err := s.readStringsWithLink(w, r, "email")
	if err != nil {
		return err
	}
	if err := s.StartPasswordReset(r, f["email"], link); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, message{"If an account has this email, a reset code is on its way to it."})
	return nil
}

// StartPasswordReset mails a reset code (in link, an allowed one, when
// given) to the account with the email, if there is one, as POST
// /auth/password-reset does for the console too. Its error does not tell
// whether there is.
func (s *Server) StartPasswordReset(r *http.Request, email, link string) error {
	email, err := roster.ParseEmail("email", email)
	if err != nil {
		return err
	}
	token, tok := s.emailToken(roster.PasswordResetTTL)
	err = s.store.StartPasswordReset(r.Context(), roster.PasswordReset{Email: email, Token: tok,
		Mail: roster.PasswordResetMail(email, link, token), ClientAddr: s.clientNet(r)}, s.limits)
	if err != nil {
		return err
	}
	s.mail.Notify()
	return nil
}

// confirmPasswordReset sets a new password with a mailed reset code,
// verifies the email, ends every session, and signs the person in.
func (s *Server) confirmPasswordReset(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"token", "new_password"})
	if err != nil {
		return err
	}
	uid, err := s.resetPassword(r, f["token"], f["new_password"])
	if err != nil {
		return err
	}
	return s.openSignInSession(w, r, uid, http.StatusOK)
}

// resetPassword sets a new password with a mailed reset code, verifies the
// email and ends every session of the account, whose uid it returns.
func (s *Server) resetPassword(r *http.Request, token, newPassword string) (string, error) {
	tokenHash := auth.HashToken(token)
	email, name, err := s.store.ResetAccount(r.Context(), tokenHash)
	if err != nil {
		return "", err
	}
	hash, err := s.hashNewPassword("new_password", newPassword, email, name)
	if err != nil {
		return "", err
	}
	return s.store.ResetPassword(r.Context(), tokenHash, hash)
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"email", "password"})
	if err != nil {
		return err
	}
	uid, err := s.throttledCheck(r, f["email"], f["password"])
	if err != nil {
		return err
	}
	return s.openSignInSession(w, r, uid, http.StatusOK)
}

// errWrongSignUpPassword refuses a sign-up code with another password than
// the one chosen with it.
var errWrongSignUpPassword = roster.Errorf(roster.KindForbidden, "password: not the password chosen when signing up with this code")

// throttledCheck checks an email and password under the sign-in throttle
// and returns the account's uid.
func (s *Server) throttledCheck(r *http.Request, email, password string) (uid string, err error) {
	err = s.throttled(r, email, roster.ErrWrongCredentials, func() (err error) {
		uid, err = s.checkPassword(r.Context(), email, password)
		return err
	})
	return uid, err
}

// throttled runs check, a password check for the account with email,
// under the sign-in throttle of that account and of the client's address
// (an IPv6 /64 is one address, since one host may use all of it): while
// either is blocked the answer is a 429, and when check fails with wrong,
// the failure counts towards the next block. Only failures count. In this
// process the checks of one account run one at a time, so that a burst of
// guesses meets the block its own first failures set (across processes a
// burst gets at most one extra guess per process), while a correct
// password is refused only by such a block, never because other attempts
// run beside it.
func (s *Server) throttled(r *http.Request, email string, wrong error, check func() error) error {
	ctx := r.Context()
	account := roster.ThrottleKey{Key: "account:" + roster.EmailKey(email)}
	keys := []roster.ThrottleKey{account, {Key: "addr:" + s.clientNet(r), PerAddress: true}}
	defer s.signInLocks.lock(account.Key)()
	wait, err := s.store.SignInWait(ctx, s.now(), keys...)
	if err != nil {
		return err
	}
	if wait > 0 {
		s.metrics.signInBlocked()
		return roster.Throttled(wait, "too many failed sign-ins")
	}
	err = check()
	if errors.Is(err, wrong) {
		s.metrics.signInFailed()
		if err := s.store.SignInFailed(ctx, s.now(), keys...); err != nil {
			return err
		}
		return wrong
	}
	if err != nil {
		return err
	}
	return s.store.SignInSucceeded(ctx, account.Key)
}

// checkPassword returns the uid of the account with this email and
// password, or roster.ErrWrongCredentials; a deactivated account, once its
// password is right, is roster.ErrDeactivated. An unknown email costs as much
// time as a wrong password, so that timing does not tell them apart.
func (s *Server) checkPassword(ctx context.Context, email, password string) (string, error) {
	uid, hash, active, err := s.store.PasswordHash(ctx, email)
	if errors.Is(err, roster.ErrWrongCredentials) {
		auth.VerifyAbsent(password, s.passwordParams)
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
		return "", roster.ErrWrongCredentials
	}
	if !active {
		return "", roster.ErrDeactivated
	}
	return uid, nil
}

// openSignInSession starts a sign-in session for an account and answers with
// its tokens.
func (s *Server) openSignInSession(w http.ResponseWriter, r *http.Request, accountUID string, status int) error {
	ss, refresh, err := s.startSignInSession(r, accountUID)
	if err != nil {
		return err
	}
	return s.writeTokens(w, accountUID, ss.UID, refresh, status)
}

func (s *Server) writeTokens(w http.ResponseWriter, accountUID, sessionUID, refresh string, status int) error {
	token, err := s.tokens.Issue(accountUID, sessionUID, s.now())
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
		s.now().Add(s.refreshTTL))
	if err != nil {
		return err
	}
	return s.writeTokens(w, accountUID, sessionUID, refresh, http.StatusOK)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	if p.SignInSessionUID == "" {
		return invalid("logout ends a Roster sign-in session: send the bearer token Roster issued, not an API key or another provider's token")
	}
	if err := s.store.CloseSignInSession(r.Context(), p.SignInSessionUID); err != nil {
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
