package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"roster/auth"
	"roster/clocktest"
	"roster/store/storetest"
)

// serving runs bin serve with args, logging at debug level, and returns a
// server for calls to it and its log.
func serving(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	p := startProcess(t, bin, nil, append([]string{"--log-level", "debug"}, args...)...)
	return &server{t: t, url: p.url, logs: p.out}
}

// logged counts serve's log lines with this message.
func (s *server) logged(msg string) int {
	return strings.Count(s.logs.String(), `"msg":"`+msg+`"`)
}

// awaitLog waits until serve has logged msg more than n times.
func (s *server) awaitLog(msg string, n int) {
	s.t.Helper()
	clocktest.Eventually(s.t, "serve at "+s.url+" to log "+msg, func() bool { return s.logged(msg) > n })
}

const invalidated = "caches: entries invalidated"

// cachesOn is what a serve process logs once it listens for other
// processes' changes: it caches nothing before.
const cachesOn = "caches on: listening for revocations and client changes"

// TestTwoServeProcesses runs two built roster serve processes on one
// PostgreSQL database, each caching credentials and clients: an API key
// revoked and a sign-in session ended through one are refused through the
// other, and a client changed through one is read changed through the
// other.
//
// The other process acts on a notification. The writer answers only once
// it has heard its own, which the same commit signalled to every listener,
// but the other may still be reading it (see store.authListener): so
// before asking the other, the test waits until it has logged the
// invalidation, instead of racing it. What is checked is that the
// notification reaches the other process and makes it refuse; that the
// writer waits for its own notification is store's TestAuthCacheInvalidation's
// concern, which runs every write that invalidates.
func TestTwoServeProcesses(t *testing.T) {
	url := storetest.DatabaseURL(t, "postgres")
	bin := buildRoster(t)
	secret := make([]byte, 32)
	rand.Read(secret)
	t.Setenv("ROSTER_SECRET_KEY", base64.StdEncoding.EncodeToString(secret))
	db := []string{"--data", t.TempDir(), "--database-url", url}
	owner := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
	const password = "a long manager passphrase"
	if _, err := setPasswordCmd(db, "owner@example.com", password+"\n"); err != nil {
		t.Fatal(err)
	}
	a := serving(t, bin, "--data", t.TempDir(), "--database-url", url)
	b := serving(t, bin, "--data", t.TempDir(), "--database-url", url)

	// Each process listens once it has authenticated a first request.
	for _, p := range []*server{a, b} {
		if status, body := p.call("GET", "/auth/api-keys", map[string]string{"API-KEY": owner.APIKey}, nil); status != 403 {
			t.Fatalf("an API key listing API keys: %d %s, want 403", status, body)
		}
		p.awaitLog(cachesOn, 0)
	}
	status, body := a.call("POST", "/auth/login", nil, map[string]string{"email": "owner@example.com", "password": password})
	var login struct{ Token string }
	if status != 200 || json.Unmarshal(body, &login) != nil {
		t.Fatalf("login: %d %s", status, body)
	}
	bearer := map[string]string{"Authorization": "Bearer " + login.Token}
	status, body = a.call("POST", "/auth/api-keys", bearer, map[string]string{"name": "second"})
	var created struct {
		APIKey string `json:"api_key"`
	}
	if status != 201 || json.Unmarshal(body, &created) != nil {
		t.Fatalf("new API key: %d %s", status, body)
	}
	keyID, _, _ := auth.SplitAPIKey(created.APIKey)

	const list = "/client-management/clients/"
	ownerKey := map[string]string{"API-KEY": owner.APIKey}
	expect := func(p *server, credential map[string]string, path string, want int) {
		t.Helper()
		if status, body := p.call("GET", path, credential, nil); status != want {
			t.Fatalf("GET %s through %s: %d %s, want %d", path, p.url, status, body, want)
		}
	}
	expect(b, map[string]string{"API-KEY": created.APIKey}, list, 200) // now cached by b
	expect(b, bearer, "/auth/me", 200)

	seen := b.logged(invalidated)
	if status, body := a.call("DELETE", "/auth/api-keys/"+keyID, bearer, nil); status/100 != 2 {
		t.Fatalf("revoke: %d %s", status, body)
	}
	b.awaitLog(invalidated, seen)
	expect(b, map[string]string{"API-KEY": created.APIKey}, list, 401)
	expect(b, ownerKey, list, 200)
	expect(b, bearer, "/auth/me", 200)

	seen = b.logged(invalidated)
	status, body = a.call("POST", "/admin-management/sub-admins/force-logout/", ownerKey, map[string]string{"user_uid": owner.UID})
	if status != 200 {
		t.Fatalf("force logout: %d %s", status, body)
	}
	b.awaitLog(invalidated, seen)
	expect(b, bearer, "/auth/me", 401)
	expect(b, ownerKey, list, 200)

	status, body = a.call("POST", list, ownerKey, map[string]string{"email": "ann@example.com", "display_name": "Ann"})
	var newClient struct {
		Client struct {
			UID string `json:"user_uid"`
		} `json:"userData"`
	}
	if status != 201 || json.Unmarshal(body, &newClient) != nil || newClient.Client.UID == "" {
		t.Fatalf("create a client: %d %s", status, body)
	}
	client := newClient.Client
	read := func(p *server) string {
		t.Helper()
		status, body := p.call("GET", list+client.UID, ownerKey, nil)
		var got struct {
			DisplayName string `json:"display_name"`
		}
		if status != 200 || json.Unmarshal(body, &got) != nil {
			t.Fatalf("GET the client through %s: %d %s", p.url, status, body)
		}
		return got.DisplayName
	}
	if got := read(b); got != "Ann" { // now cached by b
		t.Fatalf("the client's name through b: %q", got)
	}
	seen = b.logged(invalidated)
	status, body = a.call("PUT", list, ownerKey, map[string]string{"user_uid": client.UID, "display_name": "Ann Smith"})
	if status != 200 {
		t.Fatalf("update the client: %d %s", status, body)
	}
	b.awaitLog(invalidated, seen)
	if got := read(b); got != "Ann Smith" {
		t.Fatalf("the client's name through b after the update through a: %q", got)
	}
}
