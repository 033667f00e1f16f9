package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"roster"
)

// countKey is one counter of client_count_slots.
type countKey struct{ dim, value string }

var (
	// totalKey counts all of the organization's clients, deactivated ones
	// too: the plan's limit counts them.
	totalKey = countKey{dim: "all"}
	// deactivatedKey counts the organization's deactivated clients. A
	// client being deactivated leaves its other counters as if deleted and
	// joins this one, while totalKey goes on counting it.
	deactivatedKey = countKey{dim: "status", value: "deactivated"}
)

// counterSlots is how many rows each counter is split into on PostgreSQL.
// A transaction adds to one slot chosen at random, so concurrent creates
// of one organization rarely wait on the same row lock, and each row is
// updated by a small share of the writes, which keeps its dead versions
// few. A read sums the slots through the primary key. SQLite has one
// writer at a time and keeps one slot.
const counterSlots = 32

// counterSum is a query for the value of the counter (dim, value) of the
// organization $1, each given as a placeholder or a quoted literal.
func counterSum(dim, value string) string { return countersSum(dim, "= "+value) }

// countersSum is a query for the sum of the organization $1's counters of
// dim whose value meets cond. PostgreSQL sums bigints as numeric, which
// pgx reads through a big.Int on every row a count rides on (a twentieth
// of a filter page's CPU in Roster): the cast makes it a bigint again.
func countersSum(dim, cond string) string {
	return `SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM client_count_slots WHERE org_id = $1 AND dim = ` + dim + ` AND value ` + cond
}

// deactivatedCount is an expression for the number of deactivated clients
// of the organization $1; activeCount is a query for the number of active
// ones.
var (
	deactivatedCount = fmt.Sprintf(`(%s)`, counterSum(quote(deactivatedKey.dim), quote(deactivatedKey.value)))
	activeCount      = fmt.Sprintf(`SELECT (%s) - %s`, counterSum(quote(totalKey.dim), quote(totalKey.value)), deactivatedCount)
)

func quote(s string) string { return "'" + s + "'" }

// countKeys returns the counters an active client with c's values adds
// to, the organization's total aside: one for its creator, its gender and
// each of its activities, and one for each combination of them (migration
// 15), so that a filter on several at once is counted by one counter too;
// for each of its RangeFields, one for the value alone and one with each
// activity (migration 24), so that a range is counted by summing its
// values' counters; and the same but the creator's for each of its
// coaches (coachKeys).
func countKeys(c counted) []countKey {
	keys := append(combinations(c, c.createdBy), rangeKeys(c)...)
	for _, coach := range c.coaches {
		keys = append(keys, coachKeys(coach, c)...)
	}
	return keys
}

// combinations are the counters of c's gender and activities, and of its
// creator when not "", alone and combined (see combined).
func combinations(c counted, creator string) []countKey {
	admins := []*countKey{nil}
	if creator != "" {
		admins = append(admins, &countKey{dim: "admin", value: creator})
	}
	genders := []*countKey{nil}
	if c.gender != nil {
		genders = append(genders, &countKey{dim: "gender", value: *c.gender})
	}
	acts := []*countKey{nil}
	for _, a := range c.activities {
		acts = append(acts, &countKey{dim: "activity", value: a})
	}
	var keys []countKey
	for _, admin := range admins {
		for _, g := range genders {
			for _, a := range acts {
				if k, ok := combined(admin, g, a); ok {
					keys = append(keys, k)
				}
			}
		}
	}
	return keys
}

// coachKeys are the counters an active client with c's values adds to for
// its coach (migration 25): those of countKeys but the creator's, each
// with the coach's coachDim, and one for all of the coach's active
// clients, so that a scoped Admin's page, or a coach_uid filter's, is
// counted by one counter or a range of them as the organization's is. The
// creator's are left out: they would double what every create by an Admin
// writes, for a filter a coach hardly needs.
func coachKeys(coach string, c counted) []countKey {
	keys := append(combinations(c, ""), rangeKeys(c)...)
	keys = append(keys, coachTotal)
	for i := range keys {
		keys[i].dim = coachDim(coach) + keys[i].dim
	}
	return keys
}

// coachTotal is the coach's counter of their active clients, once
// prefixed by coachKeys.
var coachTotal = countKey{dim: "active"}

// coachDim is the start of the dims of a coach's counters. No other dim
// starts with "coach=", nor holds a "+" in a uid.
func coachDim(coach string) string { return "coach=" + coach + "+" }

// ofCoach reports whether k is one of a coach's counters: they sort after
// all others (see countOrder).
func (k countKey) ofCoach() bool { return strings.HasPrefix(k.dim, "coach=") }

