package api

import (
	"context"
	"net/http"
	"time"

	"roster"
)

// statusWriter remembers the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequestLog gives every request an id (echoed in X-Request-ID), a
// logger that carries it, and one access-log line; and every answer the
// headers of a private one.
func (s *Server) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !roster.ValidUID(id) {
			id = roster.NewSecret(16)
		}
		w.Header().Set("X-Request-ID", id)
		privateAnswer(w.Header())
		log := s.log.With("request_id", id)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration", time.Since(start), "remote", r.RemoteAddr)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), logKey{}, log)))
	})
}

// privateAnswer sets the headers of an answer that carries personal data,
// as nearly every answer does: no browser may sniff it into something it
// would run, and no cache, shared or the browser's, may keep it. Set here,
// before any handler runs, they cover error answers, ServeMux's own and
// streamed bodies alike; servePhoto replaces the caching with its own.
func privateAnswer(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
}
