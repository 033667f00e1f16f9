package durable

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestClose: Close returns the writing's error rather than syncing, and
// closes the file either way; after a sound write the file holds its data.
func TestClose(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	failed := errors.New("disk full")
	if err := Close(f, failed); err != failed {
		t.Errorf("Close after a failed write: %v, want %v", err, failed)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("the file is still open: %v", err)
	}

	f, err = os.Create(filepath.Join(dir, "b"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Write([]byte("kept"))
	if err := Close(f, err); err != nil {
		t.Fatal(err)
	}
	if err := SyncDir(dir); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "b")); err != nil || string(b) != "kept" {
		t.Errorf("b holds %q (%v)", b, err)
	}
	if err := SyncDir(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SyncDir of a missing directory: %v", err)
	}
}
