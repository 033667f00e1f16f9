package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// Staff returns one keyset page of the organization's staff that f
// matches, in uid order, after the uid after (or from the start), with the
// number of staff that f matches. It reads every match, counting as it
// goes: an organization's staff are few, and a count visits each anyway.
// So a search is matched in Go, exactly as client search matches, which
// SQL could not do here: accounts keep no lower-cased name, and SQLite's
// lower() folds ASCII only.
func (s *Store) Staff(ctx context.Context, org roster.OrgID, f roster.StaffFilter, after string, limit int) ([]roster.StaffMember, int64, error) {
	w := newWhere("m.org_id", org)
	w.and("m.status = 'Active'")
	if f.Email != "" {
		w.and("a.email_key = " + w.arg(roster.EmailKey(f.Email)))
	}
	if f.Role != "" {
		w.and("m.role = " + w.arg(f.Role))
	}
	rows, err := s.query(ctx, `SELECT `+staffColumns+` WHERE `+w.String()+` ORDER BY a.uid`, w.args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var staff []roster.StaffMember
	var total int64
	for rows.Next() {
		var m roster.StaffMember
		if err := scanStaff(rows, &m); err != nil {
			return nil, 0, err
		}
		if f.Search != "" && !roster.SearchMatches(f.Search, m.DisplayName, m.Email) {
			continue
		}
		total++
		if m.UID > after && len(staff) < limit {
			staff = append(staff, m)
		}
	}
	return staff, total, rows.Err()
}

// staffColumns select staff members, as scanStaff reads them.
const staffColumns = `a.uid, a.email, a.display_name, m.role, m.scope, m.status, a.deactivated_at IS NOT NULL
	FROM memberships m JOIN accounts a ON a.id = m.account_id`

func scanStaff(row scanner, m *roster.StaffMember) error {
	if err := row.Scan(&m.UID, &m.Email, &m.DisplayName, &m.Role, &m.Scope, &m.Status, &m.Deactivated); err != nil {
		return err
	}
	if m.Deactivated {
		m.Status = roster.StaffDeactivated
	}
	return nil
}

// emitStaff emits the event typ about org's staff member accountUID, as
// the staff lists show them, read in tx. A member who leaves is in no list
// afterwards: for staff.removed it is called before they go, and the event
// shows them as the lists did then, with the status roster.StaffRemoved.
func (s *Store) emitStaff(ctx context.Context, tx *sql.Tx, org roster.OrgID, typ, accountUID string) error {
	var m roster.StaffMember
	err := scanStaff(tx.QueryRowContext(ctx, `SELECT `+staffColumns+` WHERE m.org_id = $1 AND a.uid = $2`, org, accountUID), &m)
	if errors.Is(err, sql.ErrNoRows) {
		// Removed meanwhile by a concurrent removal or account deletion,
		// which emitted the event.
		return roster.ErrStaffNotFound
	}
	if err != nil {
		return err
	}
	if typ == roster.EventStaffRemoved {
		m.Status = roster.StaffRemoved
	}
	return s.emit(ctx, tx, org, typ, m)
}

// StaffMember returns one active member of org's staff; another
// organization's is as unknown as one that does not exist.
func (s *Store) StaffMember(ctx context.Context, org roster.OrgID, accountUID string) (m roster.StaffMember, err error) {
	err = scanStaff(s.queryRow(ctx, `SELECT `+staffColumns+` WHERE m.org_id = $1 AND a.uid = $2 AND m.status = 'Active'`,
		org, accountUID), &m)
	if errors.Is(err, sql.ErrNoRows) {
		return m, roster.ErrStaffNotFound
	}
	return m, err
}

// addMember makes an account staff of org. An account is staff of one
// organization at most (memberships' primary key).
func addMember(ctx context.Context, tx *sql.Tx, org roster.OrgID, accountID int64, role string, t time.Time) error {
	var memberOf roster.OrgID
	err := tx.QueryRowContext(ctx, `SELECT org_id FROM memberships WHERE account_id = $1`, accountID).Scan(&memberOf)
	switch {
	case err == nil && memberOf == org:
		return roster.Errorf(roster.KindNotFound, "user is already a sub-admin of this organization")
	case err == nil:
		return roster.Errorf(roster.KindInvalid, "user is already staff of another organization: they must leave it first")
	case !errors.Is(err, sql.ErrNoRows):
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO memberships (account_id, org_id, role, status, created_at)
		VALUES ($1, $2, $3, 'Active', $4)`, accountID, org, role, dbTime{t})
	if isUniqueViolation(err) {
		// A concurrent transaction made the account staff meanwhile.
		return roster.Errorf(roster.KindInvalid, "user is already staff of an organization: they must leave it first")
	}
	if err != nil {
		return err
	}
	// The account's sign-in sessions now act for the organization.
	return authChanged(ctx, tx, accountID)
}

// RemoveStaff removes a staff member from the organization, revoking the
// API keys they made for it. The organization's last Owner stays.
func (s *Store) RemoveStaff(ctx context.Context, org roster.OrgID, accountUID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		accountID, role, err := member(ctx, tx, org, accountUID)
		if err != nil {
			return err
		}
		if role == roster.RoleOwner {
			if err := s.keepAnOwner(ctx, tx, org); err != nil {
				return err
			}
		}
		if err := s.emitStaff(ctx, tx, org, roster.EventStaffRemoved, accountUID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE account_id = $1 AND org_id = $2`, accountID, org)
		if err := mustAffect(res, err, roster.ErrStaffNotFound); err != nil {
			return err
		}
		// A member who leaves coaches nobody here any more.
		if err := s.uncountCoach(ctx, tx, org, accountUID); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`,
			dbTime{s.now()}, accountID); err != nil {
			return err
		}
		if err := s.disableWebhooksOfRevokedKeys(ctx, tx, accountID); err != nil {
			return err
		}
		// The deactivation was this organization's to make: once the member
		// has left, it no longer shuts them out of Roster.
		if _, err = tx.ExecContext(ctx, `UPDATE accounts SET deactivated_at = NULL WHERE id = $1`, accountID); err != nil {
			return err
		}
		if err := authChanged(ctx, tx, accountID); err != nil {
			return err
		}
		return audit(ctx, tx, org, "staff.remove", "account", accountUID)
	})
}

// UpdateStaff makes u's changes to a staff member of org, in one
// transaction: a role refused (the organization's last Owner keeps theirs)
// leaves the sessions limit as it was too. Setting the role a member has
// changes nothing.
func (s *Store) UpdateStaff(ctx context.Context, org roster.OrgID, accountUID string, u roster.StaffUpdate) error {
	if u.SetRole {
		role, err := roster.ParseRole(u.Role)
		if err != nil {
			return err
		}
		u.Role = role
	}
	if u.SetScope {
		scope, err := roster.ParseScope(u.Scope)
		if err != nil {
			return err
		}
		u.Scope = scope
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if u.SetSessionsLimit {
			if err := setSessionsLimit(ctx, tx, org, accountUID, u.SessionsLimit); err != nil {
				return err
			}
		}
		if u.SetRole {
			if err := s.setRole(ctx, tx, org, accountUID, u.Role); err != nil {
				return err
			}
		}
		if u.SetScope {
			return s.setScope(ctx, tx, org, accountUID, u.Scope)
		}
		return nil
	})
}

// setScope gives a staff member of org the scope. It takes effect on their
// next request: the principal their credentials resolve to carries it.
func (s *Store) setScope(ctx context.Context, tx *sql.Tx, org roster.OrgID, accountUID, scope string) error {
	accountID, _, err := member(ctx, tx, org, accountUID)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE memberships SET scope = $1 WHERE account_id = $2 AND org_id = $3 AND scope <> $1`,
		scope, accountID, org)
	if n, err := rowsAffected(res, err); err != nil || n == 0 {
		return err // or no change
	}
	if err := authChanged(ctx, tx, accountID); err != nil {
		return err
	}
	return audit(ctx, tx, org, "staff.update", "account", accountUID, "scope")
}

