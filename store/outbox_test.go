package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"roster"
	"roster/clocktest"
	"roster/store"
	"roster/store/storetest"
)

func enqueue(t *testing.T, st *store.Store, ms ...roster.Mail) {
	t.Helper()
	for _, m := range ms {
		if err := st.EnqueueMail(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func claim(t *testing.T, st *store.Store, now time.Time) (roster.OutboxMessage, bool) {
	t.Helper()
	m, ok, err := st.ClaimMail(context.Background(), now, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return m, ok
}

func pending(t *testing.T, st *store.Store) int64 {
	t.Helper()
	n, err := st.PendingMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestClaimMailOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clock := clocktest.NewClock()
		st.SetClock(clock.Now)
		want := []roster.Mail{
			{To: "a@example.com", Subject: "First", Body: "one"},
			{To: "Bé <b@example.com>", Subject: "Deuxième", Body: "deux\nlignes"},
			{To: "c@example.com", Subject: "Third", Body: "three"},
		}
		enqueue(t, st, want...)
		if n := pending(t, st); n != 3 {
			t.Errorf("PendingMail = %d, want 3", n)
		}
		now := clock.Now()
		ids := map[string]bool{}
		for i, w := range want {
			m, ok := claim(t, st, now)
			if !ok {
				t.Fatalf("claim %d: nothing due", i)
			}
			if m.Mail != w || m.Attempts != 1 || m.LastError != "" {
				t.Errorf("claim %d = %+v, want %+v at attempt 1", i, m, w)
			}
			if !strings.HasSuffix(m.MessageID, "@roster") || ids[m.MessageID] {
				t.Errorf("claim %d: Message-ID %q is not a fresh ...@roster", i, m.MessageID)
			}
			ids[m.MessageID] = true
			if !m.CreatedAt.Equal(now) {
				t.Errorf("claim %d: CreatedAt %v, want the time it was queued, %v", i, m.CreatedAt, now)
			}
		}
		if m, ok := claim(t, st, now); ok {
			t.Errorf("fourth claim got %+v; all three are leased", m)
		}
		if n := pending(t, st); n != 3 {
			t.Errorf("PendingMail = %d after claims, want 3: leased is not sent", n)
		}
	})
}

func TestClaimMailLease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		enqueue(t, st, roster.Mail{To: "a@example.com", Subject: "S", Body: "B"})
		t0 := time.Now()
		first, ok := claim(t, st, t0)
		if !ok {
			t.Fatal("nothing due")
		}
		if m, ok := claim(t, st, t0.Add(time.Minute-time.Second)); ok {
			t.Fatalf("claimed %+v again while its lease holds", m)
		}
		again, ok := claim(t, st, t0.Add(time.Minute))
		if !ok {
			t.Fatal("an expired lease is not reclaimable")
		}
		if again.ID != first.ID || again.MessageID != first.MessageID || again.Attempts != 2 {
			t.Errorf("reclaimed %+v, want message %d (%s) at attempt 2", again, first.ID, first.MessageID)
		}
	})
}

func TestMarkMailSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		enqueue(t, st, roster.Mail{To: "a@example.com", Subject: "S", Body: "B"}, roster.Mail{To: "b@example.com"})
		t0 := time.Now()
		m, _ := claim(t, st, t0)
		if err := st.MarkMailSent(ctx, m.ID, t0); err != nil {
			t.Fatal(err)
		}
		if n := pending(t, st); n != 1 {
			t.Errorf("PendingMail = %d, want 1", n)
		}
		// Long after the lease, only the other message is due.
		other, ok := claim(t, st, t0.Add(time.Hour))
		if !ok || other.To != "b@example.com" {
			t.Errorf("claim after sending got %+v, %v; want the other message", other, ok)
		}
		// Once the other's lease has expired, it is the only one due again.
		if got, ok := claim(t, st, t0.Add(2*time.Hour)); !ok || got.ID != other.ID {
			t.Errorf("claim after the lease got %+v, %v; want the other message again, never the sent one", got, ok)
		}
		if err := st.MarkMailSent(ctx, m.ID+1000, t0); err == nil {
			t.Error("MarkMailSent of an unknown message succeeded")
		}
	})
}

func TestMarkMailFailed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		enqueue(t, st, roster.Mail{To: "a@example.com", Subject: "S", Body: "B"})
		t0 := time.Now()
		m, _ := claim(t, st, t0)
		// 999 bytes, then a 2-byte character across the 1000-byte limit.
		reason := strings.Repeat("x", 999) + "é" + strings.Repeat("y", 500)
		next := t0.Add(10 * time.Minute)
		if err := st.MarkMailFailed(ctx, m.ID, next, reason); err != nil {
			t.Fatal(err)
		}
		// The lease is cleared, but the message waits for next.
		if got, ok := claim(t, st, next.Add(-time.Second)); ok {
			t.Fatalf("claimed %+v before its next attempt", got)
		}
		unsent, err := st.UnsentMail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(unsent) != 1 || unsent[0].Attempts != 1 || unsent[0].LastError != strings.Repeat("x", 999) {
			t.Errorf("UnsentMail = %+v, want the message at 1 attempt with its error cut to 999 x", unsent)
		}
		got, ok := claim(t, st, next)
		if !ok {
			t.Fatal("a failed message is not due at its next attempt")
		}
		if got.ID != m.ID || got.Attempts != 2 || !utf8.ValidString(got.LastError) || len(got.LastError) > 1000 {
			t.Errorf("retry = %+v, want message %d at attempt 2 with a valid error of at most 1000 bytes", got, m.ID)
		}
		if err := st.MarkMailFailed(ctx, m.ID+1000, next, "x"); err == nil {
			t.Error("MarkMailFailed of an unknown message succeeded")
		}
	})
}

