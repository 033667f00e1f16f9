package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"roster"
)

// where is a WHERE clause under construction, scoped to one organization
// by its first argument.
type where struct {
	conds []string
	args  []any
	// byRowid is set when, on SQLite, the clients are to be reached only
	// through the rowids the search index returns (see searchCond).
	byRowid bool
	// customPlan is set when, on PostgreSQL, the query must be planned for
	// its arguments each time it runs (see searchCond).
	customPlan bool
	// from is the FROM that leads to the clients, when not the clients
	// table alone: coachJoin, for a coach's clients, whose uid is bound at
	// coach.
	from, coach string
	// ranges are the range filters' bounds, each at its place in conds.
	ranges []bound
	// assignments, when not 0, is how many of the coach's assignments a
	// walk of coachJoin reads at most (see rangedPage).
	assignments int
	// walk is set when the query is to walk another index than a range's
	// (the list's order), testing the ranges on each client: their columns
	// are then written +age, which neither engine looks up in an index,
	// unless rangesIndexed.
	walk bool
	// rangesIndexed is set when a walk tests the ranges on the index it
	// walks, that of the clients' activity (where.walkActivityIndex).
	rangesIndexed bool
	// postgres is set on PostgreSQL, whose walks read the ranges' bounds
	// through subqueries (where.rangeTest) and walk an activity's clients
	// along their own index (where.walkActivityIndex).
	postgres bool
}

// newWhere starts a clause on the organization column named.
func newWhere(column string, org roster.OrgID) *where {
	return &where{conds: []string{column + " = $1"}, args: []any{org}}
}

// arg binds v and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) and(cond string) { w.conds = append(w.conds, cond) }

// bound returns the arguments of w's query.
func (w *where) bound() []any {
	if w.customPlan {
		// pgx takes a leading QueryExecMode as how to run the query, not
		// as an argument: Exec sends it unnamed, planned as it is bound.
		return append([]any{pgx.QueryExecModeExec}, w.args...)
	}
	return w.args
}

// clients is the FROM and WHERE of a query of the clients w selects.
func (w *where) clients() string {
	from := w.fromTable()
	if w.byRowid {
		// Without it SQLite walks an index of the organization's clients
		// and tests each against the search's hits: it cannot know how many
		// clients the organization has or how few the search finds.
		from += " NOT INDEXED"
	}
	return from + " WHERE " + w.String()
}

// fromTable is the FROM of w's clients.
func (w *where) fromTable() string { return cmp.Or(w.from, "clients") }

func (w *where) String() string {
	conds := w.conds
	if w.walk && len(w.ranges) > 0 {
		conds = slices.Clone(conds)
		for _, b := range w.ranges {
			column := "+" + b.column
			if w.rangesIndexed {
				column = b.column
			}
			conds[b.at] = w.rangeTest(b, column)
		}
	}
	return strings.Join(conds, " AND ")
}

// orderColumns are the sort columns of the list orders; created_at sorts by
// uid alone. Each has an index on (org_id, column, uid), but email_key,
// unique in an organization, whose index on (org_id, column) gives the
// same order.
var orderColumns = map[roster.ClientOrder]string{
	roster.OrderDisplayName:   "name_key",
	roster.OrderEmail:         "email_key",
	roster.OrderLastSession:   "last_session",
	roster.OrderSessionsCount: "sessions_count",
}

// segment is a stretch of a list that one walk along an index returns in
// order: the clients that also match cond, sorted by key (when set) and uid.
type segment struct {
	cond string
	key  string
}

// segmentsOf splits q's order into segments. NULL sorts first on SQLite and
// last on PostgreSQL, and asking either for NULLS LAST makes it sort instead
// of walking the index in one direction or the other; so the clients with a
// last session are listed first, then those without, each along the index.
func segmentsOf(q roster.ClientQuery) []segment {
	key := orderColumns[q.OrderBy]
	if key == "last_session" {
		return []segment{{cond: "last_session IS NOT NULL", key: key}, {cond: "last_session IS NULL"}}
	}
	return []segment{{key: key}}
}

