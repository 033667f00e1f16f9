// Package durable holds what makes a change to the file system survive a
// crash or a power cut, beyond the data of a file itself (File.Sync).
package durable

import "os"

// SyncDir syncs the directory dir, so that the entries created, renamed or
// removed in it stay after a crash: a file's own sync does not cover its
// name.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return Close(d, nil)
}

// Close syncs f, a file just written, unless err says the writing failed,
// then closes it, and returns the first error: a file closed without a
// sync may be empty after a power cut, however complete it looked.
func Close(f *os.File, err error) error {
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
