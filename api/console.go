package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"roster"
	"roster/auth"
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
	ss, _, err := s.startSignInSession(r, uid)
	return uid, ss.UID, err
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

// PublicURL is the server's public URL, without a trailing slash: the
// origin links in mail to the console point to. It is "" when none is
// configured.
func (s *Server) PublicURL() string { return s.publicURL }

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