// rangeKeys are the counters of countKeys for c's values of RangeFields.
func rangeKeys(c counted) []countKey {
	var keys []countKey
	for i, v := range c.ranges {
		if v == nil {
			continue
		}
		keys = append(keys, countKey{rangeDim(roster.RangeFields[i], ""), rangeValue(*v)})
		for _, a := range c.activities {
			keys = append(keys, countKey{rangeDim(roster.RangeFields[i], a), rangeValue(*v)})
		}
	}
	return keys
}

// rangeDim is the dim of the counters of field's values, of the clients
// with the activity ("" for all). The activity is part of the dim, so that
// the counters' value is the number alone and a range of them is a range
// of the primary key.
func rangeDim(field roster.Field, activity string) string {
	dim := "range:" + roster.Fields[field].Column
	if activity != "" {
		dim += "+activity=" + activity
	}
	return dim
}

// rangeValue encodes v, a value of one of RangeFields, as a counter's
// value: the bits of the float64 in 20 decimal digits, whose order, for
// numbers that are not negative, is theirs, on both engines and under any
// collation (digits of one width). The encoding is exact, so a range sums
// the counters of the very values its SQL selects. -0 counts as 0, as SQL
// compares it.
func rangeValue(v float64) string {
	if v == 0 {
		v = 0
	}
	return fmt.Sprintf("%020d", math.Float64bits(v))
}

// combined is the counter of the clients with every value of keys (nil
// keys aside), given in the order creator, gender, activity: a key alone
// is its own counter, several are joined as ("admin+gender", "uid/male").
// Only the last value may hold a "/" (none does: uids and genders are
// plain words), so no two combinations share a counter.
func combined(keys ...*countKey) (countKey, bool) {
	var dims, values []string
	for _, k := range keys {
		if k != nil {
			dims, values = append(dims, k.dim), append(values, k.value)
		}
	}
	return countKey{dim: strings.Join(dims, "+"), value: strings.Join(values, "/")}, len(dims) > 0
}

// orgDeltas are counter changes by organization.
type orgDeltas map[roster.OrgID]map[countKey]int

// add counts one more for each of keys in org.
func (d orgDeltas) add(org roster.OrgID, keys []countKey) {
	if d[org] == nil {
		d[org] = map[countKey]int{}
	}
	for _, k := range keys {
		d[org][k]++
	}
}

// adjustCounts adds each delta to its counter, and removes the rows it
// brings to 0. A transaction calls it once: the rows are then locked in
// countOrder, the same in every transaction, so that on PostgreSQL none
// waits on another in a cycle. Values come and go with every measurement,
// so that without the removal a range would sum the rows of every value
// its clients ever held. Only the rows this transaction moved are removed,
// which it holds already: removing every row of the counters that is 0
// would wait on rows others hold, while they wait to insert one it removed.
func (s *Store) adjustCounts(ctx context.Context, tx *sql.Tx, org roster.OrgID, deltas map[countKey]int) error {
	queries, args := s.countsUpserts(org, deltas, nil)
	var emptied emptiedRows
	for i, query := range queries {
		rows, err := s.txQuery(ctx, tx, query, args[i]...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var dim, value string
			var slot, n int64
			if err := rows.Scan(&dim, &value, &slot, &n); err != nil {
				rows.Close()
				return err
			}
			if n == 0 {
				emptied.add(dim, value, slot)
			}
		}
		if err := rows.Close(); err != nil {
			return err
		}
	}
	queries, args = s.emptiedDeletes(org, emptied)
	return s.execAll(ctx, tx, queries, args)
}

// emptiedRows are counter rows, (dims[i], values[i], slots[i]).
type emptiedRows struct {
	dims, values []string
	slots        []int64
}

func (r *emptiedRows) add(dim, value string, slot int64) {
	r.dims, r.values, r.slots = append(r.dims, dim), append(r.values, value), append(r.slots, slot)
}

// emptiedDeletes are the statements that remove the organization's counter
// rows r, if still 0, with their arguments: on PostgreSQL one statement
// of three arrays, on SQLite statements of maxCountRows rows (whose ?
// SQLite numbers after the $1 before them).
func (s *Store) emptiedDeletes(org roster.OrgID, r emptiedRows) (queries []string, args [][]any) {
	const del = `DELETE FROM client_count_slots WHERE org_id = $1 AND n = 0 AND (dim, value, slot) IN `
	if len(r.dims) == 0 {
		return nil, nil
	}
	if s.postgres {
		return []string{del + `(SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[]))`}, [][]any{{org, r.dims, r.values, r.slots}}
	}
	for i := 0; i < len(r.dims); i += maxCountRows {
		j := min(i+maxCountRows, len(r.dims))
		a := []any{org}
		for k := i; k < j; k++ {
			a = append(a, r.dims[k], r.values[k], r.slots[k])
		}
		queries, args = append(queries, del+`(VALUES `+s.valueLists(3, j-i)+`)`), append(args, a)
	}
	return queries, args
}

