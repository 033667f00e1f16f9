package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"roster/clocktest"
	"roster/photo/phototest"
)

// acked are the uids of the clients whose creates serve acknowledged.
type acked struct {
	mu   sync.Mutex
	uids []string
}

func (a *acked) add(uid string) { a.mu.Lock(); a.uids = append(a.uids, uid); a.mu.Unlock() }

func (a *acked) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.uids)
}

// createClient creates a client through serve at url and returns its uid
// once serve has acknowledged it. It reports errors instead of failing a
// test, for the goroutines that call it.
func createClient(url, key, email string) (string, error) {
	r, err := http.NewRequest("POST", url+"/client-management/clients/",
		strings.NewReader(`{"email":"`+email+`","display_name":"Client"}`))
	if err != nil {
		return "", err
	}
	r.Header.Set("API-KEY", key)
	r.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	var created struct {
		UserData struct {
			UID string `json:"user_uid"`
		} `json:"userData"`
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 || json.Unmarshal(body, &created) != nil || created.UserData.UID == "" {
		return "", fmt.Errorf("create %s: %d %s", email, res.StatusCode, body)
	}
	return created.UserData.UID, nil
}

// TestBackupUnderCreates: roster backup, run while serve acknowledges
// creates from several connections, writes an archive that restore puts in
// a new data directory as a database that passes SQLite's integrity check
// and holds every create acknowledged before the backup began; serve on it
// answers those clients and the photo. restore refuses the live directory.
func TestBackupUnderCreates(t *testing.T) {
	bin := buildRoster(t)
	dir := t.TempDir()
	owner := runBootstrap(t, []string{"--data", dir},
		"--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme", "--plan", "Enterprise")
	live := startProcess(t, bin, nil, "--data", dir)
	live.upload(owner.APIKey, "POST", map[string]string{"email": "pic@example.com", "display_name": "Pic"},
		phototest.OrientedJPEG(t, phototest.Quadrants(40, 20), 1))

	var done acked
	stop := make(chan struct{})
	errs := make(chan error, 4)
	var writers sync.WaitGroup
	for w := range 4 {
		writers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				uid, err := createClient(live.url, owner.APIKey, fmt.Sprintf("w%d-%d@example.com", w, i))
				if err != nil {
					errs <- err
					return
				}
				done.add(uid)
			}
		})
	}
	clocktest.Eventually(t, "20 creates acknowledged", func() bool { return len(done.list()) >= 20 })
	before := done.list()
	archive := filepath.Join(t.TempDir(), "roster.tar.gz")
	backup := startRoster(t, bin, nil, "backup", "--data", dir, "--to", archive)
	code := backup.exitCode()
	during := len(done.list()) - len(before)
	close(stop)
	writers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if code != 0 {
		t.Fatalf("backup exited with %d:\n%s", code, backup.out.String())
	}
	t.Logf("%d creates acknowledged before the backup, %d while it ran", len(before), during)
	for _, step := range []string{`"step":"database"`, `"step":"photos"`, `"files":2`, `"step":"written"`} {
		if !strings.Contains(backup.out.String(), step) {
			t.Errorf("backup printed no %s:\n%s", step, backup.out.String())
		}
	}

	// The live data directory is refused, and keeps serving.
	err := run(context.Background(), []string{"restore", "--from", archive, "--data", dir, "--force"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "restore replaces the data of a stopped server only") ||
		!strings.Contains(err.Error(), "process "+itoa(int64(live.cmd.Process.Pid))) {
		t.Errorf("restore into serve's data directory: %v", err)
	}
	if status, body := live.do("GET", "/client-management/clients/"+before[0], owner.APIKey, "", nil); status != 200 {
		t.Errorf("serve after the refused restore: %d %s", status, body)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"restore", "--from", archive, "--data", restored}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"photos":2`) || !strings.Contains(out.String(), `"step":"restored"`) {
		t.Errorf("restore printed:\n%s", out.String())
	}
	uids := restoredClients(t, restored)
	for _, uid := range before {
		if !slices.Contains(uids, uid) {
			t.Errorf("client %s, acknowledged before the backup began, is not in the restored database", uid)
		}
	}
	// The pictured client and the creates; at most those acknowledged or
	// in flight when the writers stopped.
	if maxClients := 1 + len(done.list()) + 4; len(uids) > maxClients {
		t.Errorf("the restored database holds %d clients, more than the %d created", len(uids), maxClients)
	}

	served := startProcess(t, bin, nil, "--data", restored)
	status, body := served.do("GET", "/client-management/clients/"+before[len(before)-1], owner.APIKey, "", nil)
	if status != 200 || !strings.Contains(string(body), `"user_uid":"`+before[len(before)-1]+`"`) {
		t.Errorf("a restored client through serve: %d %s", status, body)
	}
	var list struct{ Users []photoLinks }
	status, body = served.do("GET", "/client-management/clients/?email=pic@example.com", owner.APIKey, "", nil)
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Users) != 1 {
		t.Fatalf("the pictured client through serve: %d %s", status, body)
	}
	if img := served.image(*served.links(owner.APIKey, list.Users[0].UID).Photo); img.Bounds().Dx() != 40 {
		t.Errorf("the restored photo is %v, want 40 wide", img.Bounds())
	}
}

// restoredClients checks the SQLite database in dir with PRAGMA
// integrity_check and returns its clients' uids.
func restoredClients(t *testing.T, dir string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check of the restored database: %q, %v", check, err)
	}
	rows, err := db.Query(`SELECT uid FROM clients`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var uids []string
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			t.Fatal(err)
		}
		uids = append(uids, uid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return uids
}

// TestRestoreRefuses: restore refuses a directory that holds data without
// --force, and archives that are not sound roster backups, changing
// nothing in the data directory.
func TestRestoreRefuses(t *testing.T) {
	ctx := context.Background()
	source := t.TempDir()
	runBootstrap(t, []string{"--data", source}, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
	work := t.TempDir()
	archive := filepath.Join(work, "good.tar.gz")
	if err := run(ctx, []string{"backup", "--data", source, "--to", archive}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	entries := readArchive(t, archive)

	held := t.TempDir()
	if err := os.WriteFile(filepath.Join(held, "roster.db"), []byte("the data of another server"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := run(ctx, []string{"restore", "--from", archive, "--data", held}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already holds roster.db: restore replaces them only with --force") {
		t.Errorf("restore into a directory with data: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(held, "roster.db")); string(b) != "the data of another server" {
		t.Errorf("the refused restore changed roster.db: %q", b)
	}

	var manifest map[string]any
	if err := json.Unmarshal(entries[0].data, &manifest); err != nil {
		t.Fatal(err)
	}
	withManifest := func(key string, v any) []entry {
		m := map[string]any{}
		for k, val := range manifest {
			m[k] = val
		}
		m[key] = v
		b, _ := json.Marshal(m)
		return append([]entry{{manifestName, b}}, entries[1:]...)
	}
	garbage := slices.Clone(entries)
	garbage[1] = entry{databaseName, bytes.Repeat([]byte("not a page "), 4096)}
	for _, tc := range []struct {
		name    string
		archive []byte
		want    string
	}{
		{"not gzip", []byte("PK\x03\x04 a zip, say"), "not gzip-compressed"},
		{"truncated", readFile(t, archive)[:len(readFile(t, archive))/2], "roster.db: unexpected EOF"},
		{"no manifest", writeArchiveEntries(t, entries[1:]), "no manifest.json first"},
		{"foreign manifest", writeArchiveEntries(t, withManifest("format", "other-backup")), "not a roster-backup manifest"},
		{"newer layout", writeArchiveEntries(t, withManifest("version", 2)), "of layout 2, which this roster does not read"},
		{"wrong schema", writeArchiveEntries(t, withManifest("schema_version", 1)), "its manifest says 1"},
		{"escape", writeArchiveEntries(t, append(slices.Clone(entries), entry{"photos/../../evil", []byte("x")})), `unexpected entry "photos/../../evil"`},
		{"other file", writeArchiveEntries(t, append(slices.Clone(entries), entry{"notes.txt", []byte("x")})), `unexpected entry "notes.txt"`},
		{"not a database", writeArchiveEntries(t, garbage), "is not an SQLite database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := filepath.Join(t.TempDir(), "backup.tar.gz")
			if err := os.WriteFile(from, tc.archive, 0o600); err != nil {
				t.Fatal(err)
			}
			target := t.TempDir()
			err := run(ctx, []string{"restore", "--from", from, "--data", target}, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "nothing was restored") {
				t.Errorf("restore: %v, want an error with %q", err, tc.want)
			}
			if held, err := heldData(target); err != nil || len(held) != 0 {
				t.Errorf("the refused restore left %q in the data directory (%v)", held, err)
			}
		})
	}
}

// TestBackupRefusesPostgres: on PostgreSQL both commands fail and say how
// pg_dump and pg_restore back it up; no archive is written.
func TestBackupRefusesPostgres(t *testing.T) {
	t.Setenv("ROSTER_DATABASE_URL", "postgres://roster@db.invalid/roster")
	to := filepath.Join(t.TempDir(), "backup.tar.gz")
	for _, args := range [][]string{
		{"backup", "--to", to},
		{"restore", "--from", to, "--data", t.TempDir()},
	} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil {
			t.Fatalf("roster %s on PostgreSQL succeeded", args[0])
		}
		for _, want := range []string{args[0] + " copies the embedded SQLite database only",
			"pg_dump --format=custom", "pg_restore --no-owner", "bucket's to back up"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("roster %s on PostgreSQL: %v\nwant it to say %q", args[0], err, want)
			}
		}
	}
	if _, err := os.Stat(to); err == nil {
		t.Error("backup on PostgreSQL wrote an archive")
	}
}

// TestBackupArchive: backup needs a database and --to; photos in S3 are
// left out, saying so; a second backup replaces the first whole and leaves
// no temporary file beside it.
func TestBackupArchive(t *testing.T) {
	ctx := context.Background()
	to := filepath.Join(t.TempDir(), "backup.tar.gz")
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", empty, "--to", to}, "no database to back up"},
		{[]string{"--data", empty}, "--to is required"},
	} {
		if err := run(ctx, append([]string{"backup"}, tc.args...), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("backup %v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(empty, "roster.db")); err == nil {
		t.Error("backup of an empty data directory created a database there")
	}

	dir := t.TempDir()
	runBootstrap(t, []string{"--data", dir}, "--email", "owner@example.com", "--display-name", "Owner", "--company", "Acme")
	t.Setenv("ROSTER_BLOB_URL", "s3://photos/roster?endpoint=http://127.0.0.1:9")
	for range 2 {
		var out bytes.Buffer
		if err := run(ctx, []string{"backup", "--data", dir, "--to", to}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), `"included":false`) || !strings.Contains(out.String(), "S3 bucket") {
			t.Errorf("backup with photos in S3 printed:\n%s", out.String())
		}
	}
	entries := readArchive(t, to)
	var names []string
	for _, e := range entries {
		names = append(names, e.name)
	}
	var m manifest
	if err := json.Unmarshal(entries[0].data, &m); err != nil || m.Format != "roster-backup" || m.Version != 1 ||
		m.SchemaVersion < 6 || m.Photos || m.SecretKey || m.Created.IsZero() {
		t.Errorf("manifest %s (%v)", entries[0].data, err)
	}
	if !slices.Equal(names, []string{"manifest.json", "roster.db"}) {
		t.Errorf("archive holds %q, want the manifest and the database only", names)
	}
	if files, _ := os.ReadDir(filepath.Dir(to)); len(files) != 1 {
		t.Errorf("beside the archive: %v, want it alone", files)
	}
}

// entry is a file in a backup archive.
type entry struct {
	name string
	data []byte
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readArchive returns the files of the archive at path, in order.
func readArchive(t *testing.T, path string) []entry {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var entries []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return entries
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, entry{h.Name, b})
	}
}

// writeArchiveEntries returns an archive of entries, as backup writes one.
func writeArchiveEntries(t *testing.T, entries []entry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o600, Size: int64(len(e.data))}); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	return b.Bytes()
}
