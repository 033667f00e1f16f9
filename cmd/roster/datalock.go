package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is the data directory's lock: serve and migrate hold it on
// SQLite for as long as they run. Two servers on one SQLite file would
// each take itself for the one writer its batcher and migrations assume.
// The commands that only write through the store (bootstrap, organization,
// set-password) run beside serve without it, as SQLite lets them.
const lockFile = "roster.lock"

// lockSQLite takes the data directory's lock when the database is SQLite,
// and returns what releases it; the kernel releases it too when the
// process ends, however it ends. PostgreSQL takes no lock: several
// processes serve one database.
func (c *dbConfig) lockSQLite() (release func(), err error) {
	if c.databaseURL != "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(c.dataDir, 0o750); err != nil {
		return nil, err
	}
	path := filepath.Join(c.dataDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the data directory %s is in use by another roster serve or migrate (process %s holds %s): "+
				"stop it first, or give this one a data directory of its own with --data",
				c.dataDir, cmp.Or(strings.TrimSpace(string(holder)), "unknown"), path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The holder's process id, for the message above; the file itself is
	// never removed, or a process could lock a file that another then
	// replaces.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