// listWhere selects the clients of the organization that q matches, the
// search's found the way given.
func (s *Store) listWhere(org roster.OrgID, q roster.ClientQuery, way searchWay) *where {
	w := newWhere("org_id", org)
	w.postgres = s.postgres
	w.and(deactivatedCond(q.Deactivated))
	w.and(visible)
	if q.Email != "" {
		w.and("email_key = " + w.arg(roster.EmailKey(q.Email)))
	}
	w.filter(q.ClientFilter)
	if !q.Deactivated {
		w.activeCoach()
	}
	if q.Search != "" {
		s.searchCond(w, roster.NewSearchKey(q.Search), way)
	}
	return w
}

func deactivatedCond(deactivated bool) string {
	if deactivated {
		return "deactivated_at IS NOT NULL"
	}
	return "deactivated_at IS NULL"
}

// segmentWhere selects the clients of seg that q matches.
func (s *Store) segmentWhere(org roster.OrgID, q roster.ClientQuery, way searchWay, seg segment) *where {
	w := s.listWhere(org, q, way)
	if seg.cond != "" {
		w.and(seg.cond)
	}
	return w
}

// position is where a keyset walk of a segment stands: the sort key and uid
// of the last client read.
type position struct {
	key any
	uid string
}

// segmentQuery returns the query for limit clients of seg in q's order,
// after from (when not nil) and offset rows on, walking the order's index
// if walk (see where.walk).
func (s *Store) segmentQuery(org roster.OrgID, q roster.ClientQuery, way searchWay, seg segment, from *position,
	offset, limit int, walk bool) (string, []any) {
	w := s.segmentWhere(org, q, way, seg)
	w.walk = walk
	dir, cmp := "DESC", "<"
	if q.Ascending {
		dir, cmp = "ASC", ">"
	}
	// fenced: a count found few matches (or stopped where walking might
	// read most of the list, see stoppedWay), and on PostgreSQL they are
	// read all through the trigram indexes and sorted, rather than letting the
	// planner walk the order's index on its guess of how many match, which
	// can read a large part of the organization. A subquery with OFFSET 0
	// is not merged into the query around it; the sort key is named apart
	// from the columns in it.
	fenced := way == searchIndexed && s.postgres
	cols, order := listColumns, "uid "+dir
	switch {
	case seg.key != "":
		cols, order = seg.key+", "+cols, seg.key+" "+dir+", "+order
		if fenced {
			cols, order = seg.key+" AS sort_key, "+listColumns, "sort_key "+dir+", uid "+dir
		}
		if from != nil {
			w.and(fmt.Sprintf("(%s, uid) %s (%s, %s)", seg.key, cmp, w.arg(from.key), w.arg(from.uid)))
		}
	case from != nil:
		w.args = append(w.args, from.uid)
		w.and("uid " + cmp + " " + s.cursorParam(w, len(w.args)))
	}
	query := `SELECT ` + cols + ` FROM ` + w.clients()
	if fenced {
		query = `SELECT * FROM (` + query + ` OFFSET 0) AS hits`
	}
	query += ` ORDER BY ` + order + ` LIMIT ` + s.limit(&w.args, limit)
	if offset > 0 {
		query += ` OFFSET ` + s.limit(&w.args, offset)
	}
	return query, w.bound()
}

// listed is a client read for a list, with its sort key when the segment
// has one.
type listed struct {
	c   roster.Client
	key any
}

// readListed appends the clients query returns to dst.
func (s *Store) readListed(ctx context.Context, seg segment, query string, args []any, dst []listed) ([]listed, error) {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return dst, err
	}
	defer rows.Close()
	for rows.Next() {
		dst = append(dst, listed{})
		l := &dst[len(dst)-1]
		var lead []any
		if seg.key != "" {
			lead = append(lead, &l.key)
		}
		if err := scanClient(rows, &l.c, lead...); err != nil {
			return dst, err
		}
	}
	return dst, rows.Err()
}

