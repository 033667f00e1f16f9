// Package api is Roster's HTTP interface: routes, request decoding,
// authentication and the mapping of errors to statuses.
package api

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	access         accessLog
	publicURL      string // base of photo URLs; empty: links relative to the API
	photoResource  string // Cross-Origin-Resource-Policy of photos
	tokens         *auth.Tokens
	oidc           *auth.OIDC // nil: no external identity provider
	passwordParams auth.PasswordParams
	signupEnabled  bool
	refreshTTL     time.Duration
	invitationTTL  time.Duration
	mail           Notifier
	webhooks       Webhooks
	trustedProxies []netip.Prefix
	linkOrigins    roster.LinkOrigins
	limits         roster.Limits
	signInLocks    keyLocks
	clock          func() time.Time
	ready          readiness // /readyz's write probe
	// budget is a request's, unless its route has its own (Route.Budget).
	budget             time.Duration
	streamWriteTimeout time.Duration
	streams            *streamSlots
	metrics            *metrics // nil: none recorded
}

// Notifier is told when a request queued mail, so that the sender need not
// wait for its next poll.
type Notifier interface{ Notify() }

type noNotifier struct{}

func (noNotifier) Notify() {}

// Config is what New needs besides the store. Zero durations and password
// parameters take the defaults.
type Config struct {
	Blobs  photo.Blobs
	Signer photo.Signer
	Log    *slog.Logger
	// AccessLog is where a JSON line for each request goes, in the shape
	// of Log's lines; nil keeps no access log.
	AccessLog      io.Writer
	PublicURL      string
	Tokens         *auth.Tokens
	OIDC           *auth.OIDC
	PasswordParams auth.PasswordParams
	DisableSignup  bool
	RefreshTTL     time.Duration
	InvitationTTL  time.Duration
	Mail           Notifier
	// Webhooks are the webhook routes' keyring, URL policy and dispatcher.
	Webhooks Webhooks
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
	// Budget is how long a request may take unless its route says
	// otherwise (Route.Budget); zero: DefaultBudget.
	Budget time.Duration
	// StreamWriteTimeout is how long one write of a streamed answer may
	// take: a reader that reads nothing for that long is dropped. Zero:
	// DefaultStreamWriteTimeout.
	StreamWriteTimeout time.Duration
	// StreamsPerCaller caps the streamed answers (the unpaged list, the
	// export) one API key or signed-in person may have open at once, and
	// Streams those of the whole server. Zero: the defaults.
	StreamsPerCaller, Streams int
	// Metrics, when set, is where the server registers its Prometheus
	// metrics (see metrics.go); nil records none.
	Metrics prometheus.Registerer
}

// The defaults of a request's budget and of the streams' bounds. A
// stalled stream holds a chunk of rows, about a megabyte: the default caps
// keep that within a small server's memory.
const (
	DefaultBudget             = 15 * time.Second
	DefaultStreamWriteTimeout = 30 * time.Second
	DefaultStreamsPerCaller   = 4
	DefaultStreams            = 16
)

// DefaultRefreshTTL is how long a sign-in session lasts without a refresh.
const DefaultRefreshTTL = 30 * 24 * time.Hour

// New returns a server over st.
func New(st *store.Store, c Config) *Server {
	s := &Server{store: st, blobs: c.Blobs, signer: c.Signer, log: c.Log, access: accessLog{c.AccessLog},
		publicURL: strings.TrimSuffix(c.PublicURL, "/"), tokens: c.Tokens, oidc: c.OIDC,
		passwordParams: c.PasswordParams, signupEnabled: !c.DisableSignup,
		refreshTTL: cmp.Or(c.RefreshTTL, DefaultRefreshTTL), invitationTTL: cmp.Or(c.InvitationTTL, roster.DefaultInvitationTTL),
		mail: c.Mail, webhooks: c.Webhooks, trustedProxies: c.TrustedProxies, linkOrigins: c.LinkOrigins, limits: c.Limits,
		photoResource: "same-site", clock: c.Now, budget: cmp.Or(c.Budget, DefaultBudget),
		streamWriteTimeout: cmp.Or(c.StreamWriteTimeout, DefaultStreamWriteTimeout),
		streams: &streamSlots{perCaller: cmp.Or(c.StreamsPerCaller, DefaultStreamsPerCaller),
			total: cmp.Or(c.Streams, DefaultStreams), open: map[string]int{}}}
	s.metrics = newMetrics(c.Metrics)
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

// jsonMuxErrors answers the requests that match no route with the JSON
// error body of every other error, keeping ServeMux's status (404, or 405
// with its Allow header).
func jsonMuxErrors(mux *http.ServeMux) http.Handler {
	return Unmatched(mux, func(w http.ResponseWriter, r *http.Request, status int) {
		msg := fmt.Sprintf("no such path: %s", r.URL.Path)
		if status == http.StatusMethodNotAllowed {
			msg = fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)
		}
		if isSCIM(r) {
			writeSCIMError(w, status, nil, msg)
			return
		}
		writeJSON(w, status, map[string]string{"error": msg})
	})
}

