package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// metricsEndpoint is where serve answers GET /metrics: beside the API on
// its address, or, with --metrics-addr, on a listener of its own that a
// firewall can keep private, and then not beside the API.
type metricsEndpoint struct {
	ln  net.Listener // nil: beside the API
	srv *http.Server // serving ln, once mounted
}

// listenMetrics listens on addr, unless it is empty. It listens at once,
// as serve does on its own address, so that a taken port fails at start.
func listenMetrics(addr string) (*metricsEndpoint, error) {
	if addr == "" {
		return &metricsEndpoint{}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &metricsEndpoint{ln: ln}, nil
}

// mount returns api with GET /metrics served by m beside it; or, with a
// listener of its own, starts serving m there and returns api unchanged.
func (e *metricsEndpoint) mount(api, m http.Handler) http.Handler {
	if e.ln == nil {
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
	e.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	go e.srv.Serve(e.ln)
	return api
}

// shutdown stops the listener of its own, letting a scrape under way end.
func (e *metricsEndpoint) shutdown(ctx context.Context) error {
	if e.srv != nil {
		return e.srv.Shutdown(ctx)
	}
	return e.close()
}

// close stops the listener of its own at once.
func (e *metricsEndpoint) close() error {
	var err error
	switch {
	case e.srv != nil:
		err = e.srv.Close()
	case e.ln != nil:
		err = e.ln.Close()
	}
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