// EachClientMatching calls fn for every client of the organization that q
// matches, in q's order. It reads them in keyset chunks on (sort key, uid),
// never by OFFSET, so that memory does not grow with their number and each
// chunk starts where the last one ended along the index. Clients created
// during a walk by creation order are not listed; a client whose sort key
// changes during a walk in another order may be listed twice or not at all.
func (s *Store) EachClientMatching(ctx context.Context, org roster.OrgID, q roster.ClientQuery, fn func(*roster.Client) error) error {
	q.ClientFilter = scoped(ctx, q.ClientFilter)
	way, err := s.streamWay(ctx, q)
	if err != nil {
		return err
	}
	chunk := make([]listed, 0, listChunk)
	for _, seg := range segmentsOf(q) {
		if err := s.walkSegment(ctx, org, q, way, seg, chunk, fn); err != nil {
			return err
		}
	}
	return nil
}

// walkSegment calls fn for each client of seg, reading chunks into chunk's
// memory. Between chunks it holds no connection.
func (s *Store) walkSegment(ctx context.Context, org roster.OrgID, q roster.ClientQuery, way searchWay, seg segment,
	chunk []listed, fn func(*roster.Client) error) error {
	var from *position
	for {
		// Walking: each chunk reading a whole range would read it again.
		query, args := s.segmentQuery(org, q, way, seg, from, 0, listChunk, true)
		var err error
		if chunk, err = s.readListed(ctx, seg, query, args, chunk[:0]); err != nil {
			return err
		}
		for i := range chunk {
			if err := fn(&chunk[i].c); err != nil {
				return err
			}
		}
		if len(chunk) < listChunk {
			return nil
		}
		last := chunk[len(chunk)-1]
		from = &position{last.key, last.c.UID}
	}
}

// ClientPage returns up to limit clients that q matches, offset clients
// into q's order, with the number of clients q matches. The api package
// bounds offset, which the database reads through and drops.
func (s *Store) ClientPage(ctx context.Context, org roster.OrgID, q roster.ClientQuery, offset, limit int) (roster.FilterPage, error) {
	q.ClientFilter = scoped(ctx, q.ClientFilter)
	var page roster.FilterPage
	n, way, walk, err := s.countPage(ctx, org, q, offset+limit, &page)
	if err != nil || int64(offset) >= n {
		return page, err
	}
	var got []listed
	if bound := searchCountBound(q, offset+limit); page.CountCapped && newestFirst(q) && bound == searchCountMost+1 {
		got, full, err := s.newestPage(ctx, org, q, offset, limit, bound)
		if err != nil || full {
			page.Clients = clientsOf(got)
			return page, err
		}
	}
	for _, seg := range segmentsOf(q) {
		if len(got) == limit {
			break
		}
		before := len(got)
		query, args := s.segmentQuery(org, q, way, seg, nil, offset, limit-before, walk)
		if got, err = s.readListed(ctx, seg, query, args, got); err != nil {
			return page, err
		}
		switch {
		case len(got) > before:
			offset = 0 // the segment ended within the page
		case offset > 0:
			// The offset lies beyond this segment: skip all of it.
			n, err := s.countSegment(ctx, org, q, way, seg, offset)
			if err != nil {
				return page, err
			}
			offset -= n
		}
	}
	page.Clients = clientsOf(got)
	return page, nil
}

// countPage counts the clients q matches for a page reaching reach clients
// into them, and sets page's count. It returns the count as read (for a
// search, up to searchCountBound), the way the page's search is read, and
// whether the page walks the list's order (see countListed).
func (s *Store) countPage(ctx context.Context, org roster.OrgID, q roster.ClientQuery, reach int,
	page *roster.FilterPage) (int64, searchWay, bool, error) {
	bound := searchCountBound(q, reach)
	n, way, walk, err := s.countMatches(ctx, org, q, reach, bound)
	page.Count, page.CountCapped = n, bound > 0 && n > searchCountMost
	if page.CountCapped {
		page.Count = searchCountMost
	}
	return n, way, walk, err
}

