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

func TestIncrementCarries(t *testing.T) {
	d := []byte("0zz")
	increment(d)
	if string(d) != "100" {
		t.Errorf("0zz + 1 = %s, want 100", d)
	}
}
