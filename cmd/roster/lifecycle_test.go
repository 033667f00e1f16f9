package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/internal/nettest"
	"roster/mail/mailtest"
	"roster/store/storetest"
)

// buildRoster builds the roster binary into t's temporary directory.
func buildRoster(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "roster")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a roster command running in a process of its own.
type process struct {
	t    *testing.T
	url  string // of serve, once started by startProcess
	cmd  *exec.Cmd
	out  *mailtest.Buffer // standard output and error
	done chan struct{}
}

// startRoster runs bin with args and the extra environment variables; t's
// cleanup kills it if it still runs.
func startRoster(t *testing.T, bin string, env []string, args ...string) *process {
	t.Helper()
	p := &process{t: t, cmd: exec.Command(bin, args...), out: &mailtest.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("roster %s printed:\n%s", strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// exitCode waits for the process to exit, guarding against a hang by the
// test's deadline only, and returns its exit code.
func (p *process) exitCode() int {
	p.t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(time.Until(clocktest.Deadline(p.t))):
		p.t.Fatalf("roster %v did not exit", p.cmd.Args[1:])
		return -1
	}
}

// waitReady polls url's /readyz until it answers 200, and fails t if the
// process exits first.
func (p *process) waitReady(url string) {
	p.t.Helper()
	clocktest.Eventually(p.t, url+"/readyz to answer 200", func() bool {
		select {
		case <-p.done:
			p.t.Fatalf("roster exited before it was ready:\n%s", p.out.String())
		default:
		}
		res, err := http.Get(url + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	})
}

// TestSIGTERMGivesUpMuteSMTP: SIGTERM while the mail sender waits for an
// SMTP server that never greets ends serve with exit code 0 once the grace
// runs out, and the message stays queued for the next start.
func TestSIGTERMGivesUpMuteSMTP(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		bin := buildRoster(t)
		db, dir, dbURL := dbArgs(t, engine)
		ctx := context.Background()
		st := storetest.OpenAt(t, dir, dbURL)
		if err := st.EnqueueMail(ctx, roster.Mail{To: "ann@example.com", Subject: "Stuck", Body: "never greeted"}); err != nil {
			t.Fatal(err)
		}
		st.Close()

		smtp := mailtest.StartMute(t)
		addr := nettest.FreeAddr(t)
		p := startRoster(t, bin, []string{"ROSTER_SHUTDOWN_GRACE=1s"},
			append([]string{"serve", "--addr", addr, "--smtp-url", "smtp://" + smtp.Addr() + "?tls=none"}, db...)...)
		p.waitReady("http://" + addr)
		smtp.WaitAccepted(t, 1) // the sender is stuck on the greeting
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.exitCode(); code != 0 {
			t.Fatalf("serve exited with %d after SIGTERM, want 0", code)
		}

		st = storetest.OpenAt(t, dir, dbURL)
		defer st.Close()
		ms, err := st.UnsentMail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Attempts != 1 || !strings.Contains(ms[0].LastError, "shut down") {
			t.Errorf("after shutdown the outbox holds %+v, want the message, interrupted once", ms)
		}
	})
}

// TestServeRefusesNewerSchema: serve, and the other commands that write,
// refuse a schema migrated by a newer roster, and say what to do.
func TestServeRefusesNewerSchema(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		bin := buildRoster(t)
		db, dir, dbURL := dbArgs(t, engine)
		if code := startRoster(t, bin, nil, append([]string{"migrate"}, db...)...).exitCode(); code != 0 {
			t.Fatalf("migrate exited with %d", code)
		}
		raw := rawDB(t, dir, dbURL)
		var known int64
		if err := raw.QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&known); err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, known+100); err != nil {
			t.Fatal(err)
		}

		for _, args := range [][]string{
			{"serve", "--addr", nettest.FreeAddr(t)},
			{"bootstrap", "--email", "o@example.com", "--display-name", "O", "--company", "C"},
			{"migrate"},
		} {
			p := startRoster(t, bin, nil, append(args, db...)...)
			code := p.exitCode()
			out := p.out.String()
			want := []string{"schema is at version " + itoa(known+100), "newer than this roster knows (" + itoa(known) + ")",
				"roster migrate --down-to " + itoa(known)}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("roster %s on a newer schema printed no %q:\n%s", args[0], w, out)
				}
			}
			if code == 0 {
				t.Errorf("roster %s on a newer schema exited with 0", args[0])
			}
		}
	})
}

