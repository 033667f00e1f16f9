package roster

import (
	"testing"
	"time"
)

func TestNewUIDIncreases(t *testing.T) {
	now := time.Now()
	prev := NewUID(now)
	for i := range 10000 {
		// The same millisecond, and a clock that steps back, still increase.
		at := now
		if i%100 == 0 {
			at = now.Add(-time.Second)
		}
		uid := NewUID(at)
		if uid <= prev || len(uid) != 20 || !ValidUID(uid) {
			t.Fatalf("uid %q after %q", uid, prev)
		}
		prev = uid
	}
	later := NewUID(now.Add(time.Hour))
	if later[:9] <= prev[:9] {
		t.Errorf("a later time does not lead: %q after %q", later, prev)
	}
}

// TestSameMillisecondGapsTellNothing: two uids made in one millisecond
// are not one apart, so that their gap does not count the uids made for
// others between them.
func TestSameMillisecondGapsTellNothing(t *testing.T) {
	now := time.Now()
	prev := NewUID(now)
	ones := 0
	for range 100 {
		uid := NewUID(now)
		next := []byte(prev)
		add(next[9:], 1)
		if uid == string(next) {
			ones++
		}
		prev = uid
	}
	if ones > 1 {
		t.Errorf("%d of 100 uids in one millisecond followed the last by one", ones)
	}
}

func TestAddCarries(t *testing.T) {
	for _, c := range []struct {
		from string
		n    uint64
		want string
	}{{"0zz", 1, "100"}, {"000", 0, "000"}, {"000", 62*62 + 62 + 61, "11z"}, {"0z0", 62, "100"}} {
		d := []byte(c.from)
		add(d, c.n)
		if string(d) != c.want {
			t.Errorf("%s + %d = %s, want %s", c.from, c.n, d, c.want)
		}
	}
}

func TestNewUIDsReservesABlock(t *testing.T) {
	now := time.Now()
	before := NewUID(now)
	uid := NewUIDs(now, 1000)
	after := NewUID(now)
	prev := before
	for i := range 1000 {
		u := uid(i)
		if u <= prev || !ValidUID(u) || len(u) != 20 {
			t.Fatalf("uid %d = %q after %q", i, u, prev)
		}
		prev = u
	}
	if after <= prev {
		t.Errorf("NewUID after the block = %q, not after its last %q", after, prev)
	}
}

func TestUIDAfterKeepsItsOwnSequence(t *testing.T) {
	now := time.Now()
	first := UIDAfter(now, "")
	// The process's own uids in between leave no trace in this sequence.
	NewUIDs(now, 1000)
	second := UIDAfter(now, first)
	// A step of at most 2³² after first: the block of 1000 did not move it.
	limit := []byte(first)
	add(limit[9:], 1<<32)
	if second[:9] != first[:9] || second <= first || second > string(limit) {
		t.Errorf("UIDAfter(same millisecond, %q) = %q, not a step of 1 to 2³² after it", first, second)
	}
	if later := UIDAfter(now.Add(time.Millisecond), second); later[:9] <= second[:9] || len(later) != 20 || !ValidUID(later) {
		t.Errorf("UIDAfter(next millisecond, %q) = %q: not a new uid of that millisecond", second, later)
	}
	if fresh := UIDAfter(now, ""); fresh[:9] != first[:9] || fresh == first {
		t.Errorf("UIDAfter(now, \"\") = %q: not a new uid of now (the first was %q)", fresh, first)
	}
}
