package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/store/storetest"
	"roster/webhook"
)

// hookReceiver records the emails of the client.created events it gets
// whose signature verifies under secret (set once the endpoint exists).
type hookReceiver struct {
	mu     sync.Mutex
	secret string
	emails []string
	bad    []string
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var ev struct {
		Type string
		Data struct{ Email string }
	}
	json.Unmarshal(body, &ev)
	h.mu.Lock()
	defer h.mu.Unlock()
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(h.secret, "whsec_"))
	want := webhook.Sign([][]byte{key}, r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), body)
	if r.Header.Get("webhook-signature") != want || ev.Type != roster.EventClientCreated {
		h.bad = append(h.bad, string(body))
	} else {
		h.emails = append(h.emails, ev.Data.Email)
	}
}

func (h *hookReceiver) got() (emails, bad []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.emails...), append([]string(nil), h.bad...)
}

// TestServeDeliversWebhooksAcrossARestart: serve, with the webhook flags,
// delivers signed what its API committed; an event committed while no
// serve ran, as when one is killed between a change and its delivery, is
// delivered by the next start.
func TestServeDeliversWebhooksAcrossARestart(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		key := make([]byte, 32)
		rand.Read(key)
		t.Setenv("ROSTER_SECRET_KEY", base64.StdEncoding.EncodeToString(key))
		bin := buildRoster(t)
		db, dir, dbURL := dbArgs(t, engine)
		owner := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
		rc := &hookReceiver{}
		recv := httptest.NewServer(rc)
		t.Cleanup(recv.Close)
		args := append([]string{"--webhook-allow-http", "--webhook-allow-private"}, db...)

		p := startProcess(t, bin, nil, args...)
		status, body := p.do("POST", "/admin-management/webhooks/", owner.APIKey, "application/json",
			[]byte(`{"url": "`+recv.URL+`", "events": ["client.created"]}`))
		var hook struct{ Secret string }
		if status != 201 || json.Unmarshal(body, &hook) != nil {
			t.Fatalf("create webhook: %d %s", status, body)
		}
		rc.mu.Lock()
		rc.secret = hook.Secret
		rc.mu.Unlock()
		if _, err := createClient(p.url, owner.APIKey, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
		clocktest.Eventually(t, "the receiver to get Ann's client.created", func() bool {
			emails, _ := rc.got()
			return len(emails) == 1
		})
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.exitCode(); code != 0 {
			t.Fatalf("serve exited with %d", code)
		}

		// Committed while no serve runs.
		var org int64
		if err := rawDB(t, dir, dbURL).QueryRow(`SELECT id FROM organizations WHERE uid = $1`, owner.OrganizationUID).Scan(&org); err != nil {
			t.Fatal(err)
		}
		st := storetest.OpenAt(t, dir, dbURL)
		bob := roster.NewClient(owner.UID, roster.ClientFields{Email: "bob@example.com", DisplayName: "Bob"}, time.Now())
		if err := st.CreateClient(context.Background(), roster.OrgID(org), &bob); err != nil {
			t.Fatal(err)
		}
		st.Close()

		startProcess(t, bin, nil, args...)
		clocktest.Eventually(t, "the next start to deliver Bob's client.created", func() bool {
			emails, _ := rc.got()
			return len(emails) == 2
		})
		emails, bad := rc.got()
		if emails[0] != "ann@example.com" || emails[1] != "bob@example.com" || len(bad) != 0 {
			t.Errorf("received %v, and %d unsigned or unexpected: %v", emails, len(bad), bad)
		}
	})
}