// maxCountRows is how many counters one statement of countsUpserts moves,
// well under both engines' limits of bound arguments (an import may move
// one counter for each value its clients hold).
const maxCountRows = 1000

// countsUpserts are the upserts that add deltas to their counters, with
// their arguments, none when no counter moves, in countOrder. One that
// moves a counter down returns each row it moved, (dim, value, slot, n).
// On PostgreSQL an increment goes to the transaction's slot and a
// decrement to the slot of the counter that holds most (see
// decrementSlot), so that rows empty out rather than turn negative. With
// a guard, the counters move only if its assignment exists.
func (s *Store) countsUpserts(org roster.OrgID, deltas map[countKey]int, g *guard) (queries []string, args [][]any) {
	keys := make([]countKey, 0, len(deltas))
	for k, d := range deltas {
		if d != 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, countOrder)
	slot := 0
	if s.postgres {
		slot = rand.IntN(counterSlots)
	}
	for chunk := range slices.Chunk(keys, maxCountRows) {
		a := make([]any, 0, 5*len(chunk))
		returning := ""
		for _, k := range chunk {
			a = append(a, org, k.dim, k.value, slot, deltas[k])
			if deltas[k] < 0 {
				returning = ` RETURNING dim, value, slot, n`
			}
		}
		rows := `VALUES ` + s.valueLists(5, len(chunk))
		if s.postgres {
			rows = `SELECT v.org_id, v.dim, v.value, ` + decrementSlot + `, v.n
				FROM (VALUES ` + typedLists(len(chunk)) + `) AS v (org_id, dim, value, slot, n)`
		}
		if g != nil {
			rows, a = s.guarded(rows, a, *g)
		}
		queries = append(queries, `INSERT INTO client_count_slots (org_id, dim, value, slot, n) `+rows+`
			ON CONFLICT (org_id, dim, value, slot) DO UPDATE SET n = client_count_slots.n + excluded.n`+returning)
		args = append(args, a)
	}
	return queries, args
}

// countOrder is the order in which a transaction moves counters: by dim
// and value, a coach's after all others. Every transaction moving both
// moves the others first (the creates in statements of their own, see
// assignedCounts), so none waits on another in a cycle on PostgreSQL.
func countOrder(a, b countKey) int {
	return cmp.Or(boolOrder(a.ofCoach(), b.ofCoach()), strings.Compare(a.dim, b.dim), strings.Compare(a.value, b.value))
}

func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// guard is the condition of a coach's counters moved by a create: that the
// create assigned the client to the coach. Whether it did is known only to
// the transaction, which checks that the coach is still an Admin as it
// writes the assignments, and on PostgreSQL sends the counters in the same
// pipeline, before it could read the answer.
type guard struct {
	client int64
	coach  string
}

// guarded returns the rows of an upsert, with their arguments args, kept
// only when g's assignment exists.
func (s *Store) guarded(rows string, args []any, g guard) (string, []any) {
	n := len(args)
	cond := fmt.Sprintf(` WHERE EXISTS (SELECT 1 FROM client_coaches WHERE client_id = $%d AND coach_uid = $%d)`, n+1, n+2)
	if !s.postgres {
		// The WHERE also tells SQLite's parser that ON CONFLICT is the
		// upsert's, not a join's.
		rows = `SELECT * FROM (` + rows + `)`
	}
	return rows + cond, append(args, g.client, g.coach)
}

// decrementSlot is the slot a row v of countsUpserts' VALUES moves on
// PostgreSQL: an increment, the transaction's; a decrement, that of the
// counter's slot holding most, if it holds enough. Rows are still moved in
// key order, so two transactions wait on one another in no cycle.
const decrementSlot = `CASE WHEN v.n >= 0 THEN v.slot ELSE COALESCE((SELECT c.slot FROM client_count_slots c
	WHERE c.org_id = v.org_id AND c.dim = v.dim AND c.value = v.value AND c.n >= -v.n ORDER BY c.n DESC LIMIT 1), v.slot) END`

// typedLists are n rows of countsUpserts' VALUES on PostgreSQL, the first
// typed, as VALUES in a FROM does not take its types from the INSERT.
func typedLists(n int) string {
	lists := make([]string, n)
	for i := range lists {
		p := placeholders(1+5*i, 5)
		if i == 0 {
			p = "$1::bigint, $2::text, $3::text, $4::bigint, $5::bigint"
		}
		lists[i] = "(" + p + ")"
	}
	return strings.Join(lists, ", ")
}