// setRole gives a staff member of org the role, unless they are its last
// Owner.
func (s *Store) setRole(ctx context.Context, tx *sql.Tx, org roster.OrgID, accountUID, role string) error {
	accountID, was, err := member(ctx, tx, org, accountUID)
	if err != nil || was == role {
		return err
	}
	if was == roster.RoleOwner {
		if err := s.keepAnOwner(ctx, tx, org); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE memberships SET role = $1 WHERE account_id = $2 AND org_id = $3`,
		role, accountID, org); err != nil {
		return err
	}
	// What the member's sessions and keys may do changes with the role.
	if err := authChanged(ctx, tx, accountID); err != nil {
		return err
	}
	return audit(ctx, tx, org, "staff.update", "account", accountUID, "role")
}

// member returns the account id and the role of org's staff member
// accountUID, or ErrStaffNotFound.
func member(ctx context.Context, tx *sql.Tx, org roster.OrgID, accountUID string) (accountID int64, role string, err error) {
	err = tx.QueryRowContext(ctx, `
		SELECT a.id, m.role FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE m.org_id = $1 AND a.uid = $2`, org, accountUID).Scan(&accountID, &role)
	if errors.Is(err, sql.ErrNoRows) {
		err = roster.ErrStaffNotFound
	}
	return accountID, role, err
}

// keepAnOwner fails unless org has an Owner besides the one about to go.
// On PostgreSQL the Owners' rows are locked, always in the same order, so
// that two concurrent removals cannot each see the other Owner and leave
// none: the second waits, and then no longer sees the row the first
// deleted.
func (s *Store) keepAnOwner(ctx context.Context, tx *sql.Tx, org roster.OrgID) error {
	rows, err := tx.QueryContext(ctx, `SELECT account_id FROM memberships WHERE org_id = $1 AND role = $2
		ORDER BY account_id`+s.forUpdate(),
		org, roster.RoleOwner)
	if err != nil {
		return err
	}
	defer rows.Close()
	owners := 0
	for rows.Next() {
		owners++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if owners < 2 {
		return roster.Errorf(roster.KindInvalid,
			"user_uid: the organization's last Owner cannot be removed, deactivated or made an Admin: make another member Owner first")
	}
	return nil
}
