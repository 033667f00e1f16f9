package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"roster/clocktest"
	"roster/internal/nettest"
	"roster/mail/mailtest"
	"roster/store"
	"roster/store/storetest"
)

// server is a real `roster serve` running in the test process.
type server struct {
	t      *testing.T
	url    string
	cancel context.CancelFunc
	done   chan error
	logs   *mailtest.Buffer
	exited bool
}

// startServe runs serve with args on a free port, waits until it is ready,
// and stops it when t ends unless the test stops it first.
func startServe(t *testing.T, args ...string) *server {
	t.Helper()
	addr := nettest.FreeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{t: t, url: "http://" + addr, cancel: cancel, done: make(chan error, 1), logs: &mailtest.Buffer{}}
	go func() { s.done <- run(ctx, append([]string{"serve", "--addr", addr}, args...), io.Discard, s.logs) }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.logs.String())
		}
	})
	s.waitReady()
	return s
}

// waitReady polls /readyz, and gives up early if serve has already exited.
func (s *server) waitReady() {
	s.t.Helper()
	deadline := clocktest.Deadline(s.t)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.exited = true
			s.t.Fatalf("serve exited before it was ready: %v\n%s", err, s.logs.String())
		default:
		}
		if res, err := http.Get(s.url + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("%s not ready", s.url)
}

// stop cancels serve's context, as a signal does, and waits for run to
// return; it may take the mail sender's send timeout at worst.
func (s *server) stop() {
	s.t.Helper()
	if s.exited {
		return
	}
	s.exited = true
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("serve after shutdown: %v", err)
		}
	case <-time.After(time.Until(clocktest.Deadline(s.t))):
		s.t.Error("serve did not stop")
	}
}

// call sends v as JSON (none if nil) with the extra headers and returns the
// status and body.
func (s *server) call(method, path string, header map[string]string, v any) (int, []byte) {
	s.t.Helper()
	var body io.Reader
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			s.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	r, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if v != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, val := range header {
		r.Header.Set(k, val)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, b
}

// invite has key's owner invite coach@example.com and returns the token.
func (s *server) invite(key string) string {
	s.t.Helper()
	status, body := s.call("POST", "/admin-management/invitation/", map[string]string{"API-KEY": key},
		map[string]string{"user_email": "coach@example.com", "platform_link": "https://app.example.com/join"})
	var inv struct {
		InviteToken string `json:"invite_token"`
	}
	if status != 201 || json.Unmarshal(body, &inv) != nil || inv.InviteToken == "" {
		s.t.Fatalf("invitation: %d %s", status, body)
	}
	return inv.InviteToken
}

// login signs in and returns the status and the access token.
func (s *server) login(email, password string) (int, string) {
	s.t.Helper()
	status, body := s.call("POST", "/auth/login", nil, map[string]string{"email": email, "password": password})
	var tk struct {
		Token string `json:"token"`
	}
	if status == 200 {
		if err := json.Unmarshal(body, &tk); err != nil {
			s.t.Fatalf("login answered %s: %v", body, err)
		}
	}
	return status, tk.Token
}

// dbArgs returns the flags of a fresh database on engine, and the directory
// and URL ("" for SQLite) to open it from the test. The flags are clipped,
// so that appending to them always makes a new slice.
func dbArgs(t *testing.T, engine string) (args []string, dir, url string) {
	dir, url = t.TempDir(), storetest.DatabaseURL(t, engine)
	args = []string{"--data", dir}
	if url != "" {
		args = append(args, "--database-url", url)
	}
	return slices.Clip(args), dir, url
}

const mailFrom = "Roster Invites <invites@roster.test>"

// checkInvitationMail checks that m is the invitation email for token, as
// a mail reader would see it.
func checkInvitationMail(t *testing.T, m mailtest.Message, token string) {
	t.Helper()
	if m.From != "invites@roster.test" || len(m.To) != 1 || m.To[0] != "coach@example.com" {
		t.Errorf("envelope from %q to %q, want invites@roster.test to coach@example.com", m.From, m.To)
	}
	header, b := mailtest.Read(t, m)
	from, err := header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Address != "invites@roster.test" || from[0].Name != "Roster Invites" {
		t.Errorf("From %q (%v), want %s", header.Get("From"), err, mailFrom)
	}
	to, err := header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Address != "coach@example.com" {
		t.Errorf("To %q (%v), want coach@example.com", header.Get("To"), err)
	}
	if link := "https://app.example.com/join?invite_token=" + token; !strings.Contains(b, link) {
		t.Errorf("body lacks the link %s:\n%s", link, b)
	}
}

// TestInvitationMailThroughServe follows an invitation from the HTTP API to
// the SMTP server that serve was configured with.
func TestInvitationMailThroughServe(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		db, _, _ := dbArgs(t, engine)
		owner := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
		smtp := mailtest.Start(t, "127.0.0.1:0")
		s := startServe(t, append(db, "--smtp-url", "smtp://"+smtp.Addr()+"?tls=none", "--mail-from", mailFrom,
			"--link-origins", "https://app.example.com")...)

		token := s.invite(owner.APIKey)
		got := smtp.WaitFor(t, 1)
		if len(got) != 1 {
			t.Fatalf("received %d messages, want 1", len(got))
		}
		checkInvitationMail(t, got[0], token)
	})
}

