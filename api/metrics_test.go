package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// byIDHandler is a ServeMux with the by-id route, whose handler answers
// at once, inside a statusWriter as withRequestLog gives it: what the
// metrics add to a request, and nothing else.
func byIDHandler(m *metrics) (http.Handler, *http.Request) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /client-management/clients/{user_uid}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
	})
	h := m.instrument(mux)
	w := &statusWriter{ResponseWriter: discard{}}
	return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			w.status = 0
			h.ServeHTTP(w, r)
		}),
		httptest.NewRequest("GET", "/client-management/clients/00Vd1wA3Kkc6CVEfWRpe", nil)
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{}

func (discard) Header() http.Header         { return http.Header{} }
func (discard) Write(b []byte) (int, error) { return len(b), nil }
func (discard) WriteHeader(int)             {}

// BenchmarkMetrics is the cost of recording a request: compare "on" with
// "off" (go test -run NONE -bench Metrics ./api).
func BenchmarkMetrics(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[on]
		b.Run(name, func(b *testing.B) {
			var m *metrics
			if on {
				m = newMetrics(prometheus.NewRegistry())
			}
			h, r := byIDHandler(m)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(nil, r)
			}
		})
	}
}

// TestMetricsAllocateNothing: once a label set has been seen, recording a
// request allocates nothing.
func TestMetricsAllocateNothing(t *testing.T) {
	off, r := byIDHandler(nil)
	reg := prometheus.NewRegistry()
	on, _ := byIDHandler(newMetrics(reg))
	on.ServeHTTP(nil, r)
	bare := testing.AllocsPerRun(100, func() { off.ServeHTTP(nil, r) })
	recorded := testing.AllocsPerRun(100, func() { on.ServeHTTP(nil, r) })
	if recorded != bare {
		t.Errorf("a request allocates %v times with metrics, %v without", recorded, bare)
	}
	if n := byIDCount(t, reg); n != 102 {
		t.Errorf("%v requests counted, want 102", n)
	}
}

// byIDCount is http_requests_total of the by-id route's 200s.
func byIDCount(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == "/client-management/clients/{user_uid}" && labels["method"] == "GET" && labels["code"] == "200" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
