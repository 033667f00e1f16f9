package store

import (
	"context"
	"database/sql"
	"testing"

	"roster"
)

// DeactivateForTest deactivates a client as the deactivation engineer's
// contract says: deactivated_at is set, the client leaves its counters as
// if deleted and joins the deactivated one, and client_count keeps it.
// Tests use it only until the store has its own deactivation.
func (s *Store) DeactivateForTest(ctx context.Context, org roster.OrgID, uid string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := s.lockedClient(ctx, tx, `SELECT id, profile_photo, created_by, gender, preferable_activities
			FROM clients WHERE org_id = $1 AND uid = $2 AND deactivated_at IS NULL`+s.forUpdate(), org, uid)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE clients SET deactivated_at = $2 WHERE id = $1`, old.id, dbTime{now()}); err != nil {
			return err
		}
		return s.moveCounts(ctx, tx, org, old.counts(), []countKey{deactivatedKey})
	})
}

// SetListChunkForTest makes list walks read n clients per query until t
// ends.
func SetListChunkForTest(t testing.TB, n int) {
	old := listChunk
	listChunk = n
	t.Cleanup(func() { listChunk = old })
}
