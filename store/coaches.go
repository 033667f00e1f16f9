package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"roster"
)

// ErrCoachNotFound answers a coach_uid that is not an active staff member
// of the caller's organization: another organization's, a client's or
// nobody's alike.
var ErrCoachNotFound = roster.Errorf(roster.KindNotFound, "coach not found: coach_uid must be a staff member of this organization")

// errScopedAssign refuses an Admin whose scope is "assigned" who would
// assign or unassign coaches: assigning themselves would widen their own
// scope.
var errScopedAssign = roster.Errorf(roster.KindForbidden,
	"an Admin whose scope is assigned may not assign coaches: ask the Owner or an Admin whose scope is all")

// MayAssignCoaches reports whether the caller of ctx may assign and
// unassign coaches: only one who sees every client may (the Owner, an
// Admin whose scope is all), as SetCoach decides; the console offers its
// forms by the same rule.
func MayAssignCoaches(ctx context.Context) bool { return scopeOf(ctx) == "" }

// SetCoach assigns (assigned true) or unassigns the staff member coachUID
// of org as a coach of the organization's client clientUID, and returns
// the client's coaches, in uid order. Assigning a coach twice, or
// unassigning one who is not, changes nothing. The client must be in the
// caller's scope (else it is not found), and only a caller who sees every
// client may assign.
func (s *Store) SetCoach(ctx context.Context, org roster.OrgID, clientUID, coachUID string, assigned bool) (coaches []string, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The coach's membership first (see holdMember): an assignment
		// made as the coach is removed would be left behind.
		coachFound, err := s.holdMember(ctx, tx, org, coachUID)
		if err != nil {
			return err
		}
		// Locked (on PostgreSQL) like every change of a client, so that a
		// concurrent delete cannot leave an assignment to a gone client,
		// nor a change of its values leave its coach's counters behind.
		c, err := s.lockClient(ctx, tx, org, clientUID)
		if err != nil {
			return err
		}
		if !MayAssignCoaches(ctx) {
			return errScopedAssign
		}
		if !coachFound {
			return ErrCoachNotFound
		}
		if assigned && len(c.coaches) >= maxCoaches {
			return errTooManyCoaches
		}
		change := `DELETE FROM client_coaches WHERE client_id = $1 AND coach_uid = $2`
		args := []any{c.id, coachUID}
		if assigned {
			change = `INSERT INTO client_coaches (` + assignmentColumns + `)
				SELECT c.id, $2, c.uid, $3, ` + assignmentValues + ` FROM clients c WHERE c.id = $1
				ON CONFLICT DO NOTHING`
			args = append(args, !c.deactivated)
		}
		n, err := rowsAffected(tx.ExecContext(ctx, change, args...))
		if coaches = c.coaches; err != nil || n == 0 {
			return err
		}
		// In uid order, as clientCoaches reads them (bytewise).
		if assigned {
			i, _ := slices.BinarySearch(coaches, coachUID)
			coaches = slices.Insert(coaches, i, coachUID)
		} else {
			coaches = slices.DeleteFunc(coaches, func(uid string) bool { return uid == coachUID })
		}
		// The coach's counters gain or lose the client, as an active one
		// counts (the visible clients lockClient finds are published).
		if !c.deactivated {
			var before, after []countKey
			if assigned {
				after = coachKeys(coachUID, c)
			} else {
				before = coachKeys(coachUID, c)
			}
			if err := s.moveCounts(ctx, tx, org, before, after); err != nil {
				return err
			}
		}
		action := "client.coach_unassign"
		if assigned {
			action = "client.coach_assign"
		}
		return audit(ctx, tx, org, action, "client", clientUID, "coach_uids")
	})
	return coaches, err
}

