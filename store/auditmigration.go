package store

import (
	"context"
	"database/sql"
	"strconv"

	"roster"
)

// auditUIDs is migration 5: it gives every audit entry a uid, the id the
// API shows instead of the INTEGER key, which counts the entries of every
// organization. Existing entries get uids of their own time, in their time
// order, each organization's sequence apart from the others' (see
// roster.UIDAfter), so that nothing of the old key survives in them and
// they sort before any uid made later. Its indexes replace the ones ending
// with id: each serves one filter of the keyset (org_id, uid).
//
// The column's default only stands in until the rows have their uids:
// SQLite can neither add a NOT NULL column without one nor drop it without
// copying the table, and every insert names the column.
func auditUIDs(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(ctx, tx,
		`DROP INDEX audit_log_org`,
		`DROP INDEX audit_log_org_object`,
		`DROP INDEX audit_log_org_actor`,
		`ALTER TABLE audit_log ADD COLUMN uid TEXT NOT NULL DEFAULT ''`,
		`CREATE INDEX audit_log_at_id ON audit_log (at, id)`); err != nil {
		return err
	}
	if err := fillAuditUIDs(ctx, tx); err != nil {
		return err
	}
	return execAll(ctx, tx,
		`DROP INDEX audit_log_at_id`,
		`CREATE UNIQUE INDEX audit_log_org_uid ON audit_log (org_id, uid)`,
		`CREATE INDEX audit_log_org_actor ON audit_log (org_id, actor_uid, uid)`,
		`CREATE INDEX audit_log_org_object ON audit_log (org_id, object_uid, uid)`,
		`CREATE INDEX audit_log_org_action ON audit_log (org_id, action, uid)`,
		`CREATE INDEX audit_log_org_at ON audit_log (org_id, at, uid)`)
}

func execAll(ctx context.Context, tx *sql.Tx, statements ...string) error {
	for _, q := range statements {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// auditFillChunk is how many entries the fill reads at a time: pgx cannot
// write on a connection while a read is open on it.
var auditFillChunk = 1000

// fillAuditUIDs walks the entries in time order. One prepared UPDATE a row
// is the fastest way on SQLite, where a statement of thousands of
// parameters binds each by a linear search, and as fast as one UPDATE a
// chunk on PostgreSQL, where rewriting the rows is what costs.
func fillAuditUIDs(ctx context.Context, tx *sql.Tx) error {
	update, err := tx.PrepareContext(ctx, `UPDATE audit_log SET uid = $1 WHERE id = $2`)
	if err != nil {
		return err
	}
	defer update.Close()
	last := map[int64]string{} // organization (0: none) → its latest uid
	var after *auditRow
	for {
		chunk, err := auditRowsAfter(ctx, tx, after)
		if err != nil || len(chunk) == 0 {
			return err
		}
		for _, r := range chunk {
			last[r.org] = roster.UIDAfter(r.at.Time, last[r.org])
			if _, err := update.ExecContext(ctx, last[r.org], r.id); err != nil {
				return err
			}
		}
		after = &chunk[len(chunk)-1]
	}
}

type auditRow struct {
	id, org int64
	at      dbTime
}

// auditRowsAfter returns the next chunk of entries in (at, id) order.
func auditRowsAfter(ctx context.Context, tx *sql.Tx, after *auditRow) ([]auditRow, error) {
	where, args := "", []any{}
	if after != nil {
		where, args = `WHERE (at, id) > ($1, $2)`, []any{after.at, after.id}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, COALESCE(org_id, 0), at FROM audit_log `+where+
		` ORDER BY at, id LIMIT `+strconv.Itoa(auditFillChunk), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var chunk []auditRow
	for rows.Next() {
		var r auditRow
		if err := rows.Scan(&r.id, &r.org, &r.at); err != nil {
			return nil, err
		}
		chunk = append(chunk, r)
	}
	return chunk, rows.Err()
}
