package store

import (
	"context"
	"database/sql"
)

// MaxWriteStmts is maxWriteStmts, for tests.
const MaxWriteStmts = maxWriteStmts

// WriteStmts is how many statements s keeps prepared for writes.
func (s *Store) WriteStmts() int { return int(s.writeStmts.Load()) }

// ExecInTx runs query in a write transaction, as the store runs its own.
func (s *Store) ExecInTx(ctx context.Context, query string, args ...any) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.txExec(ctx, tx, query, args...)
		return err
	})
}
