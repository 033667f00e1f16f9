package mail_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/mail"
	"roster/mail/mailtest"
	"roster/store"
	"roster/store/storetest"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// clocked gives st a clock that moves only when the test moves it.
func clocked(st *store.Store) *clocktest.Clock {
	clock := clocktest.NewClock()
	st.SetClock(clock.Now)
	return clock
}

// config returns a sender's config on clock, the store's: mail whose
// back-off has not run out on it is not due. The sender looks for mail
// only when notified, or when Run starts.
func config(url string, log *slog.Logger, clock *clocktest.Clock) mail.Config {
	return mail.Config{URL: url, From: "Roster <noreply@roster.test>", Log: log, Now: clock.Now, Poll: time.Hour}
}

// run starts s.Run and returns a function that stops it and waits for Run
// to return; t's cleanup calls it too.
func run(t *testing.T, s *mail.Sender) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	stop = func() {
		cancel()
		clocktest.Eventually(t, "Run to return after its context ended", closed(done))
	}
	t.Cleanup(stop)
	return stop
}

// closed returns a condition that holds once ch is closed.
func closed(ch <-chan struct{}) func() bool {
	return func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}

func newSender(t *testing.T, st *store.Store, c mail.Config) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(st, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func enqueue(t *testing.T, st *store.Store, m roster.Mail) {
	t.Helper()
	if err := st.EnqueueMail(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

func pending(t *testing.T, st *store.Store) int64 {
	t.Helper()
	n, err := st.PendingMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// unsent returns the one unsent message.
func unsent(t *testing.T, st *store.Store) roster.OutboxMessage {
	t.Helper()
	ms, err := st.UnsentMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("%d unsent messages, want 1", len(ms))
	}
	return ms[0]
}

// parsed is a received message decoded as a mail reader would.
type parsed struct {
	to, subject, body, messageID string
}

func parse(t *testing.T, r mailtest.Message) parsed {
	t.Helper()
	header, b := mailtest.Read(t, r)
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	to, err := header.AddressList("To")
	if err != nil || len(to) != 1 {
		t.Fatalf("To %q: %v", header.Get("To"), err)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want text/plain", ct)
	}
	return parsed{to: to[0].Address, subject: subject, messageID: header.Get("Message-Id"),
		body: strings.TrimRight(strings.ReplaceAll(b, "\r\n", "\n"), "\n")}
}

func TestSenderDelivers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv := mailtest.Start(t, "127.0.0.1:0")
		for i, m := range []roster.Mail{
			{To: "ann@example.com", Subject: "Invitation à Roster", Body: "Bonjour Ann,\nvous êtes invitée."},
			{To: "Bob <bob@example.com>", Subject: "Second", Body: "Hello Bob"},
		} {
			// The message's id is read before any sender runs: a running
			// one may send it first, even before Notify (its first claim).
			enqueue(t, st, m)
			id := unsent(t, st).MessageID
			s := newSender(t, st, config("smtp://"+srv.Addr(), discard, clocked(st)))
			stop := run(t, s)
			s.Notify()
			clocktest.Eventually(t, "the message to be sent", func() bool { return pending(t, st) == 0 })
			stop()
			got := srv.Received()
			if len(got) != i+1 {
				t.Fatalf("server received %d messages, want %d", len(got), i+1)
			}
			r := got[i]
			addr, _ := netmail.ParseAddress(m.To)
			if r.From != "noreply@roster.test" || len(r.To) != 1 || r.To[0] != addr.Address {
				t.Errorf("envelope from %q to %q, want noreply@roster.test to %s", r.From, r.To, addr.Address)
			}
			p := parse(t, r)
			if p.to != addr.Address || p.subject != m.Subject || p.body != m.Body || p.messageID != "<"+id+">" {
				t.Errorf("received %+v\nwant to %s, subject %q, body %q, Message-Id <%s>", p, addr.Address, m.Subject, m.Body, id)
			}
		}
	})
}

// failed waits for the message's attempt n to fail.
func failed(t *testing.T, st *store.Store, n int) roster.OutboxMessage {
	t.Helper()
	clocktest.Eventually(t, fmt.Sprintf("failed attempt %d", n), func() bool {
		m := unsent(t, st)
		return m.Attempts >= n && m.LastError != ""
	})
	return unsent(t, st)
}

