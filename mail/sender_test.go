package mail_test

import (
	"context"
	"io"
	"log/slog"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/mail"
	"roster/mail/mailtest"
	"roster/store"
	"roster/store/storetest"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// fast returns a config that retries and polls quickly.
func fast(url string, log *slog.Logger) mail.Config {
	return mail.Config{URL: url, From: "Roster <noreply@roster.test>", Log: log,
		Backoff: func(int) time.Duration { return 50 * time.Millisecond }, Poll: 20 * time.Millisecond}
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
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context ended")
		}
	}
	t.Cleanup(stop)
	return stop
}

func newSender(t *testing.T, st *store.Store, c mail.Config) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(st, c)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor polls cond until it holds, for at most a few seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
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
		c := fast("smtp://"+srv.Addr(), discard)
		c.Poll = time.Hour // only Notify can wake the sender in time
		s := newSender(t, st, c)
		run(t, s)

		// The second message is queued while the sender waits.
		for i, m := range []roster.Mail{
			{To: "ann@example.com", Subject: "Invitation à Roster", Body: "Bonjour Ann,\nvous êtes invitée."},
			{To: "Bob <bob@example.com>", Subject: "Second", Body: "Hello Bob"},
		} {
			enqueue(t, st, m)
			id := unsent(t, st).MessageID
			s.Notify()
			waitFor(t, "the message to be sent", func() bool { return pending(t, st) == 0 })
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

func TestSenderRetriesUntilServerUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		addr := mailtest.DownAddr(t)
		run(t, newSender(t, st, fast("smtp://"+addr+"?tls=none", discard)))
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Retry", Body: "Eventually."})

		waitFor(t, "a second failed attempt", func() bool {
			m := unsent(t, st)
			return m.Attempts >= 2 && m.LastError != ""
		})
		if m := unsent(t, st); !strings.Contains(m.LastError, "refused") {
			t.Errorf("last error %q does not say the connection was refused", m.LastError)
		}
		id := unsent(t, st).MessageID

		srv := mailtest.Start(t, addr)
		waitFor(t, "the message to be sent", func() bool { return pending(t, st) == 0 })
		got := srv.Received()
		if len(got) != 1 {
			t.Fatalf("server received %d messages, want exactly 1", len(got))
		}
		if p := parse(t, got[0]); p.messageID != "<"+id+">" || p.subject != "Retry" {
			t.Errorf("received %+v, want the queued message %s", p, id)
		}
	})
}

func TestSenderRestart(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		var queued roster.OutboxMessage
		func() {
			st := storetest.OpenAt(t, dir, url)
			defer st.Close()
			stop := run(t, newSender(t, st, fast("smtp://"+mailtest.DownAddr(t), discard)))
			enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Survives", Body: "a restart"})
			waitFor(t, "a failed attempt", func() bool { return unsent(t, st).LastError != "" })
			stop()
			queued = unsent(t, st)
		}()

		st := storetest.OpenAt(t, dir, url)
		t.Cleanup(func() { st.Close() })
		srv := mailtest.Start(t, "127.0.0.1:0")
		run(t, newSender(t, st, fast("smtp://"+srv.Addr(), discard)))
		waitFor(t, "the message to be sent", func() bool { return pending(t, st) == 0 })
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
		run(t, newSender(t, st, fast("", slog.New(slog.NewTextHandler(&logs, nil)))))
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "Your invitation", Body: "Open https://roster.test/i/TOKEN"})
		waitFor(t, "the message to be marked sent", func() bool { return pending(t, st) == 0 })
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
		s := newSender(t, st, fast("smtp://alice:"+password+"@"+mailtest.DownAddr(t), slog.New(slog.NewTextHandler(&logs, nil))))
		stop := run(t, s)
		enqueue(t, st, roster.Mail{To: "ann@example.com", Subject: "S", Body: "B"})
		waitFor(t, "a failed attempt", func() bool { return unsent(t, st).LastError != "" })
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
