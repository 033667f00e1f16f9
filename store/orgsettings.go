package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"roster"
)

// orgColumns are unqualified: SQLite's RETURNING takes no table names.
const orgColumns = `uid, company_name, payment_type, session_number, activities, client_limit`

// scanOrganization scans orgColumns (or the same columns qualified) into o, after the columns that lead
// selects before them.
func scanOrganization(row scanner, o *roster.Organization, lead ...any) error {
	var activities string
	err := row.Scan(append(lead, &o.UID, &o.CompanyName, &o.PaymentType, &o.SessionNumber, &activities, &o.ClientLimit)...)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(activities), &o.Activities); err != nil {
		return fmt.Errorf("organization %s: activities: %w", o.UID, err)
	}
	return nil
}

// OrganizationStatus returns the organization's settings together with the
// caller's account and role in it.
func (s *Store) OrganizationStatus(ctx context.Context, org roster.OrgID, accountUID string) (roster.OrganizationStatus, error) {
	var st roster.OrganizationStatus
	err := scanOrganization(s.queryRow(ctx, `
		SELECT a.uid, a.display_name, m.role,
			o.uid, o.company_name, o.payment_type, o.session_number, o.activities, o.client_limit
		FROM organizations o
		JOIN memberships m ON m.org_id = o.id
		JOIN accounts a ON a.id = m.account_id
		WHERE o.id = $1 AND a.uid = $2`, org, accountUID), &st.Organization, &st.AccountUID, &st.DisplayName, &st.Role)
	if errors.Is(err, sql.ErrNoRows) {
		// Authenticated a moment ago: the membership has just been removed.
		return st, roster.Errorf(roster.KindUnauthorized, "these credentials no longer belong to a member of an organization")
	}
	return st, err
}

// UpdateOrganization changes the settings u sets of the organization with
// this uid, and returns its settings after the change. It is the
// operator's, so it takes the public uid rather than an authenticated
// caller's OrgID.
func (s *Store) UpdateOrganization(ctx context.Context, uid string, u roster.OrganizationUpdate) (roster.Organization, error) {
	var o roster.Organization
	if err := u.Validate(); err != nil {
		return o, err
	}
	args := []any{uid}
	var sets []string
	set := func(column string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", column, len(args)))
	}
	if u.PaymentType != nil {
		set("payment_type", *u.PaymentType)
		set("client_limit", roster.PlanClientLimits[*u.PaymentType])
	}
	if u.SessionNumber != nil {
		set("session_number", *u.SessionNumber)
	}
	if u.Activities != nil {
		activities, err := json.Marshal(append([]string{}, *u.Activities...)) // [] rather than null
		if err != nil {
			return o, err
		}
		set("activities", string(activities))
	}
	query := `SELECT id, ` + orgColumns + ` FROM organizations WHERE uid = $1`
	if len(sets) > 0 {
		query = `UPDATE organizations SET ` + strings.Join(sets, ", ") + ` WHERE uid = $1 RETURNING id, ` + orgColumns
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id roster.OrgID
		if err := scanOrganization(tx.QueryRowContext(ctx, query, args...), &o, &id); err != nil || len(sets) == 0 {
			return err
		}
		return audit(ctx, tx, id, "organization.update", "organization", uid, u.Changed()...)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return o, roster.Errorf(roster.KindNotFound, "organization %s not found", uid)
	}
	return o, err
}
