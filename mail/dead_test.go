package mail_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/mail/mailtest"
	"roster/store"
	"roster/store/storetest"
)

// waitDead waits until n messages are dead.
func waitDead(t *testing.T, st *store.Store, n int64) {
	t.Helper()
	clocktest.Eventually(t, "the message to be dead", func() bool { return storetest.OutboxStats(t, st).Dead >= n })
}

// TestSenderDeadOn5xx: a message the server refuses for good is dead after
// its first attempt, logged with the server's answer, and never claimed
// again. Mail for no organization is only logged.
func TestSenderDeadOn5xx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv, clock := mailtest.Start(t, "127.0.0.1:0"), clocked(st)
		srv.Refuse(550, "5.1.1 no such mailbox")
		var logs mailtest.Buffer
		s := newSender(t, st, config("smtp://"+srv.Addr()+"?tls=none", slog.New(slog.NewTextHandler(&logs, nil)), clock))
		run(t, s)
		enqueue(t, st, roster.Mail{To: "nobody@example.com", Subject: "Verify your email", Body: "code"})
		s.Notify()
		waitDead(t, st, 1)

		if got := storetest.OutboxStats(t, st); got.Dead != 1 || got.Pending != 0 || !got.OldestPending.IsZero() {
			t.Errorf("OutboxStats = %+v, want 1 dead, none pending", got)
		}
		out := logs.String()
		for _, want := range []string{"level=ERROR", "dead", "550", "no such mailbox", "nobody@example.com", "Verify your email"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
		if got := srv.Received(); len(got) != 0 {
			t.Errorf("server received %d messages", len(got))
		}
		// Never due again, however long it waits.
		clock.Advance(365 * 24 * time.Hour)
		if m, ok, err := st.ClaimMail(context.Background(), clock.Now(), 2*time.Minute); ok || err != nil {
			t.Errorf("a dead message was claimed: %+v, %v", m, err)
		}
	})
}

// TestSenderGivesUpAfter: a message the server keeps deferring (4xx) is
// tried again after each back-off until GiveUpAfter has passed since it was
// queued; the attempt that fails after that makes it dead.
func TestSenderGivesUpAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv, clock := mailtest.Start(t, "127.0.0.1:0"), clocked(st)
		c := config("smtp://"+srv.Addr()+"?tls=none", discard, clock)
		c.GiveUpAfter, c.Backoff = time.Hour, func(int) time.Duration { return 20 * time.Minute }
		s := newSender(t, st, c)
		// Refused from the start: Run's first claim may find the message
		// before the loop below sets its refusal.
		srv.Refuse(451, "4.3.0 try again later (attempt 1)")
		run(t, s)
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Deferred", Body: "again and again"})
		// Attempts at 0, 20 and 40 minutes fail and leave it pending. Each
		// refusal names its attempt, so that the test sees the failure
		// recorded, not just the claim, before it moves the clock.
		for n := 1; n <= 3; n++ {
			refusal := fmt.Sprintf("4.3.0 try again later (attempt %d)", n)
			srv.Refuse(451, refusal)
			s.Notify()
			clocktest.Eventually(t, "the refusal to be recorded", func() bool {
				return strings.Contains(unsent(t, st).LastError, refusal)
			})
			if m := unsent(t, st); m.Attempts != n || !strings.Contains(m.LastError, "451") || storetest.OutboxStats(t, st).Dead != 0 {
				t.Fatalf("after attempt %d: %+v, %+v; want it pending with the 451", n, m, storetest.OutboxStats(t, st))
			}
			clock.Advance(20 * time.Minute)
		}
		// The attempt at 60 minutes is the last.
		s.Notify()
		waitDead(t, st, 1)
		if got := storetest.OutboxStats(t, st); got.Pending != 0 {
			t.Errorf("OutboxStats = %+v after giving up, want none pending", got)
		}
	})
}
