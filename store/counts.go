package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"roster"
)

// countKey is one row of client_counts.
type countKey struct{ dim, value string }

// deactivatedKey counts the organization's deactivated clients. A client
// being deactivated leaves its other counters as if deleted and joins this
// one, while organizations.client_count goes on counting it (the plan's
// limit counts deactivated clients too).
var deactivatedKey = countKey{"status", "deactivated"}

// deactivatedCount is an expression for the number of deactivated clients
// of the organization $1; activeCount is a query for the number of active ones.
var (
	deactivatedCount = fmt.Sprintf(`COALESCE((SELECT n FROM client_counts WHERE org_id = $1 AND dim = '%s' AND value = '%s'), 0)`,
		deactivatedKey.dim, deactivatedKey.value)
	activeCount = `SELECT client_count - ` + deactivatedCount + ` FROM organizations WHERE id = $1`
)

// countKeys returns the counters a client with these values adds to.
func countKeys(createdBy string, gender *string, activities []string) []countKey {
	keys := []countKey{{"admin", createdBy}}
	if gender != nil {
		keys = append(keys, countKey{"gender", *gender})
	}
	for _, a := range activities {
		keys = append(keys, countKey{"activity", a})
	}
	return keys
}

// adjustCounts adds each delta to its counter, in (dim, value) order: every
// transaction takes these row locks in the same order, before the
// organization's row, so that on PostgreSQL none waits on another in a
// cycle.
func (s *Store) adjustCounts(ctx context.Context, tx *sql.Tx, org roster.OrgID, deltas map[countKey]int) error {
	keys := make([]countKey, 0, len(deltas))
	for k, d := range deltas {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b countKey) int {
		return cmp.Or(strings.Compare(a.dim, b.dim), strings.Compare(a.value, b.value))
	})
	for _, k := range keys {
		if _, err := s.txExec(ctx, tx, `
			INSERT INTO client_counts (org_id, dim, value, n) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id, dim, value) DO UPDATE SET n = client_counts.n + excluded.n`,
			org, k.dim, k.value, deltas[k]); err != nil {
			return err
		}
	}
	return nil
}

// countKeyOf returns the one counter that answers the count of f, if any.
func countKeyOf(f roster.ClientFilter) (countKey, bool) {
	var keys []countKey
	if f.AdminUID != "" {
		keys = append(keys, countKey{"admin", f.AdminUID})
	}
	if f.Gender != "" {
		keys = append(keys, countKey{"gender", f.Gender})
	}
	if len(f.Activities) == 1 {
		keys = append(keys, countKey{"activity", f.Activities[0]})
	}
	if len(keys) != 1 || len(f.Activities) > 1 || !f.From.IsZero() || !f.To.IsZero() {
		return countKey{}, false
	}
	return keys[0], true
}
