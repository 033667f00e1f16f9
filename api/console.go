package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"roster"
	"roster/auth"
	"roster/photo"
)

// What the staff console (package console) takes from the API: its
// sign-in, with the same throttle and sign-in sessions; the client's
// address and scheme as the trusted proxies tell them; its clock; the
// answer it gives an error; and the frame of its routes. The console
// calls these rather than keep a copy of them.

// SignIn checks an email and password under the sign-in throttle, as
// POST /auth/login does, and opens a sign-in session for the account. It
// returns the account's uid and the session's.
func (s *Server) SignIn(r *http.Request, email, password string) (accountUID, sessionUID string, err error) {
	uid, err := s.throttledCheck(r, email, password)
	if err != nil {
		return "", "", err
	}
	return s.openConsoleSession(r, uid)
}

// VerifyEmail finishes a sign-up with its mailed code and password, as
// POST /auth/verify-email does, and opens a sign-in session for the new
// account. It returns the account's uid and the session's.
func (s *Server) VerifyEmail(r *http.Request, code, password string) (accountUID, sessionUID string, err error) {
	uid, err := s.completeSignUp(r, code, password)
	if err != nil {
		return "", "", err
	}
	return s.openConsoleSession(r, uid)
}

// ResetPassword sets a new password with a mailed reset code, as POST
// /auth/password-reset/confirm does, and opens a sign-in session for the
// account, whose others it ended. It returns the account's uid and the
// session's.
func (s *Server) ResetPassword(r *http.Request, code, newPassword string) (accountUID, sessionUID string, err error) {
	uid, err := s.resetPassword(r, code, newPassword)
	if err != nil {
		return "", "", err
	}
	return s.openConsoleSession(r, uid)
}

// openConsoleSession opens a sign-in session for an account and returns
// the account's uid and the session's; the console keeps no refresh token.
func (s *Server) openConsoleSession(r *http.Request, accountUID string) (string, string, error) {
	ss, _, err := s.startSignInSession(r, accountUID)
	return accountUID, ss.UID, err
}

// IdentityProvider is the name of the identity provider that the console
// offers to sign in with, "" when there is none: the provider must be set
// up for browsers, and the server have a public URL to be sent back to.
func (s *Server) IdentityProvider() string {
	if s.oidc == nil || s.publicURL == "" {
		return ""
	}
	return s.oidc.Name()
}

// IdentityProviderURL is where to send a browser to sign in with the
// identity provider, which sends it back to path on the public URL (see
// auth.OIDC.AuthCodeURL for state, nonce and verifier).
func (s *Server) IdentityProviderURL(path, state, nonce, verifier string) string {
	return s.oidc.AuthCodeURL(s.publicURL+path, state, nonce, verifier)
}

// SignInWithProvider redeems the code the identity provider sent back to
// path with, finds or makes the account of the email it verified, as its
// bearer tokens do on the API, and opens a sign-in session for it. It
// returns the account's uid and the session's.
func (s *Server) SignInWithProvider(r *http.Request, path, code, verifier, nonce string) (accountUID, sessionUID string, err error) {
	id, err := s.oidc.Exchange(r.Context(), s.publicURL+path, code, verifier, nonce)
	if err != nil {
		return "", "", err
	}
	p, err := s.providerPrincipal(r.Context(), id)
	if err != nil {
		return "", "", err
	}
	return s.openConsoleSession(r, p.AccountUID)
}

// MailLink is the link to path on the server's public URL that mail may
// carry, checked as a platform_link is; "" when no public URL is set, so
// that mail carries the code only.
func (s *Server) MailLink(path string) (string, error) {
	if s.publicURL == "" {
		return "", nil
	}
	return s.linkOrigins.Check("platform_link", s.publicURL+path)
}

// startSignInSession stores a new sign-in session for an account and
// returns it with its refresh token.
func (s *Server) startSignInSession(r *http.Request, accountUID string) (roster.SignInSession, string, error) {
	t := s.now()
	refresh, hash := auth.NewRefreshToken()
	ss := roster.SignInSession{UID: roster.NewUID(t), AccountUID: accountUID, RefreshHash: hash,
		ExpiresAt: t.Add(s.refreshTTL), RemoteAddr: s.clientAddr(r), UserAgent: truncate(r.UserAgent(), 200)}
	return ss, refresh, s.store.OpenSignInSession(r.Context(), ss)
}

// ClientAddr is the address r came from, as the audit log records it.
func (s *Server) ClientAddr(r *http.Request) string { return s.clientAddr(r) }

// ViaHTTPS reports whether the browser reached Roster over HTTPS: r came
// over TLS, or from a trusted proxy whose X-Forwarded-Proto says so.
// Another peer's X-Forwarded-Proto proves nothing.
func (s *Server) ViaHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if _, proxy := s.peer(r); !proxy {
		return false
	}
	// The proxy nearest Roster wrote the last value.
	protos := strings.Split(strings.Join(r.Header.Values("X-Forwarded-Proto"), ","), ",")
	return strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

// DeletePhoto removes the photo of a deleted client, with its thumbnail.
func (s *Server) DeletePhoto(ctx context.Context, key string) { s.deletePhoto(ctx, key) }

// PhotoLinks returns the signed links to a client's photo and to its
// thumbnail that the API's client JSON gives, or "" for both when the
// client has none.
func (s *Server) PhotoLinks(c *roster.Client) (photo, thumbnail string) {
	j := toJSON(c, s.photoURL(), false)
	return j.photoURL, j.thumbURL
}

// Now is the server's time, as it stamps it.
func (s *Server) Now() time.Time { return s.now() }

// ErrorAnswer returns the status and message the API answers err with,
// logging an internal error's detail as it does.
func ErrorAnswer(r *http.Request, err error) (status int, msg string) {
	kind, msg := errorMessage(r, err)
	return statusOf[kind], msg
}

// Framed serves h as the API serves its routes: with a request id and an
// access log line, the headers of a private answer, and the server's
// budget.
func (s *Server) Framed(h http.Handler) http.Handler {
	return s.withRequestLog(s.bounded(Route{}, h))
}

// ThumbnailURLs returns a function that turns a client's photo key into the
// signed link of its thumbnail, the API's profile_photo_thumbnail, all of
// one page with the same expiry.
func (s *Server) ThumbnailURLs() func(photoKey string) string {
	sign := s.photoURL()
	return func(key string) string { return sign(photo.ThumbnailKey(key)) }
}
