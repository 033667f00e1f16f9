// Package clocktest keeps tests apart from the speed of the machine that
// runs them: a clock that moves only when the test moves it, and a wait
// for a condition that gives up only near go test's own timeout.
package clocktest

import (
	"sync"
	"testing"
	"time"
)

// Clock is a clock that moves only when the test moves it. A test that
// gives it to the store and the server (store.Store.SetClock, api.Config)
// decides when a block lifts or a code expires, so that neither happens
// early, or late, because the machine is slow.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock stopped at the present moment, so that what a
// test signs with it (an identity provider's token) is current for the
// libraries that read the system clock.
func NewClock() *Clock { return &Clock{now: time.Now().UTC().Truncate(time.Microsecond)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Deadline is when a test that waits for something gives up: shortly
// before go test's -timeout ends the run, so that a broken test still
// fails with its own message rather than the timeout's panic; ten minutes
// from now when there is no timeout.
func Deadline(t testing.TB) time.Time {
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if end, ok := d.Deadline(); ok {
			return end.Add(-min(time.Minute, time.Until(end)/2))
		}
	}
	return time.Now().Add(10 * time.Minute)
}

// Eventually polls cond until it holds, failing t at Deadline: however
// slow the machine, what happens in the end is waited for.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := Deadline(t)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
