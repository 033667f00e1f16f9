package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// TestListOrdersWalkAnIndex checks that the first page of each list order,
// either way, reads along an index instead of sorting the organization's
// clients: SQLite's plan has no temporary B-tree, and PostgreSQL's, with
// sorts and sequential scans made a last resort, no sort but an
// incremental one (of the clients of one key, as email order over the
// unique email index has). Migration 14 dropped the email order's own
// index.
func TestListOrdersWalkAnIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		for i := range 3 {
			if err := st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("c%d@example.com", i))); err != nil {
				t.Fatal(err)
			}
		}
		for _, order := range roster.ClientOrders {
			for _, asc := range []bool{true, false} {
				q := roster.ClientQuery{OrderBy: order, Ascending: asc}
				queries := st.SearchQueriesForTest(ctx, org.ID, q, 20)
				if len(queries) != 2 {
					t.Fatalf("%+v: no page query", q)
				}
				plan := explain(t, st, queries[1].SQL, queries[1].Args)
				if sorts(plan) {
					t.Errorf("%+v sorts:\n%s", q, plan)
				}
			}
		}
	})
}

// sorts reports whether a plan of either engine sorts, incremental sorts
// aside.
func sorts(plan string) bool {
	for line := range strings.Lines(plan) {
		node := strings.TrimPrefix(strings.TrimSpace(line), "->  ")
		if node == "Sort" || strings.Contains(node, "TEMP B-TREE") {
			return true
		}
	}
	return false
}

// explain returns the plan of a query, one line a step.
func explain(t *testing.T, st *store.Store, query string, args []any) string {
	t.Helper()
	tx, err := st.DBForTest().BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	explain := "EXPLAIN QUERY PLAN "
	if st.Engine() == "postgres" {
		explain = "EXPLAIN (COSTS OFF) "
		for _, set := range []string{"SET LOCAL enable_sort = off", "SET LOCAL enable_seqscan = off"} {
			if _, err := tx.Exec(set); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := tx.Query(explain+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var plan []string
	for rows.Next() {
		dest := make([]any, len(cols))
		for i := range dest {
			dest[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, string(*dest[len(dest)-1].(*sql.RawBytes)))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "\n")
}
