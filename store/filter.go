package store

import (
	"cmp"
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
// rides on the page's query as a scalar subquery, saving a round trip,
// but for ranges (see rangedFilterPage).
func (s *Store) FilterClients(ctx context.Context, org roster.OrgID, f roster.ClientFilter, p roster.Page) (roster.FilterPage, error) {
	f = scoped(ctx, f)
	if len(f.Ranges) > 0 {
		return s.rangedFilterPage(ctx, org, f, p)
	}
	w := s.filterWhere(org, f, false)
	from, filter, filterArgs := w.fromTable(), w.String(), w.args
	count, args := countQuery(f, from, filter, slices.Clip(filterArgs))
	var page roster.FilterPage
	var err error
	if page.Clients, err = s.filterPage(ctx, count, w, filter, args, p, &page.Count); err != nil {
		return page, err
	}
	if len(page.Clients) == 0 {
		// No row carried the count. A counter's query uses only the
		// organization of the filter's arguments, and PostgreSQL refuses
		// arguments a query does not use.
		if _, ok := counterOf(f); ok {
			filterArgs = filterArgs[:1]
		}
		count, args := countQuery(f, from, filter, filterArgs)
		return page, s.queryRow(ctx, count, args...).Scan(&page.Count)
	}
	return page, nil
}

// rangedFilterPage is FilterClients for a filter with ranges. Their count
// sums the counters of the range's values (counterOf) or else reads the
// first range's index; the page is read the way that count makes cheaper
// (rangedPage). The first page of a filter counts first, then reads the
// page; the next ones, by the count remembered (rangeWays), read the page
// with its count in one query.
func (s *Store) rangedFilterPage(ctx context.Context, org roster.OrgID, f roster.ClientFilter, p roster.Page) (roster.FilterPage, error) {
	var page roster.FilterPage
	w := s.filterWhere(org, f, false)
	key := rangeKey(w)
	seen, ok := s.rangeWays.get(key)
	if !ok {
		// The clients the page could walk: a coach's, or the organization's.
		count, args := s.rangeCount(org, w, f, nil)
		size, _ := listSize(org, false) // of the organization $1 alone
		sizeArgs := args
		if coach := cmp.Or(f.Scope, f.CoachUID); coach != "" {
			size, sizeArgs = counter{dim: coachDim(coach) + coachTotal.dim}.query(args)
		}
		if err := s.queryRow(ctx, `SELECT (`+count+`), (`+size+`)`, sizeArgs...).Scan(&seen.count, &seen.size); err != nil {
			return page, err
		}
		s.rangeWays.put(key, seen)
		if page.Count = seen.count; page.Count == 0 {
			return page, nil
		}
		var err error
		page.Clients, err = s.rangedPage(ctx, org, f, seen, p, nil, nil)
		return page, err
	}
	// The count rides on the page.
	var err error
	if page.Clients, err = s.rangedPage(ctx, org, f, seen, p, w, &page.Count); err != nil {
		return page, err
	}
	if len(page.Clients) == 0 {
		// No row carried the count: the page is past the last match, or
		// there is none.
		count, args := s.rangeCount(org, w, f, nil)
		if err := s.queryRow(ctx, count, args...).Scan(&page.Count); err != nil {
			return page, err
		}
	}
	s.rangeWays.put(key, rangeSeen{page.Count, seen.size})
	return page, nil
}

// rangeCount returns the query of the number of clients of the
// organization org that f, whose clause is w (not a walk's), matches,
// with its arguments: a counter's (counterOf) or else a count along the
// first range's index. Alone (page nil), a counter's query takes the
// organization alone of w's arguments (PostgreSQL refuses arguments a
// query does not use); to ride on a page whose arguments are page, it
// takes them all first. A count along the index takes w's arguments,
// which are the page's but when the page walks an activity's index on
// PostgreSQL (where.walkActivityIndex, which binds no activity): its
// clause is then numbered after the page's arguments.
func (s *Store) rangeCount(org roster.OrgID, w *where, f roster.ClientFilter, page []any) (string, []any) {
	c, ok := counterOf(f)
	switch {
	case ok && page == nil:
		return c.query([]any{w.args[0]})
	case ok:
		return c.query(slices.Clip(page))
	case page != nil && !slices.Equal(page, w.args):
		w = s.filterWhereAfter(org, f, false, page)
	}
	return `SELECT count(*) FROM ` + w.fromTable() + ` WHERE ` + w.String(), w.args
}

// rangedPage reads the page p of f with ranges, whose count and size (of
// the clients it could walk) were seen, the way they make cheaper: walking
// the list's order, testing the ranges on each client, or along the first
// range's index (see walks), with the count of f, whose clause (not a
// walk's) is counted, in n (counted nil: no count). A coach's page always walks the coach's
// assignments, which test the ranges themselves (where.coachTests), on
// PostgreSQL as many as should hold the page's matches twice over by the
// count (where.assignments), and all of them if that was too few.
// Unbounded, PostgreSQL reckons a range of bound parameters to hold one
// client in 200, so that it thinks the page must read them all anyway:
// it did, and sorted the matches, 3 ms for a coach of 1,000 clients.
// SQLite walks them in order (coachJoin) and stops at the page's last
// match by itself; bounded, it read the bound whole and sorted.
func (s *Store) rangedPage(ctx context.Context, org roster.OrgID, f roster.ClientFilter, seen rangeSeen, p roster.Page,
	counted *where, n *int64) ([]roster.Client, error) {
	coach := cmp.Or(f.Scope, f.CoachUID) != ""
	w := s.filterWhere(org, f, coach || walks(seen.count, seen.size, p.Limit))
	count, args := "", w.args
	if counted != nil {
		count, args = s.rangeCount(org, counted, f, w.args)
	}
	if coach && s.postgres && seen.count > 0 {
		if reach := 2*int64(p.Limit)*seen.size/seen.count + int64(p.Limit); reach < seen.size {
			w.assignments = int(reach)
		}
	}
	clients, err := s.filterPage(ctx, count, w, w.String(), args, p, n)
	if err == nil && len(clients) < p.Limit && w.assignments > 0 {
		w.assignments = 0
		clients, err = s.filterPage(ctx, count, w, w.String(), args, p, n)
	}
	return clients, err
}

// cursorParam is the placeholder $n of a keyset cursor's uid in a page of
// w. A range's page on PostgreSQL reads it through a subquery: the planner
// then cannot see where the cursor lies in the keyset, neither for a
// custom plan nor for the generic one, so their costs agree and the
// generic plan is kept after the first few. Seeing it, the planner costed
// the generic plan dearer and planned every request anew, 0.3 to 0.6 ms
// each, more than the query took to run.
func (s *Store) cursorParam(w *where, n int) string {
	if s.postgres && len(w.ranges) > 0 {
		return fmt.Sprintf("(SELECT $%d::text)", n)
	}
	return fmt.Sprintf("$%d", n)
}

// walks reports whether a page of a filter with ranges, whose count
// matches of n clients it reaches reach deep into, is read walking the
// list's order and testing the ranges on each client, or along the first
// range's index, reading every client in that range and sorting the
// matches. Walking reads about reach × n ÷ count clients, the index at
// least count.
func walks(count, n int64, reach int) bool {
	return count*count > int64(reach)*n
}

// filterPage reads the page p of the clients that w's clause where
// selects with its arguments, newest first. With a count query, each row
// carries its value, which is scanned into n.
func (s *Store) filterPage(ctx context.Context, count string, w *where, where string, args []any, p roster.Page, n *int64) ([]roster.Client, error) {
	query, args := s.filterPageQuery(count, w, where, args, p)
	var lead []any
	if count != "" {
		lead = []any{n}
	}
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var clients []roster.Client
	for rows.Next() {
		var c roster.Client
		if err := scanClient(rows, &c, lead...); err != nil {
			return clients, err
		}
		clients = append(clients, c)
	}
	if pageOrder(p) == "ASC" { // read walking up from the cursor
		slices.Reverse(clients)
	}
	return clients, rows.Err()
}

// pageOrder is the order in which the page p is read: walking down the
// keyset after a cursor or from the start, up from a cursor before it.
func pageOrder(p roster.Page) string {
	if p.After == "" && p.Before != "" {
		return "ASC"
	}
	return "DESC"
}

// filterPageQuery is filterPage's query, with its arguments. A page
// before a cursor walks up from it, and filterPage puts it back in list
// order.
func (s *Store) filterPageQuery(count string, w *where, where string, args []any, p roster.Page) (string, []any) {
	key, order := w.keyColumn(), pageOrder(p)
	cursor := "" // the keyset's condition on key
	switch {
	case p.After != "":
		args = append(args, p.After)
		cursor = " < " + s.cursorParam(w, len(args))
	case p.Before != "":
		args = append(args, p.Before)
		cursor = " > " + s.cursorParam(w, len(args))
	}
	if cursor != "" {
		where += " AND " + key + cursor
	}
	cols := listColumns
	if count != "" {
		cols = "(" + count + "), " + cols
	}
	from := w.fromTable()
	if w.assignments > 0 {
		// The walk's next assignments, from the same cursor.
		if cursor != "" {
			cursor = " AND client_uid" + cursor
		}
		// Bound, so that the statement is the same whatever the number.
		args = append(args, w.assignments)
		from = fmt.Sprintf(`(SELECT `+assignmentColumns+` FROM client_coaches
			WHERE coach_uid = %s AND counted = TRUE%s ORDER BY client_uid %s LIMIT $%d) cc CROSS JOIN clients`,
			w.coach, cursor, order, len(args))
	}
	return fmt.Sprintf(`SELECT %s FROM %s WHERE %s ORDER BY %s %s LIMIT %s`,
		cols, from, where, key, order, s.limit(&args, p.Limit)), args
}

// countQuery returns a query for the number of clients matching f, and its
// arguments: from the organization's counters without a filter (all its
// clients less the deactivated ones), from the counter that answers f if
// one does (see counterOf), and by counting rows through the filter's
// index otherwise.
func countQuery(f roster.ClientFilter, from, where string, args []any) (string, []any) {
	if f.IsZero() {
		return activeCount, args
	}
	if c, ok := counterOf(f); ok {
		return c.query(args)
	}
	return `SELECT count(*) FROM ` + from + ` WHERE ` + where, args
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

// filterWhere builds the clause of f; its first argument is always the
// organization. Deactivated clients are left out. walk: a page walks the
// list's order, testing f's ranges on each client (see where.walk).
func (s *Store) filterWhere(org roster.OrgID, f roster.ClientFilter, walk bool) *where {
	return s.filterWhereAfter(org, f, walk, nil)
}

// filterWhereAfter is filterWhere with its arguments numbered after
// those of another clause of the query, before (nil: none), whose first
// is the organization too.
func (s *Store) filterWhereAfter(org roster.OrgID, f roster.ClientFilter, walk bool, before []any) *where {
	w := newWhere("org_id", org)
	if before != nil {
		w.args = slices.Clone(before)
	}
	w.walk, w.postgres = walk, s.postgres
	w.and(deactivatedCond(false))
	w.and(visible)
	w.filter(f)
	w.activeCoach()
	return w
}

// activeCoach narrows a walk of a coach's assignments (coachJoin) to the
// clients they count, active and published, whose uids client_coaches_coach
// holds in order apart from the others'.
func (w *where) activeCoach() {
	if w.from == coachJoin {
		w.and("cc.counted = TRUE")
	}
}

// filter adds f's conditions to w.
func (w *where) filter(f roster.ClientFilter) {
	if f.AdminUID != "" {
		w.and("created_by = " + w.arg(f.AdminUID))
	}
	// A coach filter and a scope both hold: a scoped Admin asking for
	// another coach's clients sees those assigned to both. The query walks
	// the first coach's assignments (coachJoin).
	for _, coach := range []string{f.Scope, f.CoachUID} {
		switch {
		case coach == "":
		case w.from == "":
			w.from, w.coach = coachJoin, w.arg(coach)
			w.and(coachCond(w.coach))
		default:
			w.and(assignedTo(w.arg(coach)))
		}
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
	if w.from == coachJoin {
		w.coachTests(f.Activities)
		return
	}
	if len(f.Activities) == 1 && w.walk {
		if w.postgres && slices.Contains(roster.Activities, f.Activities[0]) {
			w.walkActivityIndex(f.Activities[0])
		} else {
			w.walkActivity(f.Activities[0])
		}
		return
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

// coachTests tests activities (any of them) and w's ranges on the
// coach's assignments that coachJoin walks, which hold them in
// client_coaches_coach (migration 27): only the clients that pass are
// looked up. The assignment's range columns are the client's prefixed
// client_; the client's are tested again on the few looked up.
func (w *where) coachTests(activities []string) {
	if len(activities) > 0 {
		w.and("(cc.activity_bits & " + w.arg(activityBits(activities)) + ") <> 0")
	}
	for _, b := range w.ranges {
		w.and(w.rangeTest(b, "cc.client_"+b.column))
	}
}

// walkActivity makes w walk the rows of one activity along
// client_activities_walk (migration 26), in uid order, instead of the
// organization's clients: each row holds what its client must be for the
// page, active, visible and within w's ranges, which are tested on the
// index, and only the clients that pass are looked up. The row's columns
// are named as the client's, so visible and the ranges' conditions read
// the same on both; the client's are tested again on the few looked up.
// CROSS JOIN keeps the walk first on SQLite.
func (w *where) walkActivity(activity string) {
	conds := []string{"org_id = $1", "activity = " + w.arg(activity), "deactivated = FALSE", visible}
	for _, b := range w.ranges {
		conds = append(conds, w.rangeTest(b, b.column))
	}
	w.from = `(SELECT client_id, client_uid FROM client_activities WHERE ` + strings.Join(conds, " AND ") + `) a CROSS JOIN clients`
	w.and("clients.id = a.client_id")
}

// walkActivityIndex makes w walk, on PostgreSQL, the index of one
// activity's active clients (clients_walk_*, migration 28) in uid order,
// testing w's ranges on it (rangesIndexed), so that only the page's rows
// are read. Its condition is the index's predicate word for word, the
// activity written in the query: PostgreSQL takes a partial index only
// for a query whose own clauses imply its predicate, and a bound
// parameter implies nothing. activity is one of roster.Activities, which
// need no quoting.
func (w *where) walkActivityIndex(activity string) {
	w.and(`preferable_activities LIKE '%"` + activity + `"%'`)
	w.rangesIndexed = true
}

// keyColumn is the column of the keyset that a page of w walks: the uids
// of the table its FROM leads with.
func (w *where) keyColumn() string {
	switch {
	case w.from == coachJoin:
		return "cc.client_uid"
	case w.from != "":
		return "a.client_uid"
	}
	return "uid"
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
		sqlType := "float8"
		if spec.Type == roster.TypeInteger {
			v, sqlType = int64(b.round(*b.v)), "bigint"
		}
		r := bound{at: len(w.conds), column: spec.Column, op: b.op, param: w.arg(v), sqlType: sqlType}
		w.ranges = append(w.ranges, r)
		w.and(r.column + " " + r.op + " " + r.param)
	}
}

// bound is one bound of a range filter, at conds[at] of its where:
// column op param, the column of type sqlType on PostgreSQL.
type bound struct {
	at                         int
	column, op, param, sqlType string
}

// rangeTest is the condition of the bound b on column, for a walk that
// tests it on each row or index entry it walks (where.walk). On
// PostgreSQL it reads the bound through a subquery, so that the generic
// plan is kept: planned knowing the bounds, the page along an activity's
// partial index (walkActivityIndex) looked cheaper than its generic
// plan, and PostgreSQL planned every page anew, proving the partial
// index's predicate each time (twice the CPU of the page).
func (w *where) rangeTest(b bound, column string) string {
	param := b.param
	if w.walk && w.postgres {
		param = "(SELECT " + param + "::" + b.sqlType + ")"
	}
	return column + " " + b.op + " " + param
}
