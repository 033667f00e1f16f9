package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"roster"
)

// SetSearchIndexedMostForTest sets the most matches read through the search
// index for the test's length: 0 makes every page but the deepest, and every
// stream, walk the list's order.
func SetSearchIndexedMostForTest(t testing.TB, n int64) {
	old := searchIndexedMost
	searchIndexedMost = n
	t.Cleanup(func() { searchIndexedMost = old })
}

// SetSearchCountMostForTest sets the most matches a search's count reports
// for the test's length.
func SetSearchCountMostForTest(t testing.TB, n int64) {
	old := searchCountMost
	searchCountMost = n
	t.Cleanup(func() { searchCountMost = old })
}

// NewestPageForTest returns the uids of the page of limit clients offset
// into q's matches that newestPage reads among the organization's newest
// 5 × (SearchCountMost + 1) clients, as ClientPage reads the pages near the
// start, and whether it is full.
func (s *Store) NewestPageForTest(ctx context.Context, org roster.OrgID, q roster.ClientQuery, offset, limit int) ([]string,
	bool, error) {
	got, full, err := s.newestPage(ctx, org, q, offset, limit, searchCountMost+1)
	var uids []string
	for _, l := range got {
		uids = append(uids, l.c.UID)
	}
	return uids, full, err
}

// NewestPagePlanForTest returns SQLite's plan for newestPage's first page
// of q's matches, one line a step.
func (s *Store) NewestPagePlanForTest(ctx context.Context, org roster.OrgID, q roster.ClientQuery) (string, error) {
	query, args := s.newestPageQuery(org, q, 0, 10, searchCountMost+1)
	return s.planForTest(ctx, query, args)
}

// NewestPlanForTest returns SQLite's plan for denseCount's read of the
// organization's newest clients, one line a step.
func (s *Store) NewestPlanForTest(ctx context.Context, org roster.OrgID) (string, error) {
	w, newest := s.newest(org, 320)
	return s.planForTest(ctx, newest, w.bound())
}

// SearchCountPlanForTest returns SQLite's plan for the count of q's
// matches, one line a step.
func (s *Store) SearchCountPlanForTest(ctx context.Context, org roster.OrgID, q roster.ClientQuery) (string, error) {
	bound := searchCountBound(q, 10)
	way, _, err := s.countWay(ctx, org, q, bound)
	if err != nil {
		return "", err
	}
	query, args := s.listCount(org, q, way, bound)
	return s.planForTest(ctx, query, args)
}

// planForTest returns SQLite's plan for query, one line a step.
func (s *Store) planForTest(ctx context.Context, query string, args []any) (string, error) {
	rows, err := s.rdb.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "\n"), rows.Err()
}

// SearchQuery is one query a page of a search runs.
type SearchQuery struct {
	What string
	SQL  string
	Args []any
}

// SearchQueriesForTest returns the count of q's matches and the query of
// its first page of limit clients, the way ClientPage picks after the
// count, whether or not it first reads the page among the newest clients
// (newestPage). The count is the one countWay picks, which a search that
// denseCount counts (or whose list is shorter than its sample) does not
// run.
func (s *Store) SearchQueriesForTest(ctx context.Context, org roster.OrgID, q roster.ClientQuery, limit int) []SearchQuery {
	bound := searchCountBound(q, limit)
	way, _, err := s.countWay(ctx, org, q, bound)
	if err != nil {
		return nil
	}
	count, countArgs := s.listCount(org, q, way, bound)
	var p roster.FilterPage
	n, way, walk, err := s.countPage(ctx, org, q, limit, &p)
	if err != nil {
		return nil
	}
	page, pageArgs := s.segmentQuery(org, q, way, segmentsOf(q)[0], nil, 0, limit, walk)
	return []SearchQuery{{"count", count, countArgs}, {fmt.Sprintf("page (%d matches)", n), page, pageArgs}}
}

// RangeWalkQueryForTest is the query of a page p of f that walks the
// list's order, testing f's ranges on each client (see walks).
func (s *Store) RangeWalkQueryForTest(org roster.OrgID, f roster.ClientFilter, p roster.Page) SearchQuery {
	w := s.filterWhere(org, f, true)
	query, args := s.filterPageQuery("", w, w.String(), w.args, p)
	return SearchQuery{"walk", query, args}
}

// RangeKeyForTest is rangeKey of a clause with args.
func RangeKeyForTest(args ...any) string {
	return rangeKey(&where{conds: []string{"org_id = $1"}, args: args})
}
