package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"roster/clocktest"
	"roster/internal/nettest"
	"roster/store/storetest"
)

type bootstrapped struct {
	UID             string `json:"uid"`
	OrganizationUID string `json:"organization_uid"`
	APIKey          string `json:"api_key"`
}

// TestServeAndBootstrap runs the command-line contract: bootstrap prints one
// JSON line, works while serve runs, and serve stops cleanly on a signal.
func TestServeAndBootstrap(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db := []string{"--data", t.TempDir()}
			if u := storetest.DatabaseURL(t, engine); u != "" {
				db = append(db, "--database-url", u)
			}
			first := runBootstrap(t, db, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme", "--plan", "Pro")

			addr := nettest.FreeAddr(t)
			ctx, stop := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- run(ctx, append([]string{"serve", "--addr", addr}, db...), io.Discard, io.Discard) }()
			waitReady(t, "http://"+addr+"/readyz")

			// A second organization, bootstrapped while serve runs.
			second := runBootstrap(t, db, "--email", "coach@example.com", "--display-name", "Coach", "--company", "Club")
			for _, b := range []bootstrapped{first, second} {
				r, _ := http.NewRequest("GET", "http://"+addr+"/client-management/clients/", nil)
				r.Header.Set("Authorization", "API-KEY "+b.APIKey)
				res, err := http.DefaultClient.Do(r)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode != 200 || string(body) != "{\"users\":[]}\n" {
					t.Errorf("list with %s's key: %d %s", b.UID, res.StatusCode, body)
				}
			}
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"bootstrap", "--email", "OWNER@example.com", "--display-name", "X", "--company", "Y"}, db...), &out, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "already exists") || out.Len() != 0 {
				t.Errorf("bootstrap with a taken email: err %v, output %q", err, out.String())
			}

			stop()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve after shutdown: %v", err)
				}
			case <-time.After(time.Until(clocktest.Deadline(t))):
				t.Fatal("serve did not stop")
			}
		})
	}
}

func runBootstrap(t *testing.T, db []string, args ...string) bootstrapped {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), append(append([]string{"bootstrap"}, args...), db...), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var b bootstrapped
	dec := json.NewDecoder(&out)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil || b.UID == "" || b.OrganizationUID == "" || !strings.HasPrefix(b.APIKey, "rst_") {
		t.Fatalf("bootstrap printed %q (%v)", out.String(), err)
	}
	if dec.More() {
		t.Fatalf("bootstrap printed more than one JSON object: %q", out.String())
	}
	return b
}

func TestBootstrapRejectsBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--email", "o@example.com", "--display-name", "O"},
		{"--email", "not-an-email", "--display-name", "O", "--company", "C"},
		{"--email", "o@example.com", "--display-name", "O", "--company", "C", "--plan", "Gold"},
		{"--email", "o@example.com", "--display-name", "O", "--company", "C", "--activities", "Swimming"},
		{"--email", "o@example.com", "--display-name", "O", "--company", "C", "--sessions", "-1"},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), append([]string{"bootstrap", "--data", dir}, args...), &out, io.Discard); err == nil || out.Len() != 0 {
			t.Errorf("bootstrap %v: err %v, output %q", args, err, out.String())
		}
	}
	if err := run(context.Background(), []string{"nonsense"}, io.Discard, io.Discard); err == nil {
		t.Error("an unknown command succeeded")
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "roster ") {
		t.Errorf("version: %q, %v", out.String(), err)
	}
}

func waitReady(t *testing.T, url string) {
	deadline := clocktest.Deadline(t)
	for time.Now().Before(deadline) {
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s not ready", url)
}
