package store

import (
	"context"
	"database/sql"
	"errors"
)

// CheckWritable commits one small durable write, the way every write
// commits, and reports what stops it: a full disk, a read-only or
// recovering PostgreSQL, a writer held elsewhere. It bounds nothing itself
// beyond ctx (which SQLite's batcher stops watching once the write is
// queued); its caller waits as long as it likes.
func (s *Store) CheckWritable(ctx context.Context) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if !s.postgres {
			// Rewrites the database header's user version, which nothing
			// reads: a page appended to the WAL at commit, and no table.
			_, err := tx.ExecContext(ctx, `PRAGMA user_version = 0`)
			return err
		}
		// A transaction id makes the commit write and flush a WAL record;
		// read-only mode (default_transaction_read_only, which operators
		// set on a full disk) and a standby would refuse the writes only.
		var readOnly bool
		err := tx.QueryRowContext(ctx, `SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'
			FROM (SELECT pg_current_xact_id()) AS assigned`).Scan(&readOnly)
		if err == nil && readOnly {
			err = errors.New("PostgreSQL is read-only (transaction_read_only, or a standby in recovery)")
		}
		return err
	})
}
