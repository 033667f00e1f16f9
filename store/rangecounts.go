package store

import (
	"context"
	"database/sql"
	"strings"

	"roster"
)

// rangeCountChunk is how many clients countRanges reads at a time.
var rangeCountChunk = 5000

// countRanges is migration 24: the counters of the range fields' values
// (rangeKeys) for the clients stored before them. It runs in
// Go because SQL cannot encode a double's bits alike on both engines. The
// active, published clients are read in chunks of their ids, and each
// chunk's counts added before the next is read, so memory stays bounded
// however many clients there are.
func countRanges(postgres bool) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		s := &Store{postgres: postgres} // for the engine's statements alone
		for last := int64(0); ; {
			deltas, n, next, err := rangeCountsAfter(ctx, tx, last)
			if err != nil {
				return err
			}
			for org, d := range deltas {
				queries, args := s.countsUpserts(org, d, nil)
				for i, query := range queries {
					if _, err := tx.ExecContext(ctx, query, args[i]...); err != nil {
						return err
					}
				}
			}
			if n < rangeCountChunk {
				return nil
			}
			last = next
		}
	}
}

// rangeCountsAfter reads up to rangeCountChunk of the active, published
// clients whose id is above last, and returns the counters they add to,
// how many it read and the last id.
func rangeCountsAfter(ctx context.Context, tx *sql.Tx, last int64) (orgDeltas, int, int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, org_id, preferable_activities, `+strings.Join(rangeColumns, ", ")+` FROM clients
		WHERE id > $1 AND deactivated_at IS NULL AND `+visible+` ORDER BY id LIMIT $2`, last, rangeCountChunk)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	deltas := orgDeltas{}
	n := 0
	for ; rows.Next(); n++ {
		var org roster.OrgID
		var c counted
		if err := c.scan(rows, &last, &org); err != nil {
			return nil, 0, 0, err
		}
		deltas.add(org, rangeKeys(c))
	}
	return deltas, n, last, rows.Err()
}
