// Package api is Roster's HTTP interface: routes, request decoding,
// authentication and the mapping of errors to statuses.
package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"roster"
	"roster/auth"
	"roster/openapi"
	"roster/photo"
	"roster/store"
)

// Server serves the API over one store.
type Server struct {
	store          *store.Store
	blobs          photo.Blobs
	signer         photo.Signer
	log            *slog.Logger
	publicURL      string // base of photo URLs; empty: links relative to the API
	photoResource  string // Cross-Origin-Resource-Policy of photos
	tokens         *auth.Tokens
	oidc           *auth.OIDC // nil: no external identity provider
	passwordParams auth.PasswordParams
	signupEnabled  bool
	refreshTTL     time.Duration
	invitationTTL  time.Duration
	mail           Notifier
	trustedProxies []netip.Prefix
	linkOrigins    roster.LinkOrigins
	limits         roster.Limits
	signInLocks    keyLocks
	clock          func() time.Time
}

// Notifier is told when a request queued mail, so that the sender need not
// wait for its next poll.
type Notifier interface{ Notify() }

type noNotifier struct{}

func (noNotifier) Notify() {}

// Config is what New needs besides the store. Zero durations and password
// parameters take the defaults.
type Config struct {
	Blobs          photo.Blobs
	Signer         photo.Signer
	Log            *slog.Logger
	PublicURL      string
	Tokens         *auth.Tokens
	OIDC           *auth.OIDC
	PasswordParams auth.PasswordParams
	DisableSignup  bool
	RefreshTTL     time.Duration
	InvitationTTL  time.Duration
	Mail           Notifier
	// TrustedProxies are the load balancers whose X-Forwarded-For tells
	// the client's address.
	TrustedProxies []netip.Prefix
	// LinkOrigins are where links in mail may point (platform_link).
	LinkOrigins roster.LinkOrigins
	// Limits are the abuse limits; the zero value takes DefaultLimits.
	Limits roster.Limits
	// CrossSitePhotos lets pages of other sites embed photos, for front
	// ends that are not on the API's site.
	CrossSitePhotos bool
	// Now tells the time for what expires or is blocked until a time
	// (tokens, codes, photo links, sign-in blocks) and for the times the
	// server stamps; nil is the system clock. Tests give the server and
	// its store one clock that moves only when they move it.
	Now func() time.Time
}

// DefaultRefreshTTL is how long a sign-in session lasts without a refresh.
const DefaultRefreshTTL = 30 * 24 * time.Hour