// ClientCoaches returns the coaches of the organization's client
// clientUID, in uid order, as staff members: for the console's client
// page, which names them. The client must be in the caller's scope.
func (s *Store) ClientCoaches(ctx context.Context, org roster.OrgID, clientUID string) ([]roster.StaffMember, error) {
	clientID, err := s.clientID(ctx, org, clientUID)
	if err != nil {
		return nil, err
	}
	// A coach is staff of org: leaving it drops their assignments.
	rows, err := s.query(ctx, `SELECT `+staffColumns+` JOIN client_coaches cc ON cc.coach_uid = a.uid
		WHERE cc.client_id = $1 AND m.org_id = $2 ORDER BY a.uid LIMIT $3`, clientID, org, maxCoaches)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	coaches := []roster.StaffMember{}
	for rows.Next() {
		var m roster.StaffMember
		if err := scanStaff(rows, &m); err != nil {
			return nil, err
		}
		coaches = append(coaches, m)
	}
	return coaches, rows.Err()
}

// maxCoaches bounds the coaches of one client: an organization's staff
// are few, but a list must not be unbounded. clientCoaches reads as many,
// so that every change of the client moves all its coaches' counters.
const maxCoaches = 1000

var errTooManyCoaches = roster.Errorf(roster.KindInvalid, "coach_uid: a client has at most %d coaches", maxCoaches)

// holdMember reports whether uid is an active staff member of org, and
// holds (on PostgreSQL) their membership against removal until the
// transaction ends. A transaction that assigns clients to them, or counts
// their assignments, holds it first: RemoveStaff and DeleteAccount, which
// remove it first, then wait for it, and find what it wrote; or it waits
// for them, and finds no membership.
func (s *Store) holdMember(ctx context.Context, tx *sql.Tx, org roster.OrgID, uid string) (bool, error) {
	var active bool
	err := s.txQueryRow(ctx, tx, `SELECT m.status = 'Active' FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE m.org_id = $1 AND a.uid = $2`+s.keyShare("m"), org, uid).Scan(&active)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return active, err
}

