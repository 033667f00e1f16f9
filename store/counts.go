package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	"roster"
)

// countKey is one row of client_counts.
type countKey struct{ dim, value string }

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

// adjustCounts adds delta to each counter, in (dim, value) order.
func (s *Store) adjustCounts(ctx context.Context, tx *sql.Tx, org roster.OrgID, keys []countKey, delta int) error {
	slices.SortFunc(keys, func(a, b countKey) int {
		if a.dim != b.dim {
			return strings.Compare(a.dim, b.dim)
		}
		return strings.Compare(a.value, b.value)
	})
	for _, k := range keys {
		if _, err := s.txExec(ctx, tx, `
			INSERT INTO client_counts (org_id, dim, value, n) VALUES ($1, $2, $3, $4)
			ON CONFLICT (org_id, dim, value) DO UPDATE SET n = client_counts.n + excluded.n`,
			org, k.dim, k.value, delta); err != nil {
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
