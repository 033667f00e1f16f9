package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"sync"
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
// logger that carries it, and one access-log line (when the server keeps
// one); and every answer the
// headers of a private one.
func (s *Server) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !roster.ValidUID(id) {
			id = roster.NewSecret(16)
		}
		w.Header().Set("X-Request-ID", id)
		privateAnswer(w.Header())
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			s.access.write(start, id, r.Method, r.URL.Path, sw.status, time.Since(start), r.RemoteAddr)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), logKey{}, requestLog{s.log, id})))
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

// bounded serves h, the handler of rt, within rt's budget: a deadline on
// the request's context, at which the database calls it makes end and the
// answer is a 503 (see shown). A stream's budget starts again at each
// write, and each write must itself finish within the stream write
// timeout, so that a reader that stops reading is dropped rather than
// holding its connection and its chunk of rows for ever.
func (s *Server) bounded(rt Route, h http.Handler) http.Handler {
	budget := cmp.Or(rt.Budget, s.budget)
	if rt.Stream {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sw, ctx := s.newStreamWriter(w, r, budget)
			defer sw.stop()
			h.ServeHTTP(sw, r.WithContext(ctx))
		})
	}
	if budget == Unbounded {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), budget)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Unbounded is the Budget of a route whose requests may take as long as
// they take (an import, which reads and writes thousands of rows before
// its answer): only its authentication is bounded, by the server's budget.
const Unbounded time.Duration = -1

// streamWriter is a streamed answer's ResponseWriter. Before a write it
// renews the connection's write deadline and the request's budget.
type streamWriter struct {
	http.ResponseWriter
	rc           *http.ResponseController
	writeTimeout time.Duration
	budget       time.Duration // Unbounded: none
	timer        *time.Timer   // spends the budget; nil when Unbounded
	cancel       context.CancelCauseFunc
	// renewed is when the deadlines were last renewed: renewing them
	// costs more than the small writes of a stream, so a write renews
	// them only when a sixteenth of the shorter has passed.
	renewed time.Time
	every   time.Duration
}

func (s *Server) newStreamWriter(w http.ResponseWriter, r *http.Request, budget time.Duration) (*streamWriter, context.Context) {
	ctx, cancel := context.WithCancelCause(r.Context())
	sw := &streamWriter{ResponseWriter: w, rc: http.NewResponseController(w), writeTimeout: s.streamWriteTimeout,
		budget: budget, cancel: cancel, every: s.streamWriteTimeout / 16}
	if budget != Unbounded {
		sw.every = min(sw.every, budget/16)
		sw.timer = time.AfterFunc(budget, func() { cancel(context.DeadlineExceeded) })
	}
	if r.Method == http.MethodGet {
		// The server's ReadTimeout would end a GET's context once the
		// stream outlasts it (net/http cancels a request whose connection
		// fails a read, even the one that watches for the client going
		// away); a GET has no body to read slowly.
		sw.rc.SetReadDeadline(time.Time{})
	}
	sw.renew(time.Now())
	return sw, ctx
}

func (w *streamWriter) renew(now time.Time) {
	w.renewed = now
	// ErrNotSupported from a writer that is not a connection's is no
	// reason to fail the write.
	w.rc.SetWriteDeadline(now.Add(w.writeTimeout))
	if w.timer != nil {
		w.timer.Reset(w.budget)
	}
}

func (w *streamWriter) Write(b []byte) (int, error) {
	if now := time.Now(); now.Sub(w.renewed) >= w.every {
		w.renew(now)
	}
	return w.ResponseWriter.Write(b)
}

func (w *streamWriter) WriteHeader(code int) {
	w.renew(time.Now())
	w.ResponseWriter.WriteHeader(code)
}

func (w *streamWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// stop ends the budget once the handler returns.
func (w *streamWriter) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
	w.cancel(nil)
}

// streamSlots caps the streamed answers (the unpaged list, the export) open
// at once: a stream holds a connection and a chunk of rows for as long as
// its reader takes, so readers that are slow or never read could otherwise
// take the server's memory and connections.
type streamSlots struct {
	perCaller, total int
	mu               sync.Mutex
	open             map[string]int // by caller: API key or account
	all              int
}

// streamRetry is the Retry-After of a refused stream.
const streamRetry = 5 * time.Second

// take reserves a slot for p's stream, or refuses it: with 429 when p has
// perCaller streams open, with 503 when the server has total.
func (s *streamSlots) take(p roster.Principal) (release func(), err error) {
	caller := "account " + p.AccountUID
	if p.KeyID != "" {
		caller = "key " + p.KeyID
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.open[caller] >= s.perCaller:
		return nil, roster.Throttled(streamRetry, "too many streamed answers open at once: %s of this caller's are being read (at most %d)",
			roster.Count(s.open[caller], "stream"), s.perCaller)
	case s.all >= s.total:
		return nil, &roster.Error{Kind: roster.KindUnavailable, RetryAfter: streamRetry,
			Message: fmt.Sprintf("too many streamed answers open at once on this server (at most %d): try again in %s",
				s.total, roster.Count(int64(streamRetry/time.Second), "second"))}
	}
	s.open[caller]++
	s.all++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.open[caller]--; s.open[caller] == 0 {
			delete(s.open, caller)
		}
		s.all--
	}, nil
}
