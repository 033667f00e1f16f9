package storetest

import (
	"sync"
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