// clientCoaches returns the uids of the coaches of the client of id. On
// PostgreSQL it locks their assignments against removal (FOR KEY SHARE),
// until the transaction, which moves the coaches' counters by them, ends:
// RemoveStaff, which takes a coach's counters away with the assignments,
// waits for it.
func (s *Store) clientCoaches(ctx context.Context, tx *sql.Tx, clientID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT coach_uid FROM client_coaches cc WHERE client_id = $1 ORDER BY coach_uid LIMIT $2`+
		s.keyShare("cc"), clientID, maxCoaches)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	coaches := []string{}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&uid); err != nil {
			return nil, err
		}
		coaches = append(coaches, uid)
	}
	return coaches, rows.Err()
}

// assignment is a new client's coach: its creator, an Admin
// (creatorCoach), with the coach's counters the client adds to when
// active.
type assignment struct {
	org    roster.OrgID
	coach  string
	client int64
	keys   []countKey
}

// createdAssignments are the assignments of new clients of org whose row
// ids are known by uid, as ctx's caller creates them.
func createdAssignments(ctx context.Context, org roster.OrgID, clients []*roster.Client, ids map[string]int64) []assignment {
	var as []assignment
	for _, c := range clients {
		if coach := creatorCoach(ctx, c); coach != "" {
			a := assignment{org: org, coach: coach, client: ids[c.UID]}
			if counted := countedOf(c); !counted.deactivated {
				a.keys = coachKeys(coach, counted)
			}
			as = append(as, a)
		}
	}
	return as
}

// coachGroup is the assignments of one coach of one organization.
type coachGroup struct {
	org     roster.OrgID
	coach   string
	clients []any // their ids
	deltas  map[countKey]int
}

// groups gathers as by organization and coach, in their order.
func groups(as []assignment) []*coachGroup {
	type key struct {
		org   roster.OrgID
		coach string
	}
	byKey := map[key]*coachGroup{}
	var gs []*coachGroup
	for _, a := range as {
		g := byKey[key{a.org, a.coach}]
		if g == nil {
			g = &coachGroup{org: a.org, coach: a.coach, deltas: map[countKey]int{}}
			byKey[key{a.org, a.coach}] = g
			gs = append(gs, g)
		}
		g.clients = append(g.clients, a.client)
		for _, k := range a.keys {
			g.deltas[k]++
		}
	}
	slices.SortFunc(gs, func(a, b *coachGroup) int {
		return cmp.Or(cmp.Compare(a.org, b.org), strings.Compare(a.coach, b.coach))
	})
	return gs
}

// activityBits is the set of activities as client_coaches.activity_bits
// holds it (migration 27): a bit for each of roster.Activities, the
// first the lowest, in the list's order, which only grows at its end (a
// 32-bit INTEGER on PostgreSQL: 31 activities at most).
func activityBits(activities []string) int64 {
	var bits int64
	for _, a := range activities {
		if i := slices.Index(roster.Activities, a); i >= 0 {
			bits |= 1 << i
		}
	}
	return bits
}

// activityBitsOf is SQL for activityBits of the activity rows of the
// client whose id is the expression given.
func activityBitsOf(client string) string {
	cases := make([]string, len(roster.Activities))
	for i, a := range roster.Activities {
		cases[i] = fmt.Sprintf("WHEN %s THEN %d", quote(a), int64(1)<<i)
	}
	return `(SELECT COALESCE(SUM(CASE a.activity ` + strings.Join(cases, " ") + ` ELSE 0 END), 0)
		FROM client_activities a WHERE a.client_id = ` + client + `)`
}

// assignmentColumns are the columns of an assignment, and assignmentValues
// what an INSERT ... SELECT FROM clients c writes in the last five, from
// the client's rows (migration 27).
const assignmentColumns = `client_id, coach_uid, client_uid, counted, activity_bits, client_age, client_height, client_weight,
	client_shoe_size`

var assignmentValues = activityBitsOf("c.id") + `, c.age, c.height, c.weight, c.shoe_size`

// assignmentsInserts are the INSERTs of assignments, one for each
// organization and coach, each with its arguments. The coach must still be
// an Admin of the organization when the rows are written, not only when
// the request was authenticated: an import takes minutes, and an Admin
// removed meanwhile must not be left with its clients (RemoveStaff drops
// the assignments it finds). counted is read from the rows, as the clients
// of an unpublished import are not counted yet. The membership is locked
// (on PostgreSQL) until the transaction ends, so that RemoveStaff, which
// removes it first, waits for the assignments, and then finds them.
func (s *Store) assignmentsInserts(as []assignment) (queries []string, args [][]any) {
	for _, g := range groups(as) {
		queries = append(queries, `INSERT INTO client_coaches (`+assignmentColumns+`)
			SELECT c.id, a.uid, c.uid, c.deactivated_at IS NULL AND c.import_id IS NULL, `+assignmentValues+`
			FROM accounts a JOIN memberships m ON m.account_id = a.id CROSS JOIN clients c
			WHERE a.uid = $1 AND m.org_id = $2 AND m.role = '`+roster.RoleAdmin+`'
				AND c.org_id = $2 AND c.id IN (`+placeholders(3, len(g.clients))+`)`+s.keyShare("m"))
		args = append(args, append([]any{g.coach, g.org}, g.clients...))
	}
	return queries, args
}

// assignedCounts are the statements that add new clients to the counters
// of the coaches assignmentsInserts assigned them to, with their
// arguments: a group's assignments were all written or none, as the
// statement that wrote them found its coach an Admin or not, and its
// counters move with them (see guard). They follow the organizations'
// own counters (see countOrder).
func (s *Store) assignedCounts(as []assignment) (queries []string, args [][]any) {
	for _, g := range groups(as) {
		q, a := s.countsUpserts(g.org, g.deltas, &guard{client: g.clients[0].(int64), coach: g.coach})
		queries, args = append(queries, q...), append(args, a...)
	}
	return queries, args
}

// insertAssignments writes assignments.
func (s *Store) insertAssignments(ctx context.Context, tx *sql.Tx, as []assignment) error {
	queries, args := s.assignmentsInserts(as)
	return s.execAll(ctx, tx, queries, args)
}

// countAssigned moves the counters of the coaches of assignments, after
// insertAssignments and the organizations' own counters.
func (s *Store) countAssigned(ctx context.Context, tx *sql.Tx, as []assignment) error {
	queries, args := s.assignedCounts(as)
	return s.execAll(ctx, tx, queries, args)
}

// execAll runs queries, each with its arguments.
func (s *Store) execAll(ctx context.Context, tx *sql.Tx, queries []string, args [][]any) error {
	for i, q := range queries {
		if _, err := s.txExec(ctx, tx, q, args[i]...); err != nil {
			return err
		}
	}
	return nil
}
