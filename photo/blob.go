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
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"roster"
	"roster/internal/durable"
)

// Blobs stores photos by key: on local disk (Dir) or in an S3 bucket (S3).
type Blobs interface {
	Put(ctx context.Context, key string, data []byte) error
	Open(ctx context.Context, key string) (io.ReadSeekCloser, error) // missing → error wrapping fs.ErrNotExist
	Delete(ctx context.Context, key string) error                    // missing is not an error
	// List returns up to limit blobs whose keys come after after, in the
	// store's own order, for the Sweeper to walk them a batch at a time;
	// fewer than limit means the end.
	List(ctx context.Context, after string, limit int) ([]Info, error)
}

// Info describes a stored blob.
type Info struct {
	Key     string
	ModTime time.Time // when it was written
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

// thumbSuffix comes before the extension of a thumbnail's key, so that a
// photo's thumbnail is found from the photo's key alone, without a column.
const thumbSuffix = ".thumb"

// ThumbnailKey returns the key of the thumbnail stored beside the photo
// under key.
func ThumbnailKey(key string) string {
	ext := path.Ext(key)
	return strings.TrimSuffix(key, ext) + thumbSuffix + ext
}

// PhotoOfThumbnail returns the key of the photo whose thumbnail is under
// key, if it is a thumbnail's.
func PhotoOfThumbnail(key string) (string, bool) {
	ext := path.Ext(key)
	base, ok := strings.CutSuffix(strings.TrimSuffix(key, ext), thumbSuffix)
	return base + ext, ok
}

// keyParts splits a key that NewKey or ThumbnailKey made: the uids of its
// organization and client, and the key of the photo it is or belongs to.
func keyParts(key string) (orgUID, clientUID, photoKey string, ok bool) {
	orgUID, file, ok := strings.Cut(key, "/")
	if !ok || strings.Contains(file, "/") || !roster.ValidUID(orgUID) || !validKey(key) {
		return "", "", "", false
	}
	ext := path.Ext(file)
	if ContentType(strings.TrimPrefix(ext, ".")) == "" {
		return "", "", "", false
	}
	photoKey, _ = PhotoOfThumbnail(key)
	base := strings.TrimSuffix(path.Base(photoKey), ext)
	// A uid may hold "-" too: the random part follows the last one.
	i := strings.LastIndexByte(base, '-')
	clientUID, random := base[:max(i, 0)], base[i+1:]
	if !roster.ValidUID(clientUID) || len(random) != 32 || strings.Trim(random, "0123456789abcdef") != "" {
		return "", "", "", false
	}
	return orgUID, clientUID, photoKey, true
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
	f, err := os.CreateTemp(dir, TempPrefix+"*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	err = durable.Close(f, err)
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
		if err := durable.SyncDir(dir); err != nil {
			return err
		}
		if dir == d.root {
			return nil
		}
	}
}

// TempPrefix starts the names of the files Put writes before renaming them:
// such a file is not a blob (yet), and a copy of the directory skips it.
const TempPrefix = ".tmp-"

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

// List returns up to limit blobs after after in the order of their
// segments (org1/x before org1-b/y). It reads the directories it passes
// through a chunk at a time and keeps only limit names of each, so memory
// stays small however many photos there are.
func (d *Dir) List(ctx context.Context, after string, limit int) ([]Info, error) {
	var from []string
	if after != "" {
		from = strings.Split(after, "/")
	}
	var out []Info
	err := d.list(ctx, d.root, "", from, limit, &out)
	return out, err
}

// list appends to out the blobs of dir, whose key prefix is prefix, that
// come after the segments from (nil: all of them), until out holds limit.
func (d *Dir) list(ctx context.Context, dir, prefix string, from []string, limit int, out *[]Info) error {
	for len(*out) < limit {
		entries, err := firstEntries(dir, from, limit-len(*out))
		if err != nil || len(entries) == 0 {
			return err
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			var rest []string // what remains of from inside e
			if len(from) > 1 && e.Name() == from[0] {
				rest = from[1:]
			}
			if e.IsDir() {
				if err := d.list(ctx, filepath.Join(dir, e.Name()), prefix+e.Name()+"/", rest, limit, out); err != nil {
					return err
				}
			} else if info, err := e.Info(); err == nil {
				*out = append(*out, Info{Key: prefix + e.Name(), ModTime: info.ModTime()})
			} else if !errors.Is(err, fs.ErrNotExist) { // deleted since it was listed
				return err
			}
			if len(*out) == limit {
				return nil
			}
		}
		// The next round starts after the last entry taken.
		from = []string{entries[len(entries)-1].Name()}
	}
	return nil
}

// firstEntries returns, sorted by name, the first n entries of dir that are
// regular files or directories with valid names and come after the
// segments from: a name above from[0], or equal to it for a directory
// from goes on into. A missing dir has none.
func firstEntries(dir string, from []string, n int) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	byName := func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) }
	var keep []fs.DirEntry
	for {
		chunk, err := f.ReadDir(256)
		for _, e := range chunk {
			name, isDir := e.Name(), e.IsDir()
			if !isDir && !e.Type().IsRegular() || !validKey(name) {
				continue
			}
			if len(from) > 0 && (name < from[0] || name == from[0] && (!isDir || len(from) == 1)) {
				continue
			}
			keep = append(keep, e)
		}
		if len(keep) > 2*n {
			slices.SortFunc(keep, byName)
			keep = keep[:n]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	slices.SortFunc(keep, byName)
	return keep[:min(n, len(keep))], nil
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