// countMatches is countPage's count, up to bound if it is not 0. A search
// of the active clients without other filters first checks the newest
// clients: a list shorter than the sample has all its matches among them,
// and matches dense among them (a thirty-second) are counted walking, for
// a page near the start (deeper, 32 × bound clients would be most of the
// list). The sample also tells how the page is best read if the count
// through the index stops (stoppedWay); other searches take it only then.
func (s *Store) countMatches(ctx context.Context, org roster.OrgID, q roster.ClientQuery, reach int,
	bound int64) (int64, searchWay, bool, error) {
	sampled := int64(-1) // not taken
	if bound > 0 && plainSearch(q) {
		n, whole, err := s.newestMatches(ctx, org, q)
		if err != nil || whole {
			return n, searchWalk, true, err
		}
		if sampled = n; n*32 >= denseSample && bound == searchCountMost+1 {
			if n, ok, err := s.denseCount(ctx, org, q, bound); err != nil || ok {
				return n, searchWalk, true, err
			}
		}
	}
	way, hits, err := s.countWay(ctx, org, q, bound)
	if err != nil {
		return 0, way, false, err
	}
	n, walk, err := s.countListed(ctx, org, q, way, reach, bound)
	switch {
	case err != nil:
	case bound > 0 && n == bound:
		if sampled < 0 && way == searchIndexed && s.postgres {
			sampled, _, err = s.newestMatches(ctx, org, q)
		}
		way = s.stoppedWay(way, sampled, reach, hits)
	case way == searchIndexed:
		way = pageWay(n, reach)
	}
	return n, way, walk, err
}

// countListed returns the number of clients q matches, found the way
// given, up to bound if it is not 0, and whether a page reaching reach
// clients into them walks the list's order: always, but for ranges without
// a search (which has its own way), where countWalks decides.
func (s *Store) countListed(ctx context.Context, org roster.OrgID, q roster.ClientQuery, way searchWay, reach int,
	bound int64) (int64, bool, error) {
	count, args := s.listCount(org, q, way, bound)
	var n int64
	if len(q.Ranges) == 0 || q.Search != "" || q.Email != "" {
		err := s.queryRow(ctx, count, args...).Scan(&n)
		return n, true, err
	}
	return s.countWalks(ctx, org, q.ClientFilter, count, args, q.Deactivated, reach)
}

// countWalks runs the count query of the filter f with ranges, with the
// size of the organization's active (or deactivated) clients riding on it,
// and returns the count and whether a page reaching reach clients into it
// walks the list's order (see walks). A page of one coach's clients always
// walks their assignments: they are fewer than the clients of the range's
// index that a page would otherwise read, and bound what the walk reads.
func (s *Store) countWalks(ctx context.Context, org roster.OrgID, f roster.ClientFilter, count string, args []any,
	deactivated bool, reach int) (int64, bool, error) {
	var n, total int64
	if f.Scope != "" || f.CoachUID != "" {
		err := s.queryRow(ctx, count, args...).Scan(&n)
		return n, true, err
	}
	size, _ := listSize(org, deactivated)
	err := s.queryRow(ctx, `SELECT (`+count+`), (`+size+`)`, args...).Scan(&n, &total)
	return n, walks(n, total, reach), err
}

// countSegment counts the clients of seg, up to most.
func (s *Store) countSegment(ctx context.Context, org roster.OrgID, q roster.ClientQuery, way searchWay, seg segment,
	most int) (int, error) {
	w := s.segmentWhere(org, q, way, seg)
	var n int
	err := s.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+w.clients()+` LIMIT `+s.limit(&w.args, most)+`) AS seg`,
		w.bound()...).Scan(&n)
	return n, err
}