// TestSecondServeRefused: a second serve on one SQLite data directory is
// refused, naming the directory, and so is migrate; bootstrap still works
// beside the first, and once it stops the directory is free again.
func TestSecondServeRefused(t *testing.T) {
	bin := buildRoster(t)
	dir := t.TempDir()
	addr := nettest.FreeAddr(t)
	first := startRoster(t, bin, nil, "serve", "--addr", addr, "--data", dir)
	first.waitReady("http://" + addr)

	for _, args := range [][]string{{"serve", "--addr", nettest.FreeAddr(t)}, {"migrate"}, {"migrate", "--down-to", "6"}} {
		p := startRoster(t, bin, nil, append(args, "--data", dir)...)
		if code := p.exitCode(); code == 0 || !strings.Contains(p.out.String(), "the data directory "+dir+" is in use by another roster serve") ||
			!strings.Contains(p.out.String(), "process "+itoa(int64(first.cmd.Process.Pid))) {
			t.Errorf("roster %v beside serve: exit %d, printed:\n%s", args, code, p.out.String())
		}
	}
	boot := startRoster(t, bin, nil, "bootstrap", "--data", dir, "--email", "o@example.com", "--display-name", "O", "--company", "C")
	if code := boot.exitCode(); code != 0 || !strings.Contains(boot.out.String(), `"api_key":"rst_`) {
		t.Errorf("bootstrap beside serve: exit %d, printed:\n%s", code, boot.out.String())
	}

	if err := first.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := first.exitCode(); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM", code)
	}
	if code := startRoster(t, bin, nil, "migrate", "--data", dir).exitCode(); code != 0 {
		t.Errorf("migrate once serve stopped exited with %d", code)
	}
}

// TestServeRemovesLeftovers: serve removes the import spools and the
// temporary photo files a crash left, and nothing else.
func TestServeRemovesLeftovers(t *testing.T) {
	tmp, dir := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	old := time.Now().Add(-time.Hour)
	file := func(path string, mtime time.Time) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		return path
	}
	spool := file(filepath.Join(tmp, "roster-import-123.ndjson"), old)
	photos := filepath.Join(dir, "photos", "org")
	crashed := file(filepath.Join(photos, ".tmp-123"), old)
	writing := file(filepath.Join(photos, ".tmp-456"), time.Now()) // perhaps another process's, under way
	photo := file(filepath.Join(photos, "client-1.jpg"), old)
	other := file(filepath.Join(tmp, "other.ndjson"), old)

	startServe(t, "--data", dir).stop()
	for path, want := range map[string]bool{spool: false, crashed: false, writing: true, photo: true, other: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s: kept %v, want %v (%v)", path, err == nil, want, err)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// rawDB opens the database of a store's arguments as database/sql does, for
// rows no command writes; t's cleanup closes it.
func rawDB(t *testing.T, dataDir, databaseURL string) *sql.DB {
	t.Helper()
	driver, name := "pgx", databaseURL
	if databaseURL == "" {
		driver, name = "sqlite", filepath.Join(dataDir, "roster.db")
	}
	db, err := sql.Open(driver, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestMigrateDownToCommand: migrate --down-to does nothing at the current
// version, refuses to undo the one-way Go migrations with the way out, and
// refuses a version that is not one.
func TestMigrateDownToCommand(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		db, dir, dbURL := dbArgs(t, engine)
		ctx := context.Background()
		if err := run(ctx, append([]string{"migrate"}, db...), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
		var current string
		if err := rawDB(t, dir, dbURL).QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&current); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		if err := run(ctx, append([]string{"migrate", "--down-to", current}, db...), io.Discard, &log); err != nil ||
			!strings.Contains(log.String(), "nothing to roll back") {
			t.Errorf("migrate --down-to %s on version %s: %v, logged %s", current, current, err, log.String())
		}
		err := run(ctx, append([]string{"migrate", "--down-to", "5"}, db...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "migration 6 (") || !strings.Contains(err.Error(), "is one-way") ||
			!strings.Contains(err.Error(), "Restore a backup") {
			t.Errorf("migrate --down-to 5: %v", err)
		}
		err = run(ctx, append([]string{"migrate", "--down-to", "-1"}, db...), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "want a schema version") {
			t.Errorf("migrate --down-to -1: %v", err)
		}
	})
}