// Unmatched serves the requests that mux has a pattern for, and answers
// the others with miss, given the status ServeMux would answer (404, or
// 405 with the Allow header, which is set): ServeMux's own answer is
// plain text.
func Unmatched(mux *http.ServeMux, miss func(w http.ResponseWriter, r *http.Request, status int)) http.Handler {
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
		miss(w, r, rec.status)
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
// anonymous caller's, from its address.
func (s *Server) public(h handlerFunc) http.Handler {
	return answering(func(w http.ResponseWriter, r *http.Request) error {
		return h(w, r.WithContext(anonymous(r.Context(), s.clientAddr(r))))
	})
}

// answering serves h, answering the error it returns.
func answering(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// anonymous is ctx with the anonymous caller from addr as its actor.
func anonymous(ctx context.Context, addr string) context.Context {
	return roster.WithActor(ctx, roster.Actor{Kind: roster.ActorAnonymous, RemoteAddr: addr})
}

// signedIn serves h to any authenticated caller, staff or not. What
// authenticating changes (an account an identity provider's token makes)
// is audited as the anonymous caller's; the request gets one new context,
// which costs a copy of it.
func (s *Server) signedIn(h handlerFunc) http.Handler {
	return answering(func(w http.ResponseWriter, r *http.Request) error {
		addr := s.clientAddr(r)
		p, err := s.authenticateWithin(anonymous(r.Context(), addr), r)
		if err != nil {
			return credentialsRefused{err}
		}
		kind := roster.ActorToken
		if p.KeyID != "" {
			kind = roster.ActorAPIKey
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		// The store narrows what it reads and changes to p's scope.
		ctx = store.AsStaff(ctx, p)
		ctx = roster.WithActor(ctx, roster.Actor{UID: p.AccountUID, Kind: kind, KeyID: p.KeyID, RemoteAddr: addr})
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
			return errPersonOnly
		}
		return h(w, r)
	}
}

// The guards' refusals of a caller without credentials, and of an API key
// where only a person may.
var (
	errNoCredentials = roster.Errorf(roster.KindUnauthorized,
		"missing credentials: send the header API-KEY: <key> or Authorization: Bearer <token>")
	errPersonOnly = roster.Errorf(roster.KindForbidden,
		"API keys are managed by a signed-in person: send a bearer token, not an API key")
)

type principalKey struct{}

// principal is the caller of a request that passed staff.
func principal(r *http.Request) roster.Principal {
	return r.Context().Value(principalKey{}).(roster.Principal)
}

// authenticateWithin authenticates r under ctx within the server's
// budget, which bounds it on routes that have none of their own.
func (s *Server) authenticateWithin(ctx context.Context, r *http.Request) (roster.Principal, error) {
	if _, bounded := ctx.Deadline(); !bounded {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.budget)
		defer cancel()
	}
	return s.authenticate(ctx, r)
}

// touchEvery limits the last-used bookkeeping of an API key to one write a
// minute, so that reads stay reads.
const touchEvery = time.Minute

func (s *Server) authenticate(ctx context.Context, r *http.Request) (roster.Principal, error) {
	cred, ok := auth.FromRequest(r)
	if !ok {
		return roster.Principal{}, errNoCredentials
	}
	if cred.Bearer != "" {
		return s.bearerPrincipal(ctx, cred.Bearer)
	}
	keyID, secret, ok := auth.SplitAPIKey(cred.APIKey)
	if !ok {
		return roster.Principal{}, roster.Errorf(roster.KindUnauthorized, "invalid API key")
	}
	k, err := s.store.APIKeyByID(ctx, keyID)
	if err != nil {
		return roster.Principal{}, err
	}
	if !auth.SecretMatches(k.SecretHash, secret) {
		return roster.Principal{}, roster.Errorf(roster.KindUnauthorized, "invalid API key")
	}
	k.Principal.KeyID = keyID
	if now := s.now(); now.Sub(k.LastUsedAt) > touchEvery {
		if err := s.store.TouchAPIKey(ctx, keyID, now); err != nil {
			logFrom(ctx).Warn("API key last use not recorded", "err", err)
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
		return s.providerPrincipal(ctx, id)
	}
	t := s.now()
	c, err := s.tokens.Verify(token, t)
	if err != nil {
		return roster.Principal{}, err
	}
	return s.store.SignInSessionPrincipal(ctx, c.AccountUID, c.SignInSessionUID, t)
}

// providerPrincipal is the principal of the account with the email the
// identity provider verified, made now if there is none; a deactivated
// account, or one force-logged-out since the provider vouched, is refused.
func (s *Server) providerPrincipal(ctx context.Context, id auth.Identity) (roster.Principal, error) {
	uid, err := s.store.AccountByEmail(ctx, id.Email, id.Name)
	if err != nil {
		return roster.Principal{}, err
	}
	return s.store.AccountPrincipal(ctx, uid, id.IssuedAt)
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
	if err := s.ready.check(ctx, s.now, s.store.CheckWritable); err != nil {
		logFrom(ctx).Error("database cannot write", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "database cannot write"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) error {
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
	if photoKey, ok := photo.PhotoOfThumbnail(key); ok && errors.Is(err, fs.ErrNotExist) {
		// A photo stored before thumbnails were made has none: its
		// thumbnail link serves the photo itself.
		f, err = s.blobs.Open(r.Context(), photoKey)
	}
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
