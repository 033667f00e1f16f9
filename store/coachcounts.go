package store

import (
	"context"
	"database/sql"
	"strings"

	"roster"
)

// coachCounts returns the coaches' counters (coachKeys) of the counted
// assignments, of active and published clients, that cond selects of
// client_coaches cc joined with its clients c, by organization. The rows
// are read as a stream: what it keeps is a count for each counter, not a
// row for each client.
func coachCounts(ctx context.Context, tx *sql.Tx, cond string, args ...any) (orgDeltas, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.org_id, cc.coach_uid, c.gender, c.preferable_activities, c.`+
		strings.Join(rangeColumns, ", c.")+`
		FROM client_coaches cc JOIN clients c ON c.id = cc.client_id WHERE cc.counted = TRUE AND `+cond, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	deltas := orgDeltas{}
	for rows.Next() {
		var org roster.OrgID
		var coach string
		var c counted
		if err := c.scan(rows, &org, &coach, &c.gender); err != nil {
			return nil, err
		}
		deltas.add(org, coachKeys(coach, c))
	}
	return deltas, rows.Err()
}

// countCoaches is migration 25: the coaches' counters of the assignments
// made before them.
func countCoaches(postgres bool) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		deltas, err := coachCounts(ctx, tx, "TRUE")
		if err != nil {
			return err
		}
		s := &Store{postgres: postgres} // for the engine's statements alone
		for org, d := range deltas {
			if err := s.adjustCounts(ctx, tx, org, d); err != nil {
				return err
			}
		}
		return nil
	}
}

// uncountCoaches undoes countCoaches, for a binary of schema 24.
func uncountCoaches(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM client_count_slots WHERE dim LIKE 'coach=%'`)
	return err
}

// uncountCoach takes the coach's counters away with their assignments, as
// the coach leaves the organization. On PostgreSQL the assignments are
// locked first, in a statement of their own: a transaction changing one of
// the clients holds its assignments (clientCoaches) until it has moved
// the coach's counters, and the clients' values are then read as it left
// them.
func (s *Store) uncountCoach(ctx context.Context, tx *sql.Tx, org roster.OrgID, coach string) error {
	if s.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM client_coaches WHERE coach_uid = $1 FOR UPDATE) AS locked`,
			coach); err != nil {
			return err
		}
	}
	deltas, err := coachCounts(ctx, tx, `cc.coach_uid = $1 AND c.org_id = $2`, coach, org)
	if err != nil {
		return err
	}
	for k, n := range deltas[org] {
		deltas[org][k] = -n
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM client_coaches WHERE coach_uid = $1`, coach); err != nil {
		return err
	}
	return s.adjustCounts(ctx, tx, org, deltas[org])
}
