// Package api is Roster's HTTP interface: routes, request decoding,
// authentication and the mapping of errors to statuses.
package api

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
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
	store     *store.Store
	blobs     photo.Blobs
	signer    photo.Signer
	log       *slog.Logger
	publicURL string // base of photo URLs; empty: taken from each request
}

// Config is what New needs besides the store.
type Config struct {
	Blobs     photo.Blobs
	Signer    photo.Signer
	Log       *slog.Logger
	PublicURL string
}

// New returns a server over st.
func New(st *store.Store, c Config) *Server {
	return &Server{store: st, blobs: c.Blobs, signer: c.Signer, log: c.Log,
		publicURL: strings.TrimSuffix(c.PublicURL, "/")}
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
		mux.Handle("GET "+p+"/{user_uid}", s.staff(s.clientDetails))
		mux.Handle("POST "+p+"/save-notes/{user_uid}", s.staff(s.saveNote))
		mux.Handle("POST "+p+"/sessions/{user_uid}", s.staff(s.recordSession))
		mux.Handle("GET "+p+"/sessions/{user_uid}", s.staff(s.listSessions))
	}
	mux.Handle("GET /user-management/organization-status/{$}", s.staff(s.organizationStatus))
	return s.withRequestLog(jsonMuxErrors(mux))
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

func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

// staff serves h to an authenticated member of an organization's staff.
func (s *Server) staff(h handlerFunc) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request) error {
		p, err := s.authenticate(r)
		if err != nil {
			return err
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

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
		return roster.Principal{}, roster.Errorf(roster.KindUnauthorized, "invalid bearer token")
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
	if now := time.Now(); now.Sub(k.LastUsedAt) > touchEvery {
		if err := s.store.TouchAPIKey(r.Context(), keyID, now); err != nil {
			logFrom(r.Context()).Warn("API key last use not recorded", "err", err)
		}
	}
	return k.Principal, nil
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
// <img> tag can show it; nosniff stops a browser from reading it as anything
// but an image.
func (s *Server) servePhoto(w http.ResponseWriter, r *http.Request) error {
	key := r.PathValue("key")
	q := r.URL.Query()
	if err := s.signer.Verify(key, q.Get("exp"), q.Get("sig"), time.Now()); err != nil {
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
	w.Header().Set("Content-Type", photo.ContentType(strings.TrimPrefix(path.Ext(key), ".")))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", time.Time{}, f)
	return nil
}

// photoURL returns a function that signs photo keys into URLs, based on the
// configured public URL or else the host the request came to.
func (s *Server) photoURL(r *http.Request) func(string) string {
	base := s.publicURL
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	now := time.Now()
	return func(key string) string { return s.signer.URL(base, key, now) }
}