// TestInvitationMailAfterSMTPOutage queues an invitation while the SMTP
// server is down, restarts serve once it is up, and expects the email
// exactly once.
func TestInvitationMailAfterSMTPOutage(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		// Each engine waits out the sender's back-off; side by side they
		// wait once.
		t.Parallel()
		db, dir, url := dbArgs(t, engine)
		owner := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
		smtpAddr := mailtest.DownAddr(t)
		args := append(db, "--smtp-url", "smtp://"+smtpAddr+"?tls=none", "--mail-from", mailFrom, "--link-origins", "https://app.example.com")

		first := startServe(t, args...)
		token := first.invite(owner.APIKey)
		st := storetest.OpenAt(t, dir, url)
		defer st.Close()
		clocktest.Eventually(t, "a failed delivery attempt", func() bool {
			ms, err := st.UnsentMail(context.Background())
			return err == nil && len(ms) == 1 && strings.Contains(ms[0].LastError, "refused")
		})
		first.stop()

		// Nothing is due until the back-off after the failure ends (10 s),
		// and the new sender looks every 5 s.
		smtp := mailtest.Start(t, smtpAddr)
		startServe(t, args...)
		got := smtp.WaitFor(t, 1)
		checkInvitationMail(t, got[0], token)
		clocktest.Eventually(t, "the message to be marked sent", func() bool { return pending(t, st) == 0 })
		// Marked sent, it cannot be claimed again; a duplicate would have
		// to be on its way already.
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) {
			if n := len(smtp.Received()); n != 1 {
				t.Fatalf("received %d messages, want exactly 1", n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestServeGivesUpMail: serve reads how long mail may keep failing from
// ROSTER_MAIL_GIVE_UP_AFTER; past it, an invitation the SMTP server keeps
// deferring is dead, and its Owner sees it.
func TestServeGivesUpMail(t *testing.T) {
	t.Setenv("ROSTER_MAIL_GIVE_UP_AFTER", "1ns") // the first failure is already too late
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		db, dir, url := dbArgs(t, engine)
		owner := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
		smtp := mailtest.Start(t, "127.0.0.1:0")
		smtp.Refuse(451, "4.3.0 try again later")
		s := startServe(t, append(db, "--smtp-url", "smtp://"+smtp.Addr()+"?tls=none", "--mail-from", mailFrom,
			"--link-origins", "https://app.example.com")...)
		s.invite(owner.APIKey)
		st := storetest.OpenAt(t, dir, url)
		defer st.Close()
		clocktest.Eventually(t, "the invitation to be dead", func() bool { return storetest.OutboxStats(t, st).Dead == 1 })
		status, body := s.call("GET", "/admin-management/mail/dead/", map[string]string{"API-KEY": owner.APIKey}, nil)
		if status != 200 || !strings.Contains(string(body), `"recipient":"coach@example.com"`) || !strings.Contains(string(body), "451") {
			t.Errorf("dead mail: %d %s", status, body)
		}
	})
}

func pending(t *testing.T, st *store.Store) int64 {
	t.Helper()
	n, err := st.PendingMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// setPasswordCmd runs set-password with the password on standard input.
func setPasswordCmd(db []string, email, input string) (string, error) {
	var out bytes.Buffer
	err := setPassword(context.Background(), append([]string{"--email", email}, db...), strings.NewReader(input), &out, io.Discard)
	return out.String(), err
}

func TestSetPassword(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		db, _, _ := dbArgs(t, engine)
		runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
		const password = "a long manager passphrase"
		if out, err := setPasswordCmd(db, "Owner@Example.com", password+"\n"); err != nil || !strings.Contains(out, "password set") {
			t.Fatalf("set-password: %q, %v", out, err)
		}

		s := startServe(t, db...)
		if status, token := s.login("owner@example.com", password); status != 200 || token == "" {
			t.Fatalf("login with the password set: %d, token %q", status, token)
		}
		if status, _ := s.login("owner@example.com", password+"!"); status != 401 {
			t.Errorf("login with a wrong password: %d, want 401", status)
		}

		// A password that is too short is refused and the old one stays.
		if out, err := setPasswordCmd(db, "owner@example.com", "short\n"); err == nil || !strings.Contains(err.Error(), "at least") || out != "" {
			t.Errorf("set-password with a short password: %q, %v", out, err)
		}
		if status, _ := s.login("owner@example.com", "short"); status != 401 {
			t.Errorf("login with the refused password: %d, want 401", status)
		}
		if status, _ := s.login("owner@example.com", password); status != 200 {
			t.Errorf("login with the old password after a refused change: %d", status)
		}

		if out, err := setPasswordCmd(db, "nobody@example.com", password+"\n"); err == nil || !strings.Contains(err.Error(), "nobody@example.com") || out != "" {
			t.Errorf("set-password for an unknown email: %q, %v", out, err)
		}
		if out, err := setPasswordCmd(db, "", password+"\n"); err == nil || !strings.Contains(err.Error(), "--email") || out != "" {
			t.Errorf("set-password without --email: %q, %v", out, err)
		}
	})
}

