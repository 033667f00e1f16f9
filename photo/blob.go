package photo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Blobs stores photos by key.
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error) // missing → error wrapping fs.ErrNotExist
	Delete(ctx context.Context, key string) error                    // missing is not an error
}

// ErrInvalidKey is wrapped by the errors for keys that NewKey could not have
// made. Such keys are refused so that no key can name a file outside root.
var ErrInvalidKey = errors.New("photo: invalid blob key")

// NewKey returns a fresh key for a client's photo. The random part means a
// new upload never reuses an old URL, so no cache can serve a stale picture.
func NewKey(orgUID, clientUID, ext string) string {
	b := make([]byte, 16)
	rand.Read(b) // never fails: crypto/rand crashes the program instead
	return orgUID + "/" + clientUID + "-" + hex.EncodeToString(b) + "." + ext
}

// Dir stores blobs as files under a root directory on local disk.
type Dir struct{ root string }

var _ Blobs = (*Dir)(nil)

// NewDir returns a Dir rooted at root, creating root if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, err
	}
	return &Dir{root: filepath.Clean(root)}, nil
}

// Put writes data under key atomically and durably: readers see the old file
// or the new one, never a partial one, and after a crash the new one is there.
func (d *Dir) Put(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := d.path(key)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	// MkdirAll may have created directories whose entries are not yet
	// durable either, so sync every directory up to root.
	for ; ; dir = filepath.Dir(dir) {
		if err := syncDir(dir); err != nil {
			return err
		}
		if dir == d.root {
			return nil
		}
	}
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open opens the blob under key for reading.
func (d *Dir) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path, err := d.path(key)
	if err != nil {
		// No file can have an invalid key, so it does not exist either.
		return nil, fmt.Errorf("%w: %w", err, fs.ErrNotExist)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	// A key such as "orgUID" names a directory, not a blob.
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
	return f, nil
}

// Delete removes the blob under key, if any.
func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func (d *Dir) path(key string) (string, error) {
	if !validKey(key) {
		return "", fmt.Errorf("%w %q", ErrInvalidKey, key)
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// validKey reports whether key is made of "/"-separated segments of
// [A-Za-z0-9._-], none of them empty, "." or "..".
func validKey(key string) bool {
	if key == "" || len(key) > 200 {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for _, c := range []byte(seg) {
			ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
				c == '.' || c == '_' || c == '-'
			if !ok {
				return false
			}
		}
	}
	return true
}
