package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
)

// TestHealthcheckCommand: roster healthcheck succeeds against a serve that
// is up, found from the address it listens on, and fails on an answer
// other than 200 and on a serve that is gone.
func TestHealthcheckCommand(t *testing.T) {
	s := startServe(t, "--data", t.TempDir())
	_, port, err := net.SplitHostPort(strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	// A container's serve listens on every interface: ROSTER_ADDR=:PORT.
	t.Setenv("ROSTER_ADDR", ":"+port)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"healthcheck"}, &out, io.Discard); err != nil {
		t.Fatalf("healthcheck of a serve that is up: %v", err)
	}
	if want := "http://127.0.0.1:" + port + "/healthz: 200 OK\n"; out.String() != want {
		t.Errorf("healthcheck printed %q, want %q", out.String(), want)
	}
	err = run(context.Background(), []string{"healthcheck", "--url", s.url + "/no-such-route"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "answered 404") {
		t.Errorf("healthcheck of a 404: %v, want an error naming it", err)
	}
	s.stop()
	err = run(context.Background(), []string{"healthcheck"}, io.Discard, io.Discard)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("healthcheck of a stopped serve: %v, want connection refused", err)
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		"[::]:8080":      "http://127.0.0.1:8080/healthz",
		"10.1.2.3:80":    "http://10.1.2.3:80/healthz",
		"[::1]:8080":     "http://[::1]:8080/healthz",
		"localhost:8080": "http://localhost:8080/healthz",
	} {
		if got, err := healthURL(addr); err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := healthURL("8080"); err == nil || !strings.Contains(err.Error(), `--addr "8080"`) {
		t.Errorf("healthURL of an address without a port: %v", err)
	}
}
