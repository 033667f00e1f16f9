package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"roster/clocktest"
	"roster/store/storetest"
)

// TestHelp: help asked for is printed to standard output and is a success,
// for roster itself and for every command, which stops there.
func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, &out, &errOut); err != nil || errOut.Len() != 0 {
			t.Errorf("roster %v: %v, stderr %q", args, err, errOut.String())
		}
		for _, c := range commands() {
			if !strings.Contains(out.String(), "\n  "+c.name+" ") {
				t.Errorf("roster %v does not list %s:\n%s", args, c.name, out.String())
			}
		}
	}
	// A command that ran instead would fail: the data directory is a file.
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ROSTER_DATA_DIR", notADir)
	t.Setenv("ROSTER_ADDR", "127.0.0.1:0")
	for _, c := range commands() {
		for _, h := range []string{"-h", "--help"} {
			var out, errOut bytes.Buffer
			args := []string{c.name, h}
			if err := run(context.Background(), args, &out, &errOut); err != nil || errOut.Len() != 0 {
				t.Errorf("roster %v: %v, stderr %q", args, err, errOut.String())
			}
			if want := "usage: roster " + c.name + " [flags]\n"; !strings.HasPrefix(out.String(), want) {
				t.Errorf("roster %v printed %q, want it to start with %q", args, out.String(), want)
			}
		}
	}
	var errOut bytes.Buffer
	err := run(context.Background(), []string{"migrate", "--nope"}, io.Discard, &errOut)
	if err == nil || !strings.Contains(err.Error(), `"roster migrate -h" lists the flags`) || errOut.Len() != 0 {
		t.Errorf("migrate with an unknown flag: %v, stderr %q", err, errOut.String())
	}
}

// TestServeListensBeforeMigrating: a taken address fails serve before it
// opens the database, which it would otherwise create and migrate.
func TestServeListensBeforeMigrating(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "data")
	err = run(context.Background(), []string{"serve", "--addr", ln.Addr().String(), "--data", dir}, io.Discard, io.Discard)
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("serve on a taken address: %v, want address already in use", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("serve on a taken address created its data directory (%v)", err)
	}
}

// TestStartGate: until the database is migrated, serve is alive but not
// ready, and serves nothing else; then the API answers everything.
func TestStartGate(t *testing.T) {
	gate := newStartGate(0)
	check := func(method, path string, status int, body string) {
		t.Helper()
		w := httptest.NewRecorder()
		gate.ServeHTTP(w, httptest.NewRequest(method, path, nil))
		if w.Code != status || w.Body.String() != body {
			t.Errorf("%s %s: %d %q, want %d %q", method, path, w.Code, w.Body.String(), status, body)
		}
		if status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
			t.Errorf("%s %s: a 503 without Retry-After", method, path)
		}
	}
	const starting = `{"error":"starting: migrating the database"}` + "\n"
	check("GET", "/healthz", 200, `{"status":"ok"}`+"\n")
	check("GET", "/readyz", 503, starting)
	check("POST", "/healthz", 503, starting)
	check("GET", "/client-management/clients/", 503, starting)

	gate.open(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, r.URL.Path)
	}))
	check("GET", "/readyz", http.StatusTeapot, "/readyz")
	check("GET", "/healthz", http.StatusTeapot, "/healthz")
}

// TestStartGateWaits: a request that comes while serve starts waits for
// the API rather than be refused, and one that waits too long gets a 503.
func TestStartGateWaits(t *testing.T) {
	gate := newStartGate(time.Until(clocktest.Deadline(t)))
	answered := make(chan *httptest.ResponseRecorder)
	go func() {
		w := httptest.NewRecorder()
		gate.ServeHTTP(w, httptest.NewRequest("GET", "/client-management/clients/", nil))
		answered <- w
	}()
	gate.open(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) }))
	if w := <-answered; w.Code != http.StatusTeapot {
		t.Errorf("a request during the start: %d %q, want the API's answer", w.Code, w.Body.String())
	}

	gate = newStartGate(time.Nanosecond)
	w := httptest.NewRecorder()
	gate.ServeHTTP(w, httptest.NewRequest("GET", "/client-management/clients/", nil))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Errorf("a request that waited in vain: %d %v, want 503 with Retry-After", w.Code, w.Header())
	}
}

