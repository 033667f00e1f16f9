package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"roster"
	"roster/keyring"
	"roster/store"
)

// secretKeyEnv names the variable with the keys that seal the signing keys
// in the database. It has no flag: a command line is visible to every user
// of the machine.
const secretKeyEnv = "ROSTER_SECRET_KEY"

// secretKeyFile is where serve keeps a generated key when secretKeyEnv is
// unset, in the data directory.
const secretKeyFile = "secret.key"

// secretKey prints a new key in the form ROSTER_SECRET_KEY takes.
func secretKey(_ context.Context, args []string, stdout, _ io.Writer) error {
	if err := parseFlags(newFlagSet("secret-key"), args, stdout); err != nil {
		return err
	}
	_, err := fmt.Fprintln(stdout, keyring.NewKey())
	return err
}

// signingKeys returns the keys that sign photo URLs and access tokens. They
// live in the database, so that every process behind a load balancer signs
// and verifies alike, sealed by the keyring of loadKeyring.
func signingKeys(ctx context.Context, st *store.Store, dataDir string) (photoKey, tokenKey string, err error) {
	ring, source, err := loadKeyring(dataDir)
	if err != nil {
		return "", "", err
	}
	generate := func() string { return roster.NewSecret(43) }
	photoKey, err = st.Secret(ctx, ring, "photo_url_key", generate)
	if err == nil {
		tokenKey, err = st.Secret(ctx, ring, "access_token_key", generate)
	}
	if errors.Is(err, keyring.ErrUnknownKey) {
		return "", "", fmt.Errorf("the secret key from %s (key id %s) cannot open the signing keys stored in the database: "+
			"another key sealed them (%w). Set %s to the key the other Roster processes on this database use "+
			"(while rotating: the new key, a comma, then the old one)", source, ring.ID(), err, secretKeyEnv)
	}
	return photoKey, tokenKey, err
}

// loadKeyring reads the keyring from secretKeyEnv or, when it is unset, from
// the key file in dataDir, which it creates on first use. source says where
// the keys came from, for errors; it never holds a key.
func loadKeyring(dataDir string) (ring *keyring.Ring, source string, err error) {
	text, source := os.Getenv(secretKeyEnv), secretKeyEnv
	if text == "" {
		source = filepath.Join(dataDir, secretKeyFile)
		if text, err = readOrCreateKeyFile(source); err != nil {
			return nil, "", err
		}
	}
	if ring, err = keyring.Parse(text); err != nil {
		return nil, "", fmt.Errorf("%s: %w", source, err)
	}
	return ring, source, nil
}

// readOrCreateKeyFile returns the contents of the key file at path, writing
// a new key there first if there is none. The key is written whole to a
// temporary file and then linked into place, which fails if another
// process got there first: a reader never sees a partial file, and two
// processes starting at once both end with the winner's key.
func readOrCreateKeyFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if !errors.Is(err, os.ErrNotExist) {
		return string(b), err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, secretKeyFile+".*.tmp") // mode 0600
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(keyring.NewKey() + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	// The database will soon hold values only this key opens: the file's
	// name must survive a power cut too. Best effort: not every system
	// can sync a directory.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	b, err = os.ReadFile(path)
	return string(b), err
}
