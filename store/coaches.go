package store

import (
	"context"
	"database/sql"
	"errors"

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
		// Locked (on PostgreSQL) like every change of a client, so that a
		// concurrent delete cannot leave an assignment to a gone client.
		var clientID int64
		var active bool
		err := s.txQueryRow(ctx, tx, `SELECT id, deactivated_at IS NULL FROM clients WHERE org_id = $1 AND uid = $2 AND `+
			visible+s.forUpdate(), org, clientUID).Scan(&clientID, &active)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrClientNotFound
		}
		if err == nil {
			err = s.inScope(ctx, tx, org, roster.ClientRef{UID: clientUID})
		}
		if err != nil {
			return err
		}
		if !MayAssignCoaches(ctx) {
			return errScopedAssign
		}
		var one int
		err = s.txQueryRow(ctx, tx, `SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id
			WHERE m.org_id = $1 AND a.uid = $2 AND m.status = 'Active'`, org, coachUID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrCoachNotFound
		}
		if err != nil {
			return err
		}
		change := `DELETE FROM client_coaches WHERE client_id = $1 AND coach_uid = $2`
		if assigned {
			change = `INSERT INTO client_coaches (client_id, coach_uid, client_uid, counted) VALUES ($1, $2, $3, $4)
				ON CONFLICT DO NOTHING`
		}
		args := []any{clientID, coachUID}
		if assigned {
			args = append(args, clientUID, active)
		}
		n, err := rowsAffected(tx.ExecContext(ctx, change, args...))
		if err != nil {
			return err
		}
		if coaches, err = clientCoaches(ctx, tx, clientID); err != nil || n == 0 {
			return err
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

// maxCoaches bounds the coaches listed for one client: an organization's
// staff are few, but the list must not be unbounded.
const maxCoaches = 1000

// clientCoaches returns the uids of the coaches of the client of id.
func clientCoaches(ctx context.Context, tx *sql.Tx, clientID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT coach_uid FROM client_coaches WHERE client_id = $1 ORDER BY coach_uid LIMIT $2`,
		clientID, maxCoaches)
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
// (creatorCoach).
type assignment struct {
	org    roster.OrgID
	coach  string
	client int64
}

// createdAssignments are the assignments of new clients of org whose row
// ids are known by uid, as ctx's caller creates them.
func createdAssignments(ctx context.Context, org roster.OrgID, clients []*roster.Client, ids map[string]int64) []assignment {
	var as []assignment
	for _, c := range clients {
		if coach := creatorCoach(ctx, c); coach != "" {
			as = append(as, assignment{org: org, coach: coach, client: ids[c.UID]})
		}
	}
	return as
}

// assignmentsInserts are the INSERTs of assignments, one for each
// organization and coach, each with its arguments. The coach must still be
// an Admin of the organization when the rows are written, not only when
// the request was authenticated: an import takes minutes, and an Admin
// removed meanwhile must not be left with its clients (RemoveStaff drops
// the assignments it finds). counted is read from the rows, as the clients
// of an unpublished import are not counted yet.
func assignmentsInserts(as []assignment) (queries []string, args [][]any) {
	type key struct {
		org   roster.OrgID
		coach string
	}
	ids := map[key][]any{}
	var order []key
	for _, a := range as {
		k := key{a.org, a.coach}
		if ids[k] == nil {
			order = append(order, k)
		}
		ids[k] = append(ids[k], a.client)
	}
	for _, k := range order {
		queries = append(queries, `INSERT INTO client_coaches (client_id, coach_uid, client_uid, counted)
			SELECT c.id, a.uid, c.uid, c.deactivated_at IS NULL AND c.import_id IS NULL
			FROM accounts a JOIN memberships m ON m.account_id = a.id CROSS JOIN clients c
			WHERE a.uid = $1 AND m.org_id = $2 AND m.role = '`+roster.RoleAdmin+`'
				AND c.org_id = $2 AND c.id IN (`+placeholders(3, len(ids[k]))+`)`)
		args = append(args, append([]any{k.coach, k.org}, ids[k]...))
	}
	return queries, args
}

// insertAssignments writes assignments.
func (s *Store) insertAssignments(ctx context.Context, tx *sql.Tx, as []assignment) error {
	queries, args := assignmentsInserts(as)
	for i, q := range queries {
		if _, err := tx.ExecContext(ctx, q, args[i]...); err != nil {
			return err
		}
	}
	return nil
}