// TestSenderRetriesUntilServerUp: a failed delivery is tried again once
// its back-off has run out, and not before.
func TestSenderRetriesUntilServerUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		addr, clock := mailtest.DownAddr(t), clocked(st)
		s := newSender(t, st, config("smtp://"+addr+"?tls=none", discard, clock))
		run(t, s)
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Retry", Body: "Eventually."})
		s.Notify()
		failed(t, st, 1)
		clock.Advance(mail.DefaultBackoff(1))
		s.Notify()
		m := failed(t, st, 2)
		if !strings.Contains(m.LastError, "refused") {
			t.Errorf("last error %q does not say the connection was refused", m.LastError)
		}

		// With the server up, a new message goes at once; the failed one
		// waits out its back-off.
		srv := mailtest.Start(t, addr)
		enqueue(t, st, roster.Mail{To: "bob@example.com", Subject: "New", Body: "At once."})
		s.Notify()
		clocktest.Eventually(t, "the new message to be sent", func() bool { return pending(t, st) == 1 })
		if again := unsent(t, st); again.MessageID != m.MessageID || again.Attempts != 2 {
			t.Errorf("before its back-off ran out, the failed message is %+v", again)
		}
		clock.Advance(mail.DefaultBackoff(2))
		s.Notify()
		clocktest.Eventually(t, "the failed message to be sent", func() bool { return pending(t, st) == 0 })
		got := srv.Received()
		if len(got) != 2 {
			t.Fatalf("server received %d messages, want exactly 2", len(got))
		}
		if p := parse(t, got[1]); p.messageID != "<"+m.MessageID+">" || p.subject != "Retry" {
			t.Errorf("received %+v, want the queued message %s", p, m.MessageID)
		}
	})
}

func TestSenderRestart(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		var queued roster.OutboxMessage
		clock := clocktest.NewClock()
		func() {
			st := storetest.OpenAt(t, dir, url)
			defer st.Close()
			st.SetClock(clock.Now)
			s := newSender(t, st, config("smtp://"+mailtest.DownAddr(t), discard, clock))
			stop := run(t, s)
			enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Survives", Body: "a restart"})
			s.Notify()
			queued = failed(t, st, 1)
			stop()
		}()

		st := storetest.OpenAt(t, dir, url)
		t.Cleanup(func() { st.Close() })
		st.SetClock(clock.Now)
		clock.Advance(mail.DefaultBackoff(1))
		srv := mailtest.Start(t, "127.0.0.1:0")
		run(t, newSender(t, st, config("smtp://"+srv.Addr(), discard, clock))) // Run looks at once
		clocktest.Eventually(t, "the message to be sent", func() bool { return pending(t, st) == 0 })
		got := srv.Received()
		if len(got) != 1 {
			t.Fatalf("server received %d messages, want exactly 1", len(got))
		}
		p := parse(t, got[0])
		if p.messageID != "<"+queued.MessageID+">" || p.body != "a restart" {
			t.Errorf("received %+v, want message %s", p, queued.MessageID)
		}
	})
}

func TestSenderWithoutSMTPLogs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var logs mailtest.Buffer
		s := newSender(t, st, config("", slog.New(slog.NewTextHandler(&logs, nil)), clocked(st)))
		run(t, s)
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Your invitation", Body: "Open https://roster.test/i/TOKEN"})
		s.Notify()
		clocktest.Eventually(t, "the message to be marked sent", func() bool { return pending(t, st) == 0 })
		for _, want := range []string{"level=INFO", "ann@example.com", "Your invitation", "https://roster.test/i/TOKEN"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
		}
	})
}

func TestSenderNeverLogsPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		const password = "s3cret-pw"
		var logs mailtest.Buffer
		s := newSender(t, st, config("smtp://alice:"+password+"@"+mailtest.DownAddr(t), slog.New(slog.NewTextHandler(&logs, nil)), clocked(st)))
		stop := run(t, s)
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "S", Body: "B"})
		s.Notify()
		failed(t, st, 1)
		stop()
		out := logs.String()
		if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "alice") {
			t.Errorf("log lacks the failure or the server's user:\n%s", out)
		}
		if strings.Contains(out, password) || strings.Contains(unsent(t, st).LastError, password) {
			t.Errorf("the password is logged or stored:\n%s", out)
		}
	})
}

func TestNewSenderURLs(t *testing.T) {
	from := "noreply@roster.test"
	for _, tc := range []struct {
		url, from string
		lease     time.Duration
		ok        bool
	}{
		{"", "", 0, true},
		{"smtp://mail.example.com", from, 0, true},
		{"smtp://mail.example.com:2525", from, 0, true},
		{"smtp://user:pass@mail.example.com:587", from, 0, true},
		{"smtps://user:pass@mail.example.com", from, 0, true},
		{"smtp://127.0.0.1:25?tls=none", from, 0, true},
		{"smtp://mail.example.com", "", 0, false}, // no From
		{"smtp://mail.example.com", "not an address", 0, false},
		{"smtps://mail.example.com?tls=none", from, 0, false}, // contradictory
		{"smtp://mail.example.com?tls=yes", from, 0, false},
		{"smtp://mail.example.com?tsl=none", from, 0, false}, // a typo must not pass unnoticed
		{"http://mail.example.com", from, 0, false},
		{"smtp://", from, 0, false},
		{"smtp://mail.example.com/path", from, 0, false},
		{"smtp://mail.example.com:99999", from, 0, false},
		{"smtp://user:hunter2@mail.example.com:port", from, 0, false},
		{"smtp://user:hunter2@mail.example.com:99999", from, 0, false},
		{"smtp://user:hunter2@mail.example.com/%zz", from, 0, false},
		{"ftp://user:hunter2@mail.example.com", from, 0, false},
		{"mail.example.com:25", from, 0, false},
		{"smtp://mail.example.com", from, 10 * time.Second, false}, // lease shorter than a delivery
	} {
		_, err := mail.NewSender(nil, mail.Config{URL: tc.url, From: tc.from, Lease: tc.lease})
		if (err == nil) != tc.ok {
			t.Errorf("NewSender(%q, From %q, Lease %v): err %v, want ok %v", tc.url, tc.from, tc.lease, err, tc.ok)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("NewSender(%q) error quotes the password: %v", tc.url, err)
		}
	}
}

func TestDefaultBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{
		0: 10 * time.Second, 1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second,
		9: 2560 * time.Second, 10: time.Hour, 1000: time.Hour,
	} {
		if got := mail.DefaultBackoff(attempt); got != want {
			t.Errorf("DefaultBackoff(%d) = %v, want %v", attempt, got, want)
		}
	}
}

// TestSenderShutdownGivesUpStuckDelivery: on Shutdown the sender claims no
// more mail at once, gives up a delivery to a server that never answers
// when Shutdown's deadline passes, and leaves its message due at once.
func TestSenderShutdownGivesUpStuckDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		srv, clock := mailtest.StartMute(t), clocked(st)
		s := newSender(t, st, config("smtp://"+srv.Addr()+"?tls=none", discard, clock))
		run(t, s)
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Stuck", Body: "never greeted"})
		enqueue(t, st, roster.Mail{To: "bob@example.com", Subject: "Queued", Body: "behind it"})
		s.Notify()
		srv.WaitAccepted(t, 1)

		deadline, passed := context.WithCancel(context.Background())
		returned := make(chan struct{})
		go func() { s.Shutdown(deadline); close(returned) }()
		// Before its deadline Shutdown waits for the delivery, which the
		// server never lets end.
		if closed(returned)() {
			t.Fatal("Shutdown returned before its deadline, with a delivery under way")
		}
		passed()
		clocktest.Eventually(t, "Shutdown to return once its deadline passed", closed(returned))

		ms, err := st.UnsentMail(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 2 || ms[0].Attempts != 1 || !strings.Contains(ms[0].LastError, "shut down") || ms[1].Attempts != 0 {
			t.Fatalf("after shutdown the outbox holds %+v; want the stuck message interrupted once and the other never claimed", ms)
		}
		// Due at once, not after a back-off or the lease: the next start
		// sends it first.
		m, ok, err := st.ClaimMail(context.Background(), clock.Now(), 2*time.Minute)
		if err != nil || !ok || m.ID != ms[0].ID {
			t.Errorf("claim after shutdown: %+v, %v, %v; want message %d", m, ok, err, ms[0].ID)
		}
	})
}

// TestSenderShutdownWhileIdle: Shutdown of an idle sender returns without
// waiting for its deadline.
func TestSenderShutdownWhileIdle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s := newSender(t, st, config("", discard, clocked(st)))
		run(t, s)
		s.Shutdown(context.Background()) // no deadline: it would never return if it waited
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Later", Body: "after shutdown"})
		s.Notify()
		if n := pending(t, st); n != 1 {
			t.Errorf("%d messages pending after shutdown, want 1", n)
		}
	})
}

// TestSenderPrunes: mail sent or given up on is deleted once older than
// the retention, and mail still to send never is.
func TestSenderPrunes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := clocked(st)
		s := newSender(t, st, config("", slog.New(slog.DiscardHandler), clock))
		for _, to := range []string{"sent@example.com", "dead@example.com"} {
			enqueue(t, st, roster.Mail{To: to, Subject: "Hello", Body: "Hi"})
		}
		stop := run(t, s)
		s.Notify()
		clocktest.Eventually(t, "both messages to be marked sent", func() bool { return pending(t, st) == 0 })
		stop()
		enqueue(t, st, roster.Mail{To: "dead@example.com", Subject: "Given up", Body: "Hi"})
		if err := st.MarkMailDead(ctx, unsent(t, st).ID, clock.Now(), "550 no such user"); err != nil {
			t.Fatal(err)
		}
		enqueue(t, st, roster.Mail{To: "later@example.com", Subject: "Still to send", Body: "Hi"})

		clock.Advance(30*24*time.Hour - time.Second)
		if n, err := s.Prune(ctx); err != nil || n != 0 {
			t.Fatalf("a prune within the retention deleted %d (%v)", n, err)
		}
		clock.Advance(2 * time.Second)
		if n, err := s.Prune(ctx); err != nil || n != 3 {
			t.Fatalf("a prune past the retention deleted %d (%v), want the 2 sent and the dead one", n, err)
		}
		if stats := storetest.OutboxStats(t, st); stats.Pending != 1 || stats.Dead != 0 {
			t.Errorf("after the prune: %+v; want the message still to send only", stats)
		}
	})
}
