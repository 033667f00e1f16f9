// Package worker runs the loops that deliver an outbox, the mail sender's
// and the webhook dispatcher's: workers that claim due work until none is
// left and then wait for a wake-up or the poll interval, and a shutdown
// that stops claiming at once and gives up the work under way at its
// deadline.
package worker

import (
	"context"
	"sync"
	"time"
)

// Loop is the workers' life cycle. Its methods are safe to call from any
// goroutine.
type Loop struct {
	poll                time.Duration
	wake                chan struct{}
	quit, abort         chan struct{} // closed by Shutdown: claim nothing more; give up the work under way
	done                chan struct{} // closed when Run returns
	quitOnce, abortOnce sync.Once
}

// New returns a Loop whose idle workers look for due work every poll.
func New(poll time.Duration) *Loop {
	return &Loop{poll: poll, wake: make(chan struct{}, 1),
		quit: make(chan struct{}), abort: make(chan struct{}), done: make(chan struct{})}
}

// Notify wakes an idle worker to look for due work now. It never blocks.
func (l *Loop) Notify() {
	select {
	case l.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run runs n workers until Shutdown, or until ctx ends, and returns once
// each has. A worker calls next until it reports that nothing was due,
// then waits. The context next is given ends with ctx, or when Shutdown
// gives up the work under way. Call Run once.
func (l *Loop) Run(ctx context.Context, n int, next func(context.Context) bool) {
	defer close(l.done)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-l.abort:
			cancel()
		case <-ctx.Done():
		}
	}()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { l.work(ctx, next) })
	}
	wg.Wait()
}

func (l *Loop) work(ctx context.Context, next func(context.Context) bool) {
	for l.claiming(ctx) {
		if next(ctx) {
			continue
		}
		wait := time.NewTimer(l.poll)
		select {
		case <-ctx.Done():
		case <-l.quit:
		case <-l.wake:
		case <-wait.C:
		}
		wait.Stop()
	}
}

// claiming reports whether a worker may claim more work.
func (l *Loop) claiming(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	case <-l.quit:
		return false
	default:
		return true
	}
}

// Shutdown stops Run: nothing is claimed from now on; work under way may
// finish until ctx ends, and is then given up. It returns once Run has
// returned, so Run must have been called (it may not have started yet).
func (l *Loop) Shutdown(ctx context.Context) {
	l.quitOnce.Do(func() { close(l.quit) })
	select {
	case <-l.done:
		return
	case <-ctx.Done():
	}
	l.abortOnce.Do(func() { close(l.abort) })
	<-l.done
}
