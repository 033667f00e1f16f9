package authcache

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[string](2, time.Minute)
	c.Start()
	c.Put(c.Ticket(), "a", 1, "A", t0)
	c.Put(c.Ticket(), "b", 1, "B", t0)
	if _, ok := c.Get("a", t0); !ok { // a is now the most recently used
		t.Fatal("a not cached")
	}
	c.Put(c.Ticket(), "c", 2, "C", t0)
	if _, ok := c.Get("b", t0); ok || c.Len() != 2 {
		t.Errorf("b stayed (or %d entries): the least recently used goes first", c.Len())
	}
	for _, key := range []string{"a", "c"} {
		if _, ok := c.Get(key, t0); !ok {
			t.Errorf("%s was evicted", key)
		}
	}
}

func TestTimeToLive(t *testing.T) {
	c := New[string](10, time.Minute)
	c.Start()
	c.Put(c.Ticket(), "a", 1, "A", t0)
	if v, ok := c.Get("a", t0.Add(time.Minute-time.Nanosecond)); !ok || v != "A" {
		t.Errorf("within its time to live: %q, %v", v, ok)
	}
	if _, ok := c.Get("a", t0.Add(time.Minute)); ok || c.Len() != 0 {
		t.Error("served after its time to live")
	}
}

// TestDropRefusesRacingFill: a value read before a drop may predate the
// change the drop is for, so it is not stored.
func TestDropRefusesRacingFill(t *testing.T) {
	c := New[string](10, time.Minute)
	c.Start()
	c.Put(c.Ticket(), "a", 1, "A", t0)
	c.Put(c.Ticket(), "b", 2, "B", t0)
	racing := c.Ticket()
	c.DropGroups(1)
	if _, ok := c.Get("a", t0); ok {
		t.Error("account 1's entry was not dropped")
	}
	if _, ok := c.Get("b", t0); !ok {
		t.Error("account 2's entry was dropped")
	}
	c.Put(racing, "a", 1, "stale", t0)
	if _, ok := c.Get("a", t0); ok {
		t.Error("a fill that started before the drop was stored")
	}
	c.Put(c.Ticket(), "a", 1, "fresh", t0)
	c.Update("a", func(v *string) { *v += "!" })
	if v, ok := c.Get("a", t0); !ok || v != "fresh!" {
		t.Errorf("a fill after the drop: %q, %v", v, ok)
	}
}

// TestDropKeys: Drop removes the entries it names and no other, and
// refuses a fill that raced it.
func TestDropKeys(t *testing.T) {
	c := New[string](10, time.Minute)
	c.Start()
	c.Put(c.Ticket(), "a", 1, "A", t0)
	c.Put(c.Ticket(), "b", 1, "B", t0)
	racing := c.Ticket()
	c.Drop("a", "unknown")
	if _, ok := c.Get("a", t0); ok {
		t.Error("a was not dropped")
	}
	if v, ok := c.Get("b", t0); !ok || v != "B" {
		t.Errorf("b: %q, %v; want it kept", v, ok)
	}
	c.Put(racing, "a", 1, "stale", t0)
	if _, ok := c.Get("a", t0); ok {
		t.Error("a fill that started before the drop was stored")
	}
	c.DropGroups(1)
	if c.Len() != 0 {
		t.Errorf("%d entries after their group was dropped", c.Len())
	}
}

// TestBudget: with a budget, the entries' costs add up to it at most, the
// least recently used going first, and a value dearer than the whole
// budget is not stored.
func TestBudget(t *testing.T) {
	c := New[string](10, time.Minute).WithBudget(10, func(v string) int { return len(v) })
	c.Start()
	c.Put(c.Ticket(), "a", 1, "aaaa", t0)
	c.Put(c.Ticket(), "b", 1, "bbbb", t0)
	c.Get("a", t0) // b is now the least recently used
	c.Put(c.Ticket(), "c", 1, "cccc", t0)
	if _, ok := c.Get("b", t0); ok || c.Len() != 2 {
		t.Errorf("b kept, or %d entries; want a and c only", c.Len())
	}
	c.Put(c.Ticket(), "d", 1, "ddddddddddd", t0)
	if _, ok := c.Get("d", t0); ok || c.Len() != 2 {
		t.Errorf("a value over the budget was stored, or evicted others: %d entries", c.Len())
	}
	c.Drop("a", "c")
	c.Put(c.Ticket(), "e", 1, "eeeeeeeeee", t0)
	if _, ok := c.Get("e", t0); !ok {
		t.Error("what dropped entries cost was not given back")
	}
}

// TestStopServesNothing: stopped, the cache forgets everything and
// stores nothing, until it starts again.
func TestStopServesNothing(t *testing.T) {
	c := New[string](10, time.Minute)
	c.Put(c.Ticket(), "a", 1, "A", t0)
	if c.Len() != 0 {
		t.Error("stored before Start")
	}
	c.Start()
	ticket := c.Ticket()
	c.Put(ticket, "a", 1, "A", t0)
	c.Stop()
	if _, ok := c.Get("a", t0); ok || c.Serving() || c.Len() != 0 {
		t.Error("a stopped cache serves or keeps entries")
	}
	c.Put(c.Ticket(), "a", 1, "A", t0)
	c.Start()
	c.Put(ticket, "a", 1, "A", t0)
	if _, ok := c.Get("a", t0); ok {
		t.Error("a stopped cache stored a fill, or one from before the stop")
	}
}
