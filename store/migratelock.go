package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockMigrations makes the processes that migrate one SQLite file take
// turns, as PostgreSQL's session lock does for a schema: goose has no lock
// of its own for SQLite, and a bootstrap started while serve still
// migrates would apply the same migration a second time. The lock is a
// file beside the database, held with flock until release, or until the
// process ends, however it ends.
func (s *Store) lockMigrations(ctx context.Context) (release func(), err error) {
	if s.postgres {
		return func() {}, nil
	}
	return lockSQLite(ctx, s.path)
}

// lockSQLite holds the lock file beside the SQLite database at path until
// release.
func lockSQLite(ctx context.Context, path string) (release func(), err error) {
	path += ".migrate-lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// Polled rather than waited for, so that ctx can end the wait;
		// another process's migrations take well under a second.
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for another process's migrations (%s): %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