// New returns a server over st.
func New(st *store.Store, c Config) *Server {
	s := &Server{store: st, blobs: c.Blobs, signer: c.Signer, log: c.Log,
		publicURL: strings.TrimSuffix(c.PublicURL, "/"), tokens: c.Tokens, oidc: c.OIDC,
		passwordParams: c.PasswordParams, signupEnabled: !c.DisableSignup,
		refreshTTL: cmp.Or(c.RefreshTTL, DefaultRefreshTTL), invitationTTL: cmp.Or(c.InvitationTTL, roster.DefaultInvitationTTL),
		mail: c.Mail, trustedProxies: c.TrustedProxies, linkOrigins: c.LinkOrigins, limits: c.Limits,
		photoResource: "same-site", clock: c.Now}
	if s.limits == (roster.Limits{}) {
		s.limits = roster.DefaultLimits
	}
	if c.CrossSitePhotos {
		s.photoResource = "cross-origin"
	}
	if s.passwordParams == (auth.PasswordParams{}) {
		s.passwordParams = auth.DefaultPasswordParams
	}
	if s.mail == nil {
		s.mail = noNotifier{}
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	return s
}

// Handler returns the whole API. Every route is here, on one screen.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", s.public(s.healthz))
	mux.Handle("GET /readyz", s.public(s.readyz))
	mux.Handle("GET /openapi.json", s.public(serveOpenAPI))
	mux.Handle("GET /photos/{key...}", s.public(s.servePhoto))

	// v2 and v1 paths share their handlers, so they cannot drift apart.
	for _, p := range []string{"/client-management/clients", "/user-management/users"} {
		mux.Handle("GET "+p+"/{$}", s.staff(s.listClients))
		mux.Handle("POST "+p+"/{$}", s.staff(s.createClient))
		mux.Handle("PUT "+p+"/{$}", s.staff(s.updateClient))
		mux.Handle("DELETE "+p+"/{$}", s.staff(s.deleteClient))
		mux.Handle("GET "+p+"/filter/{$}", s.staff(s.filterClients))
		mux.Handle("GET "+p+"/export/{$}", s.staff(s.exportClients))
		mux.Handle("POST "+p+"/import/{$}", s.staff(s.importClients))
		mux.Handle("GET "+p+"/{user_uid}", s.staff(s.clientDetails))
		// POST .../save-notes/{user_uid} and POST .../{user_uid}/sessions
		// both match .../save-notes/sessions, which ServeMux refuses to
		// register: one pattern takes both (see postUnderClient).
		mux.Handle("POST "+p+"/{first}/{second}", s.staff(s.postUnderClient))
		mux.Handle("GET "+p+"/{user_uid}/sessions", s.staff(s.listSessions))
		mux.Handle("POST "+p+"/deactivate/{$}", s.staff(s.deactivateClient))
		mux.Handle("POST "+p+"/reactivate/{$}", s.staff(s.reactivateClient))
		mux.Handle("POST "+p+"/force-logout/{$}", s.staff(s.forceLogoutClient))
		mux.Handle("POST "+p+"/link/{$}", s.staff(s.inviteLink))
		mux.Handle("DELETE "+p+"/link/{$}", s.staff(s.unlinkClient))
	}

	mux.Handle("POST /auth/signup", s.public(s.signup))
	mux.Handle("POST /auth/login", s.public(s.login))
	mux.Handle("POST /auth/refresh", s.public(s.refresh))
	mux.Handle("POST /auth/logout", s.signedIn(s.logout))
	mux.Handle("GET /auth/me", s.signedIn(s.me))
	mux.Handle("PUT /auth/me", s.signedIn(person(s.updateMe)))
	mux.Handle("DELETE /auth/me", s.signedIn(person(s.deleteMe)))
	mux.Handle("POST /auth/me/password", s.signedIn(person(s.changePassword)))
	mux.Handle("PUT /auth/me/clients/{user_uid}", s.signedIn(person(s.updateOwnClient)))
	mux.Handle("DELETE /auth/me/clients/{user_uid}", s.signedIn(person(s.deleteOwnClient)))
	mux.Handle("DELETE /auth/me/clients/{user_uid}/link", s.signedIn(person(s.unlinkOwnClient)))
	mux.Handle("GET /auth/me/link-invitations", s.signedIn(person(s.linkInvitations)))
	mux.Handle("POST /auth/me/link-invitations/respond", s.signedIn(person(s.respondLink)))
	mux.Handle("POST /auth/verify-email", s.public(s.verifyEmail))
	mux.Handle("POST /auth/verify-email/resend", s.signedIn(person(s.resendVerification)))
	mux.Handle("POST /auth/password-reset", s.public(s.passwordReset))
	mux.Handle("POST /auth/password-reset/confirm", s.public(s.confirmPasswordReset))
	// A person manages API keys, never a key: a leaked key must not be able
	// to make itself a successor that outlives its revocation.
	mux.Handle("GET /auth/api-keys", s.allowed(roster.PermOwnAPIKeys, person(s.listAPIKeys)))
	mux.Handle("POST /auth/api-keys", s.allowed(roster.PermOwnAPIKeys, person(s.createAPIKey)))
	mux.Handle("DELETE /auth/api-keys/{key_id}", s.allowed(roster.PermOwnAPIKeys, person(s.revokeAPIKey)))

	// The seed's admin-management operations document no 413 or 415: a
	// body too large or of the wrong type is a 400 there.
	const admin = "/admin-management"
	mux.Handle("GET "+admin+"/admins-list/{$}", s.allowed(roster.PermReadStaff, s.adminsList))
	mux.Handle("GET "+admin+"/sub-admins/{$}", s.allowed(roster.PermReadStaff, s.subAdmins))
	mux.Handle("POST "+admin+"/sub-admins/{$}", s.allowed(roster.PermManageStaff, badBody(s.addSubAdmin)))
	mux.Handle("DELETE "+admin+"/sub-admins/{$}", s.allowed(roster.PermManageStaff, badBody(s.removeSubAdmin)))
	mux.Handle("PUT "+admin+"/sub-admins/{$}", s.allowed(roster.PermManageStaff, badBody(s.updateStaff)))
	mux.Handle("POST "+admin+"/sub-admins/deactivate/{$}", s.allowed(roster.PermManageStaff, badBody(s.deactivateStaff)))
	mux.Handle("POST "+admin+"/sub-admins/reactivate/{$}", s.allowed(roster.PermManageStaff, badBody(s.reactivateStaff)))
	mux.Handle("POST "+admin+"/sub-admins/force-logout/{$}", s.allowed(roster.PermManageStaff, badBody(s.forceLogoutStaff)))
	mux.Handle("GET "+admin+"/invitation/{$}", s.signedIn(s.listInvitations))
	mux.Handle("POST "+admin+"/invitation/{$}", s.allowed(roster.PermManageStaff, badBody(s.createInvitation)))
	mux.Handle("DELETE "+admin+"/invitation/{$}", s.allowed(roster.PermManageStaff, badBody(s.deleteInvitation)))
	mux.Handle("POST "+admin+"/invitation/respond/{$}", s.signedIn(badBody(s.respondInvitation)))
	mux.Handle("GET "+admin+"/audit-log/{$}", s.allowed(roster.PermAuditLog, s.auditLog))

	mux.Handle("GET /user-management/organization-status/{$}", s.allowed(roster.PermReadStaff, s.organizationStatus))
	return s.withRequestLog(jsonMuxErrors(mux))
}

