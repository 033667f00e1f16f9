package photo

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func newDir(t *testing.T) (*Dir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "blobs")
	d, err := NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	return d, root
}

func readBlob(t *testing.T, d *Dir, key string) string {
	t.Helper()
	f, err := d.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// An overwrite leaves only the blob: no temporary file stays behind.
// (TestBlobsRoundTrip covers what every store does.)
func TestDirPutLeavesNoTempFiles(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t)
	const key = "org1/client1-abc.jpg"
	for _, data := range []string{"first", "second"} {
		if err := d.Put(ctx, key, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if got := readBlob(t, d, key); got != "second" {
		t.Fatalf("read %q after overwrite, want %q", got, "second")
	}
	if got := dirNames(t, filepath.Join(root, "org1")); !slices.Equal(got, []string{"client1-abc.jpg"}) {
		t.Fatalf("files = %q, want only the blob (no temp files)", got)
	}
}

func TestDirRejectsBadKeys(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t)
	long := strings.Repeat("a", 201)
	for _, key := range []string{
		"../x", "/abs", "a//b", "a/./b", "a/../b", "", ".", "a/", "a\\b", "a b", "a/\x00", long,
	} {
		if err := d.Put(ctx, key, []byte("x")); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Put(%q) = %v, want ErrInvalidKey", key, err)
		}
		if err := d.Delete(ctx, key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
	if got := dirNames(t, root); len(got) != 0 {
		t.Errorf("root contains %q after bad keys", got)
	}
	if got := dirNames(t, filepath.Dir(root)); !slices.Equal(got, []string{"blobs"}) {
		t.Errorf("root's parent contains %q", got)
	}
	if err := d.Put(ctx, long[:200], []byte("x")); err != nil {
		t.Errorf("Put of a 200-byte key: %v", err)
	}
}

func TestDirPutCleansUp(t *testing.T) {
	ctx := context.Background()
	d, root := newDir(t)
	// The target is a non-empty directory, so the rename must fail.
	if err := os.MkdirAll(filepath.Join(root, "org1", "c.png", "x"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "org1/c.png", []byte("x")); err == nil {
		t.Fatal("Put over a directory succeeded")
	}
	if got := dirNames(t, filepath.Join(root, "org1")); !slices.Equal(got, []string{"c.png"}) {
		t.Fatalf("files = %q, want the temp file removed", got)
	}
}

func TestDirCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d, root := newDir(t)
	if err := d.Put(ctx, "org1/a.png", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put = %v, want context.Canceled", err)
	}
	if got := dirNames(t, root); len(got) != 0 {
		t.Fatalf("root contains %q", got)
	}
}

func TestNewKey(t *testing.T) {
	re := regexp.MustCompile(`^org-1/client-2-[0-9a-f]{32}\.jpg$`)
	a, b := NewKey("org-1", "client-2", "jpg"), NewKey("org-1", "client-2", "jpg")
	if !re.MatchString(a) || !re.MatchString(b) {
		t.Fatalf("keys %q, %q do not match %v", a, b, re)
	}
	if a == b {
		t.Fatalf("two keys are both %q", a)
	}
	if !validKey(a) {
		t.Fatalf("NewKey made invalid key %q", a)
	}
}