// logLines decodes a log of JSON lines.
func logLines(t *testing.T, log string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

func TestLogger(t *testing.T) {
	var b bytes.Buffer
	log := newLogger(&b, slog.LevelWarn)
	log.Info("dropped")
	log.Warn("slow", "duration", 1500*time.Microsecond, "took", 2*time.Second, "count", 3)
	lines := logLines(t, b.String())
	if len(lines) != 1 {
		t.Fatalf("logged %d lines at warn, want 1:\n%s", len(lines), b.String())
	}
	got := lines[0]
	if got["duration_ms"] != 1.5 || got["took_ms"] != 2000.0 || got["count"] != 3.0 || got["duration"] != nil {
		t.Errorf("logged %s, want duration_ms 1.5, took_ms 2000, count 3", b.String())
	}
}

// TestServeLog: serve logs each request's duration in milliseconds, and
// --log-level (or its variable) leaves out what is less severe.
func TestServeLog(t *testing.T) {
	s := startServe(t, "--data", t.TempDir(), "--log-level", "debug")
	s.call("GET", "/healthz", nil, nil)
	s.stop()
	var request map[string]any
	for _, l := range logLines(t, s.logs.String()) {
		if l["msg"] == "request" {
			request = l
		}
	}
	if ms, ok := request["duration_ms"].(float64); !ok || ms < 0 || request["duration"] != nil {
		t.Errorf("request log %v, want duration_ms", request)
	}

	t.Setenv("ROSTER_LOG_LEVEL", "warn")
	s = startServe(t, "--data", t.TempDir())
	s.call("GET", "/healthz", nil, nil)
	s.stop()
	if log := s.logs.String(); log != "" {
		t.Errorf("serve with ROSTER_LOG_LEVEL=warn logged:\n%s", log)
	}
}

// TestMigrateTwice: a migrate with nothing to do says the schema is current.
func TestMigrateTwice(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		db, _, _ := dbArgs(t, engine)
		migrateLog := func() (msgs []any) {
			var log bytes.Buffer
			if err := run(context.Background(), append([]string{"migrate"}, db...), io.Discard, &log); err != nil {
				t.Fatal(err)
			}
			for _, l := range logLines(t, log.String()) {
				msgs = append(msgs, l["msg"])
			}
			return msgs
		}
		if first := migrateLog(); !slices.Contains(first, any("migrated")) || slices.Contains(first, any("schema is current")) {
			t.Errorf("first migrate logged %q, want migrated", first)
		}
		if second := migrateLog(); len(second) != 1 || second[0] != "schema is current" {
			t.Errorf("second migrate logged %q, want schema is current", second)
		}
	})
}

func TestDescribeBuild(t *testing.T) {
	built := &debug.BuildInfo{Main: debug.Module{Path: "roster", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "3bd1381"}, {Key: "vcs.modified", Value: "true"}}}
	for _, c := range []struct {
		info        *debug.BuildInfo
		ver, commit string
		want        string
	}{
		{nil, "", "", "roster (devel), commit unknown"},
		{&debug.BuildInfo{Main: debug.Module{Path: "roster", Version: "(devel)"}}, "", "", "roster (devel), commit unknown"},
		{built, "", "", "roster v1.2.3, commit 3bd1381 (modified)"},
		{built, "v2.0.0", "cafe", "roster v2.0.0, commit cafe"},
		{nil, "v2.0.0", "cafe", "roster v2.0.0, commit cafe"},
	} {
		if got := describeBuild(c.info, c.ver, c.commit); got != c.want {
			t.Errorf("describeBuild(%v, %q, %q) = %q, want %q", c.info, c.ver, c.commit, got, c.want)
		}
	}
}

// TestVersionFromLinkerFlags builds roster as README.md tells releases to,
// so that the variables it names cannot drift from the code's.
func TestVersionFromLinkerFlags(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "roster")
	build := exec.Command("go", "build", "-o", bin,
		"-ldflags", "-X main.releaseVersion=v9.8.7 -X main.releaseCommit=0123abcd", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if want := "roster v9.8.7, commit 0123abcd\n"; err != nil || string(out) != want {
		t.Errorf("version printed %q (%v), want %q", out, err, want)
	}
}
