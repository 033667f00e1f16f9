package store

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"roster"
)

// SetLastSession sets a client's last_session directly, for tests of the
// filters that select on it.
func (s *Store) SetLastSession(ctx context.Context, org roster.OrgID, uid string, t time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE clients SET last_session = $3 WHERE org_id = $1 AND uid = $2`, org, uid, dbTime{t})
		return mustAffect(res, err, roster.ErrClientNotFound)
	})
}

// SetListChunkForTest makes list walks read n clients per query until t
// ends.
func SetListChunkForTest(t testing.TB, n int) {
	old := listChunk
	listChunk = n
	t.Cleanup(func() { listChunk = old })
}

// SettingForTest returns a PostgreSQL setting (SHOW name) of the store's
// pool, or of its migrations' when migrations is set.
func (s *Store) SettingForTest(ctx context.Context, migrations bool, name string) (string, error) {
	db := s.rdb
	if migrations {
		db = s.mdb
	}
	var v string
	err := db.QueryRowContext(ctx, "SHOW "+name).Scan(&v)
	return v, err
}

// QueryForTest runs query on the store's pool, for tests of its limits.
func (s *Store) QueryForTest(ctx context.Context, query string) error {
	_, err := s.rdb.ExecContext(ctx, query)
	return err
}