// reserve fails with the plan's limit unless the organization has room
// for n more clients, and keeps that room until the transaction ends. An
// unlimited plan locks nothing. A limited one locks the organization's
// row (a lock, not an update: readers of the row never wait and it gains
// no dead version) and then counts, so concurrent creates of a limited
// organization take turns and cannot overshoot. The count is a statement
// of its own, after the lock: on PostgreSQL it then sees every create that
// held the lock before.
func (s *Store) reserve(ctx context.Context, tx *sql.Tx, org roster.OrgID, n int) error {
	if s.postgres {
		if _, err := tx.ExecContext(ctx, lockLimited, org); err != nil {
			return err
		}
	}
	var limit, count int64
	var plan string
	if err := s.txQueryRow(ctx, tx, orgRoom, org).Scan(&limit, &plan, &count); err != nil {
		return err
	}
	return room(limit, plan, count, n)
}

// lockLimited locks the row of the organization $1 if its plan is limited,
// on PostgreSQL, against other creates and changes of the plan. A plan
// changed from unlimited meanwhile is read by orgRoom and checked, but
// not held: as if the change had come a moment later.
const lockLimited = `SELECT 1 FROM organizations WHERE id = $1 AND client_limit <> 0 FOR NO KEY UPDATE`

// orgRoom reads the client limit of the organization $1, its plan, and,
// when limited, its number of clients: the count is not made for an
// unlimited plan, where it answers nothing.
var orgRoom = `SELECT client_limit, payment_type, CASE WHEN client_limit = 0 THEN 0 ELSE (` +
	counterSum(quote(totalKey.dim), quote(totalKey.value)) + `) END FROM organizations WHERE id = $1`

// room fails with the plan's limit unless an organization of the plan, with
// limit (0: none) and count clients, has room for n more.
func room(limit int64, plan string, count int64, n int) error {
	switch {
	case limit == 0 || count+int64(n) <= limit:
		return nil
	case n == 1:
		return roster.Errorf(roster.KindLimit, "client limit of %d reached for the %s plan", limit, plan)
	}
	return roster.Errorf(roster.KindLimit, "client limit of %d for the %s plan: the organization has %s, and %d more would exceed it",
		limit, plan, roster.Count(count, "client"), n)
}

// counter is a count that client_count_slots answers: the sum of the
// counters of dim whose values run from lo to hi, one counter when lo is
// hi.
type counter struct{ dim, lo, hi string }

// query returns a query for c's count in the organization $1, and args
// (the organization's first) with c's appended.
func (c counter) query(args []any) (string, []any) {
	arg := func(v string) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	dim, lo := arg(c.dim), arg(c.lo)
	if c.lo == c.hi {
		return counterSum(dim, lo), args
	}
	return countersSum(dim, "BETWEEN "+lo+" AND "+arg(c.hi)), args
}

// counterOf returns the counter that answers the count of f, if any: f
// filters by creator, gender or one activity, or several of them, or by
// one range, with one activity or none; and not by dates or anything else.
// It may filter by one coach too (as a scope, a coach_uid or both), but
// then not by creator (see coachKeys).
func counterOf(f roster.ClientFilter) (counter, bool) {
	coach := cmp.Or(f.Scope, f.CoachUID)
	if len(f.Activities) > 1 || !f.From.IsZero() || !f.To.IsZero() || f.CoachUID != "" && f.CoachUID != coach ||
		coach != "" && f.AdminUID != "" {
		return counter{}, false
	}
	c, ok := organizationCounter(f)
	if coach == "" {
		return c, ok
	}
	if !ok {
		others := f
		others.Scope, others.CoachUID = "", ""
		if !others.IsZero() {
			return c, false
		}
		c = counter{dim: coachTotal.dim} // the coach's clients alone
	}
	c.dim = coachDim(coach) + c.dim
	return c, true
}

// organizationCounter is counterOf for f's filters but the coach's.
func organizationCounter(f roster.ClientFilter) (counter, bool) {
	var activity string
	if len(f.Activities) == 1 {
		activity = f.Activities[0]
	}
	switch {
	case len(f.Ranges) == 1 && f.AdminUID == "" && f.Gender == "":
		r := f.Ranges[0]
		lo, hi := rangeValue(0), rangeValue(math.Inf(1))
		if r.Min != nil {
			lo = rangeValue(*r.Min)
		}
		if r.Max != nil {
			hi = rangeValue(*r.Max)
		}
		return counter{rangeDim(r.Field, activity), lo, hi}, true
	case len(f.Ranges) > 0:
		return counter{}, false
	}
	var admin, gender, act *countKey
	if f.AdminUID != "" {
		admin = &countKey{dim: "admin", value: f.AdminUID}
	}
	if f.Gender != "" {
		gender = &countKey{dim: "gender", value: f.Gender}
	}
	if activity != "" {
		act = &countKey{dim: "activity", value: activity}
	}
	k, ok := combined(admin, gender, act)
	return counter{k.dim, k.value, k.value}, ok
}
