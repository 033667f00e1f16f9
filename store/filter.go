package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// FilterClients returns one keyset page of the organization's clients that
// match f, newest first, with the number of matching clients. The count
// rides on the page's query as a scalar subquery, saving a round trip.
func (s *Store) FilterClients(ctx context.Context, org roster.OrgID, f roster.ClientFilter, p roster.Page) (roster.FilterPage, error) {
	filter, filterArgs := filterWhere(org, f)
	count, args := countQuery(f, filter, slices.Clip(filterArgs))
	where := filter
	order := "DESC"
	switch {
	case p.After != "":
		args = append(args, p.After)
		where += fmt.Sprintf(" AND uid < $%d", len(args))
	case p.Before != "":
		// Walk up from the cursor, then put the page back in list order.
		args = append(args, p.Before)
		where += fmt.Sprintf(" AND uid > $%d", len(args))
		order = "ASC"
	}
	var page roster.FilterPage
	rows, err := s.query(ctx, fmt.Sprintf(`SELECT (%s), %s FROM clients WHERE %s ORDER BY uid %s LIMIT %s`,
		count, listColumns, where, order, s.limit(&args, p.Limit)), args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var c roster.Client
		if err := scanClient(rows, &c, &page.Count); err != nil {
			return page, err
		}
		page.Clients = append(page.Clients, c)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	if len(page.Clients) == 0 {
		// No row carried the count. A counter's query uses only the
		// organization of the filter's arguments, and PostgreSQL refuses
		// arguments a query does not use.
		if _, ok := countKeyOf(f); ok {
			filterArgs = filterArgs[:1]
		}
		count, args := countQuery(f, filter, filterArgs)
		return page, s.queryRow(ctx, count, args...).Scan(&page.Count)
	}
	if order == "ASC" {
		slices.Reverse(page.Clients)
	}
	return page, nil
}

// countQuery returns a query for the number of clients matching f, and its
// arguments: from the organization's counters without a filter (all its
// clients less the deactivated ones), from client_count_slots with a filter on
// one gender, activity or admin (which count active clients only), and by
// counting rows through the filter's index otherwise.
func countQuery(f roster.ClientFilter, where string, args []any) (string, []any) {
	if f.IsZero() {
		return activeCount, args
	}
	if k, ok := countKeyOf(f); ok {
		args = append(args, k.dim, k.value)
		return counterSum(fmt.Sprintf("$%d", len(args)-1), fmt.Sprintf("$%d", len(args))), args
	}
	return `SELECT count(*) FROM clients WHERE ` + where, args
}

// limit returns the value of a LIMIT (or OFFSET) clause for n. On
// PostgreSQL it is written into the query: a prepared LIMIT $n is planned
// without knowing n, and may then sort instead of walking the index (n is
// an int the api package caps). On SQLite it is bound, so that the store's
// prepared statements stay few.
func (s *Store) limit(args *[]any, n int) string {
	if s.postgres {
		return strconv.Itoa(n)
	}
	*args = append(*args, n)
	return fmt.Sprintf("$%d", len(*args))
}

// filterWhere builds the WHERE clause of f; its first argument is always
// the organization. Deactivated clients are left out.
func filterWhere(org roster.OrgID, f roster.ClientFilter) (string, []any) {
	w := newWhere("org_id", org)
	w.and(deactivatedCond(false))
	w.and(visible)
	w.filter(f)
	return w.String(), w.args
}

// filter adds f's conditions to w.
func (w *where) filter(f roster.ClientFilter) {
	if f.AdminUID != "" {
		w.and("created_by = " + w.arg(f.AdminUID))
	}
	if f.Gender != "" {
		w.and("gender = " + w.arg(f.Gender))
	}
	if !f.From.IsZero() {
		w.and("last_session >= " + w.arg(dbTime{f.From}))
	}
	if !f.To.IsZero() {
		w.and("last_session < " + w.arg(dbTime{f.To}))
	}
	for _, r := range f.Ranges {
		w.rangeCond(r)
	}
	if len(f.Activities) > 0 {
		in := make([]string, len(f.Activities))
		for i, a := range f.Activities {
			in[i] = w.arg(a)
		}
		// Correlated, so that a page walks the keyset index and checks each
		// client's few activity rows, instead of collecting every client of
		// the activity first.
		w.and(`EXISTS (SELECT 1 FROM client_activities a WHERE a.client_id = clients.id AND a.activity IN (` +
			strings.Join(in, ", ") + `))`)
	}
}

// rangeCond adds r's bounds to w. A whole-number column is compared with
// whole numbers, the lower bound rounded up and the upper one down, which
// select the same clients: PostgreSQL would compare an integer column with
// a double by converting the column, which its index does not hold.
func (w *where) rangeCond(r roster.Range) {
	spec := roster.Fields[r.Field]
	for _, b := range []struct {
		op    string
		v     *float64
		round func(float64) float64
	}{{">=", r.Min, math.Ceil}, {"<=", r.Max, math.Floor}} {
		if b.v == nil {
			continue
		}
		var v any = *b.v
		if spec.Type == roster.TypeInteger {
			v = int64(b.round(*b.v))
		}
		w.and(spec.Column + " " + b.op + " " + w.arg(v))
	}
}
