package store

import (
	"context"
	"database/sql"
	"testing"
)

// MigrateTo brings the schema up to version and no further, so that a test
// can write rows as an older Roster did before the next migrations run.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, _, err := s.provider(ctx)
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}

// DB returns the database the store writes to, for tests that write and
// read rows as no store method does.
func (s *Store) DB() *sql.DB { return s.wdb }

// SetAuditFillChunkForTest makes migration 5 read and write n entries at a
// time until t ends.
func SetAuditFillChunkForTest(t testing.TB, n int) {
	old := auditFillChunk
	auditFillChunk = n
	t.Cleanup(func() { auditFillChunk = old })
}

// SetRangeCountChunkForTest makes migration 24 read n clients at a time
// until t ends.
func SetRangeCountChunkForTest(t testing.TB, n int) {
	old := rangeCountChunk
	rangeCountChunk = n
	t.Cleanup(func() { rangeCountChunk = old })
}