// listCount returns a query for the number of clients q matches, its
// search's found the way given, up to bound if it is not 0, and its
// arguments. The organization's counters answer without a search or an
// email, and for the active clients with a filter that one counter answers
// (see counterOf); an email matches one client at most; a search counts its
// matches, and any other filter the clients its index finds.
func (s *Store) listCount(org roster.OrgID, q roster.ClientQuery, way searchWay, bound int64) (string, []any) {
	c, counted := counterOf(q.ClientFilter)
	switch {
	case bound > 0 || q.Search != "" || q.Email != "" || !q.ClientFilter.IsZero() && (q.Deactivated || !counted):
		w := s.listWhere(org, q, way)
		if bound == 0 {
			return `SELECT count(*) FROM ` + w.clients(), w.bound()
		}
		return `SELECT count(*) FROM (SELECT 1 FROM ` + w.clients() + ` LIMIT ` + s.limit(&w.args, int(bound)) + `) AS matches`,
			w.bound()
	case counted:
		return c.query([]any{org})
	}
	return listSize(org, q.Deactivated)
}

// listSize returns a query for the number of the organization's active
// clients, or of its deactivated ones, from its counters, and its
// arguments.
func listSize(org roster.OrgID, deactivated bool) (string, []any) {
	if deactivated {
		return `SELECT ` + deactivatedCount, []any{org}
	}
	return activeCount, []any{org}
}

// ClientKeysetPage returns up to p.Limit clients that q matches, in q's
// order, after the client p.After or before the client p.Before (uids of
// the organization's clients; neither: from the start), with the number of
// clients q matches. Unlike ClientPage it reads from the cursor's place
// along the order's index, however deep into the list that is.
func (s *Store) ClientKeysetPage(ctx context.Context, org roster.OrgID, q roster.ClientQuery, p roster.Page) (roster.FilterPage, error) {
	q.ClientFilter = scoped(ctx, q.ClientFilter)
	var page roster.FilterPage
	n, way, walkRanges, err := s.countPage(ctx, org, q, p.Limit, &page)
	if err != nil || n == 0 {
		return page, err
	}
	walk, cursor, segs := q, p.After, segmentsOf(q)
	if p.Before != "" {
		// Walk back from the cursor, then put the page in q's order.
		walk.Ascending, cursor = !q.Ascending, p.Before
		slices.Reverse(segs)
	}
	var from *position
	if cursor != "" {
		if from, segs, err = s.cursorAt(ctx, org, q.OrderBy, segs, cursor); err != nil {
			return page, err
		}
	}
	var got []listed
	for _, seg := range segs {
		if len(got) == p.Limit {
			break
		}
		query, args := s.segmentQuery(org, walk, way, seg, from, 0, p.Limit-len(got), walkRanges)
		if got, err = s.readListed(ctx, seg, query, args, got); err != nil {
			return page, err
		}
		from = nil // the next segment is read from its start
	}
	if p.Before != "" {
		slices.Reverse(got)
	}
	page.Clients = clientsOf(got)
	return page, nil
}

// clientsOf returns the clients of a list read.
func clientsOf(got []listed) []roster.Client {
	clients := make([]roster.Client, len(got))
	for i := range got {
		clients[i] = got[i].c
	}
	return clients
}

// cursorAt returns the position of the organization's client uid in the
// order, and the segments of the walk from the one that holds it on. The
// client's sort key is read once; a list sorted by uid needs none.
func (s *Store) cursorAt(ctx context.Context, org roster.OrgID, order roster.ClientOrder, segs []segment, uid string) (*position, []segment, error) {
	pos := &position{uid: uid}
	key := orderColumns[order]
	if key == "" {
		return pos, segs, nil
	}
	err := s.queryRow(ctx, `SELECT `+key+` FROM clients WHERE org_id = $1 AND uid = $2 AND `+visible, org, uid).Scan(&pos.key)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, roster.Errorf(roster.KindInvalid, "the page's first or last client is gone: start from the first page")
	}
	if err != nil {
		return nil, nil, err
	}
	// A segment with a key holds the clients with one; the other, the
	// clients without (see segmentsOf).
	i := slices.IndexFunc(segs, func(seg segment) bool { return (seg.key != "") == (pos.key != nil) })
	return pos, segs[i:], nil
}