// postUnderClient serves POST .../save-notes/{user_uid} (saveNote) and
// POST .../{user_uid}/sessions (recordSession). No uid is "save-notes".
func (s *Server) postUnderClient(w http.ResponseWriter, r *http.Request) error {
	first, second := r.PathValue("first"), r.PathValue("second")
	switch {
	case first == "save-notes":
		r.SetPathValue("user_uid", second)
		return s.saveNote(w, r)
	case second == "sessions":
		r.SetPathValue("user_uid", first)
		return s.recordSession(w, r)
	}
	return roster.Errorf(roster.KindNotFound, "no such path: %s", r.URL.Path)
}

// jsonMuxErrors answers the requests that match no route with the JSON
// error body of every other error, keeping ServeMux's status (404, or 405
// with its Allow header).
func jsonMuxErrors(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &headerRecorder{header: http.Header{}}
		mux.ServeHTTP(rec, r)
		if allow := rec.header.Get("Allow"); allow != "" {
			w.Header().Set("Allow", allow)
		}
		msg := fmt.Sprintf("no such path: %s", r.URL.Path)
		if rec.status == http.StatusMethodNotAllowed {
			msg = fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)
		}
		writeJSON(w, rec.status, map[string]string{"error": msg})
	})
}

// headerRecorder keeps the status and headers of ServeMux's own answer.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(status int)      { h.status = status }

// handlerFunc is a handler that returns its error for writeError to answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// public serves h to anyone. The changes it makes are audited as the
// anonymous caller's, from its address, until signedIn knows better.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(roster.WithActor(r.Context(), roster.Actor{Kind: roster.ActorAnonymous, RemoteAddr: s.clientAddr(r)}))
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// signedIn serves h to any authenticated caller, staff or not.
func (s *Server) signedIn(h handlerFunc) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return credentialsRefused{err}
		}
		kind := roster.ActorToken
		if p.KeyID != "" {
			kind = roster.ActorAPIKey
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		ctx = roster.WithActor(ctx, roster.Actor{UID: p.AccountUID, Kind: kind, KeyID: p.KeyID, RemoteAddr: s.clientAddr(r)})
		return h(w, r.WithContext(ctx))
	})
}

// allowed serves h to an authenticated caller whose role grants perm
// (roster's role table).
func (s *Server) allowed(perm roster.Permission, h handlerFunc) http.Handler {
	return s.signedIn(func(w http.ResponseWriter, r *http.Request) error {
		if p := principal(r); !p.Can(perm) {
			return p.Forbidden(perm)
		}
		return h(w, r)
	})
}

// badBody answers a body that is too large or of a type h does not read,
// and a reached limit, as a 400 with the same message (and Retry-After):
// the seed's admin-management operations document no 413, 415 or 429.
func badBody(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return invalid("request body is larger than %d bytes", tooBig.Limit)
		}
		var e *roster.Error
		if errors.As(err, &e) && (e.Kind == roster.KindTooLarge || e.Kind == roster.KindUnsupported || e.Kind == roster.KindThrottled) {
			as400 := *e
			as400.Kind = roster.KindInvalid
			return &as400
		}
		return err
	}
}

