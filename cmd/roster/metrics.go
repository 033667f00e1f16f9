package main

import (
	"context"
	"net"
	"net/http"
	"time"
)

// metricsEndpoint is where serve answers GET /metrics: beside the API on
// its address, or, with --metrics-addr, on an address of its own that a
// firewall can keep private, and then not beside the API.
type metricsEndpoint struct {
	gate *startGate   // nil: beside the API
	srv  *http.Server // serving the gate
}

// listenMetrics listens on addr, unless it is empty, and serves it at
// once, as serve does its own address: a taken port fails at start, and
// until mount a scrape is answered 503 rather than left waiting while the
// database migrates.
func listenMetrics(addr string) (*metricsEndpoint, error) {
	if addr == "" {
		return &metricsEndpoint{}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	e := &metricsEndpoint{gate: newStartGate(0)}
	e.srv = &http.Server{Handler: e.gate, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	go e.srv.Serve(ln)
	return e, nil
}

// mount returns api with GET /metrics served by m beside it; or, on an
// address of its own, serves m there and returns api unchanged.
func (e *metricsEndpoint) mount(api, m http.Handler) http.Handler {
	if e.gate == nil {
		// A comparison rather than a ServeMux in front: every request
		// passes here.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/metrics" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
				m.ServeHTTP(w, r)
				return
			}
			api.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m)
	e.gate.open(mux)
	return api
}

// shutdown stops the address of its own, letting a scrape under way end.
func (e *metricsEndpoint) shutdown(ctx context.Context) error {
	if e.srv == nil {
		return nil
	}
	return e.srv.Shutdown(ctx)
}

// close stops the address of its own at once.
func (e *metricsEndpoint) close() {
	if e.srv != nil {
		e.srv.Close()
	}
}
