package store

import (
	"context"
	"database/sql"
	"errors"

	"roster"
)

// A staff member whose scope is "assigned" sees and changes only the
// clients assigned to them (roster.Principal.Coach). Like the
// organization, the scope is the store's to apply, not each handler's: the
// API and the console mark the context of every request with its caller
// (AsStaff), and every store method that reads or changes a client by its
// uid or lists clients narrows to the scope's coach from it. A client out
// of scope is roster.ErrClientNotFound, exactly as another organization's.

type staffKey struct{}

// staff is what the store knows of a request's caller from AsStaff.
type staff struct {
	coach string // the scope's coach: the caller, a scoped Admin; "" for every client
	admin string // the caller, when an Admin: the clients they create are assigned to them
}

// AsStaff returns ctx for the store calls made for p: they see only what
// p's scope lets p see, and the clients an Admin creates are assigned to
// them.
func AsStaff(ctx context.Context, p roster.Principal) context.Context {
	if p.Role != roster.RoleAdmin {
		return ctx
	}
	return context.WithValue(ctx, staffKey{}, staff{coach: p.Coach(), admin: p.AccountUID})
}

// scopeOf returns the coach ctx's caller is limited to, or "".
func scopeOf(ctx context.Context) string {
	st, _ := ctx.Value(staffKey{}).(staff)
	return st.coach
}

// createsAssigned is whether the clients ctx's caller creates are assigned
// to them (creatorCoach): whether the caller is an Admin.
func createsAssigned(ctx context.Context) bool {
	st, _ := ctx.Value(staffKey{}).(staff)
	return st.admin != ""
}

// creatorCoach is the coach a new client c is assigned to: its creator
// when ctx's caller is that creator and an Admin, so that narrowing the
// Admin's scope later keeps what they made in sight; "" otherwise.
func creatorCoach(ctx context.Context, c *roster.Client) string {
	if st, _ := ctx.Value(staffKey{}).(staff); st.admin == c.CreatedBy {
		return st.admin // "" when the caller is no Admin
	}
	return ""
}

// scoped returns f narrowed to the scope of ctx's caller. It overwrites
// whatever Scope f had: only the caller decides it.
func scoped(ctx context.Context, f roster.ClientFilter) roster.ClientFilter {
	f.Scope = scopeOf(ctx)
	return f
}

// coachJoin is the FROM of a query of one coach's clients: their
// assignments first, in client uid order along client_coaches_coach, and
// each client through its primary key, so that the query reads the
// coach's clients and not the organization's. CROSS JOIN keeps that order
// on SQLite, whose planner otherwise may walk the organization's clients
// and test each. The assignments' columns are named apart from the
// clients' so that the clients' stay unqualified.
const coachJoin = `client_coaches cc CROSS JOIN clients`

// coachCond is the condition of coachJoin, the coach's uid bound at the
// placeholder given.
func coachCond(placeholder string) string {
	return `cc.coach_uid = ` + placeholder + ` AND clients.id = cc.client_id`
}

// assignedTo is true of a client (the clients table, unaliased) assigned
// to the coach of the placeholder given: for a second coach condition,
// when coachJoin holds the first.
func assignedTo(placeholder string) string {
	return `clients.id IN (SELECT client_id FROM client_coaches WHERE coach_uid = ` + placeholder + `)`
}

// clientID returns the id of the organization's client uid, visible and
// in the caller's scope. What a client has (sessions, history, notes) is
// paged apart from this look-up, so that a client without any is told from
// one that does not exist.
func (s *Store) clientID(ctx context.Context, org roster.OrgID, uid string) (int64, error) {
	var id int64
	err := s.queryRow(ctx, `SELECT id FROM clients WHERE org_id = $1 AND uid = $2 AND `+visible, org, uid).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, roster.ErrClientNotFound
	}
	if err == nil {
		err = s.inScope(ctx, nil, org, roster.ClientRef{UID: uid})
	}
	return id, err
}

// inScope fails with roster.ErrClientNotFound unless the caller of ctx may
// see the organization's client that ref names (as whereClient finds it),
// in tx when not nil.
func (s *Store) inScope(ctx context.Context, tx *sql.Tx, org roster.OrgID, ref roster.ClientRef) error {
	coach := scopeOf(ctx)
	if coach == "" {
		return nil
	}
	cond, arg := whereClient(ref)
	query := `SELECT 1 FROM clients JOIN client_coaches cc ON cc.client_id = clients.id
		WHERE clients.org_id = $1 AND clients.` + cond + ` AND cc.coach_uid = $3`
	var row scanner
	if tx != nil {
		row = s.txQueryRow(ctx, tx, query, org, arg, coach)
	} else {
		row = s.queryRow(ctx, query, org, arg, coach)
	}
	var one int
	err := row.Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return roster.ErrClientNotFound
	}
	return err
}
