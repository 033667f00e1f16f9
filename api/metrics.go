package api

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus metrics; nil records nothing.
type metrics struct {
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	signInFailures prometheus.Counter
	signInBlocks   prometheus.Counter
	importedRows   prometheus.Counter

	// series caches each label set's counter and histogram, so that a
	// request costs a map lookup rather than the vectors' hashing of
	// label values under their lock. The map only grows, by copy, and is
	// bounded: patterns are the routes', methods and statuses a few each.
	mu     sync.Mutex
	series atomic.Pointer[map[seriesKey]series]
}

type seriesKey struct {
	pattern, method string // ServeMux's pattern ("" when none matched) and a normalized method
	status          int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// unmatched is the route label of requests that match no route, whatever
// their path: a path is the caller's to choose, and would make a series
// for every uid guessed.
const unmatched = "unmatched"

// newMetrics registers the server's metrics with reg; a nil reg is none.
func newMetrics(reg prometheus.Registerer) *metrics {
	if reg == nil {
		return nil
	}
	labels := []string{"route", "method", "code"}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests answered, by route pattern, method and status code.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern, method and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, labels),
		signInFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roster_signin_failures_total", Help: "Sign-ins (and sign-up codes) refused for a wrong email or password.",
		}),
		signInBlocks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roster_signin_throttled_total", Help: "Sign-ins refused with 429 because their account or address was blocked after failures.",
		}),
		importedRows: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "roster_imported_rows_total", Help: "Client rows written by imports.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.signInFailures, m.signInBlocks, m.importedRows)
	m.series.Store(&map[seriesKey]series{})
	return m
}

// instrument counts and times every request h answers. It must wrap the
// ServeMux without copying the request, for ServeMux sets the pattern it
// matched on the request it is given; and inside withRequestLog, whose
// statusWriter then tells the status.
func (m *metrics) instrument(h http.Handler) http.Handler {
	if m == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw, ok := w.(*statusWriter)
		if !ok {
			sw = &statusWriter{ResponseWriter: w}
		}
		h.ServeHTTP(sw, r)
		status := sw.status
		if status == 0 {
			status = http.StatusOK // nothing written: net/http answers 200
		}
		s := m.seriesOf(seriesKey{r.Pattern, method(r.Method), status})
		s.requests.Inc()
		s.duration.Observe(time.Since(start).Seconds())
	})
}

func (m *metrics) seriesOf(k seriesKey) series {
	if s, ok := (*m.series.Load())[k]; ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.series.Load()
	if s, ok := old[k]; ok {
		return s
	}
	route := unmatched
	if k.pattern != "" {
		_, route, _ = strings.Cut(k.pattern, " ")
	}
	code := strconv.Itoa(k.status)
	s := series{m.requests.WithLabelValues(route, k.method, code), m.duration.WithLabelValues(route, k.method, code)}
	grown := maps.Clone(old)
	grown[k] = s
	m.series.Store(&grown)
	return s
}

// method is r.Method as a label: any method net/http names is itself,
// others (which only unmatched requests can have) are one label.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}

func (m *metrics) signInFailed() {
	if m != nil {
		m.signInFailures.Inc()
	}
}

func (m *metrics) signInBlocked() {
	if m != nil {
		m.signInBlocks.Inc()
	}
}

func (m *metrics) imported(rows int) {
	if m != nil {
		m.importedRows.Add(float64(rows))
	}
}
