package api

import (
	"context"
	"errors"
	"sync"
	"time"
)

const (
	// readyTTL is how long a write probe's answer stands: /readyz, polled
	// by every load balancer, commits at most one write per TTL.
	readyTTL = 2 * time.Second
	// probeTimeout bounds one probe, which /readyz may stop waiting for
	// sooner.
	probeTimeout = 10 * time.Second
)

var errProbeSlow = errors.New("a write did not commit in time")

// readiness caches whether the database commits a write. One probe runs
// at a time; the requests that come meanwhile wait for it, each as long
// as its context allows.
type readiness struct {
	mu      sync.Mutex
	checked time.Time     // when the last probe ended, on the server's clock
	err     error         // its outcome
	running chan struct{} // closed when the probe under way ends; nil if none
}

// check returns the outcome of a probe that ended less than readyTTL ago,
// or of a new one, started if none runs, or errProbeSlow if ctx ends
// before it.
func (r *readiness) check(ctx context.Context, now func() time.Time, probe func(context.Context) error) error {
	r.mu.Lock()
	if r.running == nil && (r.checked.IsZero() || now().Sub(r.checked) >= readyTTL) {
		r.running = make(chan struct{})
		go r.probe(now, probe, r.running)
	}
	running := r.running
	r.mu.Unlock()
	if running != nil {
		select {
		case <-running:
		case <-ctx.Done():
			return errProbeSlow
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *readiness) probe(now func() time.Time, probe func(context.Context) error, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	err := probe(ctx)
	cancel()
	r.mu.Lock()
	r.err, r.checked, r.running = err, now(), nil
	r.mu.Unlock()
	close(done)
}