// TestServeRejectsBadConfig expects serve to refuse each configuration
// before it starts; one it wrongly accepted would serve until the timeout
// and return nil.
func TestServeRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		env, val string // an environment variable to set, if env is not ""
		args     []string
		want     string // in the error
	}{
		{"ROSTER_SIGNUP", "maybe", nil, "ROSTER_SIGNUP"},
		{"ROSTER_INVITATION_TTL", "-1h", nil, `ROSTER_INVITATION_TTL="-1h": use a positive duration with its unit, such as 15m`},
		{"ROSTER_SESSION_TTL", "soon", nil, `ROSTER_SESSION_TTL="soon": use a positive duration`},
		{"", "", []string{"--invitation-ttl", "0s"}, "flag -invitation-ttl: use a positive duration"},
		{"ROSTER_MAIL_GIVE_UP_AFTER", "3 days", nil, `ROSTER_MAIL_GIVE_UP_AFTER="3 days": use a positive duration`},
		{"", "", []string{"--mail-give-up-after", "0s"}, "flag -mail-give-up-after: use a positive duration"},
		{"", "", []string{"--access-token-ttl", "-1s"}, "flag -access-token-ttl: use a positive duration"},
		{"", "", []string{"--session-ttl", "15"}, `invalid value "15" for flag -session-ttl: use a positive duration with its unit, such as 15m`},
		{"", "", []string{"--public-url", "roster.example.com"}, `--public-url "roster.example.com" has no scheme: use https://roster.example.com`},
		{"", "", []string{"--public-url", "localhost:8080"}, `--public-url "localhost:8080" has no scheme: use https://localhost:8080`},
		{"", "", []string{"--log-level", "verbose"}, "flag -log-level: use debug, info, warn or error"},
		{"ROSTER_LOG_LEVEL", "loud", nil, `ROSTER_LOG_LEVEL="loud": use debug, info, warn or error`},
		{"", "", []string{"extra"}, `unexpected argument "extra"`},
		{"", "", []string{"--oidc-issuer", "x"}, "audience"},
		{"", "", []string{"--oidc-issuer", "x", "--oidc-audience", "a"}, "JWKS URL"},
		{"", "", []string{"--oidc-audience", "a"}, "issuer"},
		{"", "", []string{"--smtp-url", "smtp://mail.example.com?tsl=none"}, "SMTP URL"},
		{"", "", []string{"--link-origins", "app.example.com"}, "--link-origins"},
		{"", "", []string{"--link-origins", "https://user@app.example.com"}, "--link-origins"},
		{"", "", []string{"--public-url", "ftp://roster.example.com"}, "--public-url"},
		{"", "", []string{"--limit-mail-per-address", "5"}, "limit-mail-per-address"},
		{"ROSTER_LIMIT_INVITATIONS_PER_ORG", "10/forever", nil, "ROSTER_LIMIT_INVITATIONS_PER_ORG"},
		{"", "", []string{"--limit-mail-per-client", "0/1h"}, "limit-mail-per-client"},
		{"ROSTER_CROSS_SITE_PHOTOS", "maybe", nil, "ROSTER_CROSS_SITE_PHOTOS"},
		{"ROSTER_REQUEST_BUDGET", "15", nil, `ROSTER_REQUEST_BUDGET="15": use a positive duration`},
		{"", "", []string{"--stream-write-timeout", "0s"}, "flag -stream-write-timeout: use a positive duration"},
		{"ROSTER_DB_STATEMENT_TIMEOUT", "-1s", nil, "ROSTER_DB_STATEMENT_TIMEOUT"},
		{"", "", []string{"--db-connect-timeout", "soon"}, "flag -db-connect-timeout"},
		{"", "", []string{"--max-streams-per-caller", "0"}, "flag -max-streams-per-caller: use a positive whole number"},
		{"ROSTER_MAX_STREAMS", "many", nil, `ROSTER_MAX_STREAMS="many": use a positive whole number`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if tc.env != "" {
				t.Setenv(tc.env, tc.val)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			args := append([]string{"serve", "--addr", nettest.FreeAddr(t), "--data", t.TempDir()}, tc.args...)
			if err := run(ctx, args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s=%q %v: err %v, want one mentioning %s", tc.env, tc.val, tc.args, err, tc.want)
			}
		})
	}
}

func TestServeSignupSetting(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		signup := func(s *server, email string) int {
			status, _ := s.call("POST", "/auth/signup", nil,
				map[string]string{"email": email, "password": "a long enough password", "display_name": "Ann"})
			return status
		}
		db, _, _ := dbArgs(t, engine)
		off := startServe(t, append(db, "--signup=false")...)
		if status := signup(off, "ann@example.com"); status != 403 {
			t.Errorf("signup with --signup=false: %d, want 403", status)
		}
		off.stop()

		// The variable turns it off too, and a flag wins over it.
		t.Setenv("ROSTER_SIGNUP", "false")
		off = startServe(t, db...)
		if status := signup(off, "bea@example.com"); status != 403 {
			t.Errorf("signup with ROSTER_SIGNUP=false: %d, want 403", status)
		}
		off.stop()
		on := startServe(t, append(db, "--signup=true")...)
		if status := signup(on, "cleo@example.com"); status != 202 {
			t.Errorf("signup with --signup=true over ROSTER_SIGNUP=false: %d, want 202", status)
		}
	})
}