// TestClaimMailConcurrent claims from two stores on one database, as two
// processes would, each with several goroutines: every message must go to
// exactly one claimer.
func TestClaimMailConcurrent(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		a := storetest.OpenAt(t, dir, url)
		t.Cleanup(func() { a.Close() })
		b := storetest.OpenAt(t, dir, url)
		t.Cleanup(func() { b.Close() })
		const n = 40
		for i := range n {
			enqueue(t, a, roster.Mail{To: fmt.Sprintf("%d@example.com", i), Subject: "S", Body: "B"})
		}
		now := time.Now()
		var mu sync.Mutex
		claims := map[int64]int{}
		var claimed atomic.Int64
		deadline := clocktest.Deadline(t)
		var wg sync.WaitGroup
		for g := range 8 {
			st := []*store.Store{a, b}[g%2]
			wg.Go(func() {
				// A claimer may find nothing while another holds the last
				// rows' locks, so claim until all are taken.
				for claimed.Load() < n && time.Now().Before(deadline) {
					m, ok, err := st.ClaimMail(context.Background(), now, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						claimed.Add(1)
						mu.Lock()
						claims[m.ID]++
						mu.Unlock()
					}
				}
			})
		}
		wg.Wait()
		if len(claims) != n {
			t.Errorf("%d distinct messages claimed, want %d", len(claims), n)
		}
		for id, c := range claims {
			if c != 1 {
				t.Errorf("message %d claimed %d times while leased", id, c)
			}
		}
	})
}

// TestMarkMailDead: a dead message is never claimed again and counts as
// dead, not pending; a message sent meanwhile stays sent.
func TestMarkMailDead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := clocktest.NewClock()
		st.SetClock(clock.Now)
		t0 := clock.Now()
		enqueue(t, st, roster.Mail{To: "a@example.com", Subject: "First", Body: "B"})
		clock.Advance(time.Minute)
		enqueue(t, st, roster.Mail{To: "b@example.com", Subject: "Second", Body: "B"})
		if got := storetest.OutboxStats(t, st); got.Pending != 2 || !got.OldestPending.Equal(t0) || got.Dead != 0 {
			t.Errorf("OutboxStats = %+v, want 2 pending since %v", got, t0)
		}

		first, _ := claim(t, st, clock.Now())
		if err := st.MarkMailDead(ctx, first.ID, clock.Now(), "550 no such user"); err != nil {
			t.Fatal(err)
		}
		if got := storetest.OutboxStats(t, st); got.Pending != 1 || !got.OldestPending.Equal(t0.Add(time.Minute)) || got.Dead != 1 {
			t.Errorf("OutboxStats = %+v, want 1 pending since %v and 1 dead", got, t0.Add(time.Minute))
		}
		clock.Advance(time.Hour) // past the lease
		second, ok := claim(t, st, clock.Now())
		if !ok || second.Subject != "Second" {
			t.Fatalf("claimed %+v, %v; want the second message, not the dead one", second, ok)
		}
		if err := st.MarkMailSent(ctx, second.ID, clock.Now()); err != nil {
			t.Fatal(err)
		}
		if m, ok := claim(t, st, clock.Now().Add(time.Hour)); ok {
			t.Errorf("claimed %+v: the dead message is due again", m)
		}
		if err := st.MarkMailDead(ctx, second.ID, clock.Now(), "late"); err != nil {
			t.Fatal(err)
		}
		if got := storetest.OutboxStats(t, st); got.Pending != 0 || !got.OldestPending.IsZero() || got.Dead != 1 {
			t.Errorf("OutboxStats = %+v, want none pending and the one dead: a sent message stays sent", got)
		}
	})
}

// TestDeadMailRollBack: migration 13 rolls back with the organization's
// dead mail turned unsent again, which the older roster retries, and
// forward again.
func TestDeadMailRollBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		if _, err := st.CreateInvitation(ctx, org.ID, org.OwnerUID, "bounce@example.com", "", time.Hour, roster.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		m, _ := claim(t, st, time.Now())
		if err := st.MarkMailDead(ctx, m.ID, time.Now(), "550 no such user"); err != nil {
			t.Fatal(err)
		}
		if dead, err := st.DeadMail(ctx, org.ID, "", 10); err != nil || len(dead) != 1 || dead[0].To != "bounce@example.com" {
			t.Fatalf("DeadMail = %+v, %v; want the invitation", dead, err)
		}
		if err := st.MigrateDownTo(ctx, 12, quiet); err != nil {
			t.Fatal(err)
		}
		var unsent int
		if err := st.DB().QueryRow(`SELECT count(*) FROM outbox WHERE sent_at IS NULL`).Scan(&unsent); err != nil || unsent != 1 {
			t.Fatalf("schema 12: %d unsent (%v), want the dead message unsent", unsent, err)
		}
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		if dead, err := st.DeadMail(ctx, org.ID, "", 10); err != nil || len(dead) != 0 || pending(t, st) != 1 {
			t.Errorf("migrated again: dead %+v (%v), %d pending; want it pending", dead, err, pending(t, st))
		}
	})
}