// person serves h only to callers who signed in, not to API keys.
func person(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if principal(r).KeyID != "" {
			return roster.Errorf(roster.KindForbidden, "API keys are managed by a signed-in person: send a bearer token, not an API key")
		}
		return h(w, r)
	}
}

// staff serves h to staff who may work with the organization's clients.
func (s *Server) staff(h handlerFunc) http.Handler { return s.allowed(roster.PermClients, h) }

type principalKey struct{}

// principal is the caller of a request that passed staff.
func principal(r *http.Request) roster.Principal {
	return r.Context().Value(principalKey{}).(roster.Principal)
}

// touchEvery limits the last-used bookkeeping of an API key to one write a
// minute, so that reads stay reads.
const touchEvery = time.Minute

func (s *Server) authenticate(r *http.Request) (roster.Principal, error) {
	cred, ok := auth.FromRequest(r)
	if !ok {
		return roster.Principal{}, roster.Errorf(roster.KindUnauthorized,
			"missing credentials: send the header API-KEY: <key> or Authorization: Bearer <token>")
	}
	if cred.Bearer != "" {
		return s.bearerPrincipal(r.Context(), cred.Bearer)
	}
	keyID, secret, ok := auth.SplitAPIKey(cred.APIKey)
	if !ok {
		return roster.Principal{}, roster.Errorf(roster.KindUnauthorized, "invalid API key")
	}
	k, err := s.store.APIKeyByID(r.Context(), keyID)
	if err != nil {
		return roster.Principal{}, err
	}
	if !auth.SecretMatches(k.SecretHash, secret) {
		return roster.Principal{}, roster.Errorf(roster.KindUnauthorized, "invalid API key")
	}
	k.Principal.KeyID = keyID
	if now := s.now(); now.Sub(k.LastUsedAt) > touchEvery {
		if err := s.store.TouchAPIKey(r.Context(), keyID, now); err != nil {
			logFrom(r.Context()).Warn("API key last use not recorded", "err", err)
		}
	}
	return k.Principal, nil
}

// bearerPrincipal resolves a bearer token: Roster's own, or one from the
// configured identity provider, whose verified email finds (or makes) the
// account.
func (s *Server) bearerPrincipal(ctx context.Context, token string) (roster.Principal, error) {
	if s.oidc != nil && !auth.IsRosterToken(token) {
		id, err := s.oidc.Verify(ctx, token)
		if err != nil {
			return roster.Principal{}, err
		}
		uid, err := s.store.AccountByEmail(ctx, id.Email, id.Name)
		if err != nil {
			return roster.Principal{}, err
		}
		return s.store.AccountPrincipal(ctx, uid, id.IssuedAt)
	}
	t := s.now()
	c, err := s.tokens.Verify(token, t)
	if err != nil {
		return roster.Principal{}, err
	}
	return s.store.SessionPrincipal(ctx, c.AccountUID, c.SessionUID, t)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		logFrom(ctx).Error("database not reachable", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database not reachable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openapi.Document)
	return err
}

// servePhoto serves a photo to anyone holding a valid signed URL, so that an
// <img> tag can show it. nosniff (set on every answer by withRequestLog)
// and a policy that lets the bytes run nothing stop a browser from treating
// it as anything but an image, even opened on its own; only pages of the
// API's site, unless CrossSitePhotos, may embed it. Its link changes only
// hourly, so browsers may keep it that long, unlike other answers.
func (s *Server) servePhoto(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	q := r.URL.Query()
	if err := s.signer.Verify(key, q.Get("exp"), q.Get("sig"), s.now()); err != nil {
		return err
	}
	f, err := s.blobs.Open(r.Context(), key)
	if errors.Is(err, fs.ErrNotExist) {
		return roster.Errorf(roster.KindNotFound, "photo not found")
	}
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", photo.ContentType(strings.TrimPrefix(path.Ext(key), ".")))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cross-Origin-Resource-Policy", s.photoResource)
	h.Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}

// photoURL returns a function that signs photo keys into links, all of one
// answer with the same expiry: absolute from the configured public URL, or
// else relative to the API. Never from the request's Host, which the caller
// chooses: a forged one would put its site into the links Roster hands out.
func (s *Server) photoURL() func(string) string {
	now := s.now()
	return func(key string) string { return s.signer.URL(s.publicURL, key, now) }
}

// now is the server's time, at the precision the store keeps, so that a
// time it stamps reads back from the store unchanged.
func (s *Server) now() time.Time { return s.clock().UTC().Truncate(time.Microsecond) }
