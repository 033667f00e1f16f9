package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"roster/keyring"
	"roster/store/storetest"
)

func TestSecretKeyCommand(t *testing.T) {
	var keys []string
	for range 2 {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"secret-key"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		key, ok := strings.CutSuffix(out.String(), "\n")
		if _, err := keyring.Parse(key); err != nil || !ok {
			t.Fatalf("secret-key printed %q, which ROSTER_SECRET_KEY refuses: %v", out.String(), err)
		}
		keys = append(keys, key)
	}
	if keys[0] == keys[1] {
		t.Error("secret-key printed the same key twice")
	}
	if err := run(context.Background(), []string{"secret-key", "extra"}, io.Discard, io.Discard); err == nil {
		t.Error("secret-key accepted an argument")
	}
}

// TestKeyFileIsGeneratedOnce: without ROSTER_SECRET_KEY, processes starting
// at once on one data directory agree on one generated key, kept private
// and reused on the next start.
func TestKeyFileIsGeneratedOnce(t *testing.T) {
	t.Setenv(secretKeyEnv, "")
	dir := filepath.Join(t.TempDir(), "data")
	var ids [4]string
	var errs [4]error
	var wg sync.WaitGroup
	for i := range ids {
		wg.Go(func() {
			ring, _, err := loadKeyring(dir)
			if errs[i] = err; err == nil {
				ids[i] = ring.ID()
			}
		})
	}
	wg.Wait()
	for i := range ids {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Errorf("start %d: key %s, %v; want the one key %s", i, ids[i], errs[i], ids[0])
		}
	}
	path := filepath.Join(dir, secretKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v; want 0600", path, info.Mode().Perm())
	}
	ring, source, err := loadKeyring(dir)
	if err != nil || ring.ID() != ids[0] || source != path {
		t.Errorf("next start: key %v from %s, %v; want %s from %s", ring, source, err, ids[0], path)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the data directory holds %v; want only %s", entries, secretKeyFile)
	}
}

// TestServeRefusesKeyThatCannotOpenSecrets: a process whose key differs
// from the one that sealed the signing keys (its own generated key file, or
// another ROSTER_SECRET_KEY) does not start, says why and what to do, and
// prints no key.
func TestServeRefusesKeyThatCannotOpenSecrets(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		st := storetest.OpenAt(t, dir, url)
		defer st.Close()
		first := keyring.NewKey()
		t.Setenv(secretKeyEnv, first)
		photoKey, tokenKey, err := signingKeys(ctx, st, dir)
		if err != nil {
			t.Fatal(err)
		}

		other := keyring.NewKey()
		for _, c := range []struct{ env, source string }{
			{"", filepath.Join(dir, secretKeyFile)},
			{other, secretKeyEnv},
		} {
			t.Setenv(secretKeyEnv, c.env)
			var log bytes.Buffer
			args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dir, "--database-url", url}
			err := run(ctx, args, io.Discard, &log)
			if err == nil {
				t.Fatalf("serve with the key from %s started", c.source)
			}
			for _, want := range []string{"the secret key from " + c.source, "cannot open the signing keys",
				"Set ROSTER_SECRET_KEY to the key the other Roster processes on this database use"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			generated, _ := os.ReadFile(filepath.Join(dir, secretKeyFile))
			for _, key := range []string{first, other, strings.TrimSpace(string(generated))} {
				if strings.Contains(err.Error()+log.String(), key) {
					t.Errorf("serve printed a key: %v\n%s", err, log.String())
				}
			}
		}

		t.Setenv(secretKeyEnv, first)
		p, tk, err := signingKeys(ctx, st, dir)
		if err != nil || p != photoKey || tk != tokenKey {
			t.Errorf("the first key again: %v; want the same signing keys", err)
		}
	})
}
