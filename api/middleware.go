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
// logger that carries it, and one access-log line.
func (s *Server) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !roster.ValidUID(id) {
			id = roster.NewSecret(16)
		}
		w.Header().Set("X-Request-ID", id)
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
