package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// whereClient returns the condition and argument that find the client r
// names, after $1, the organization, unless an unpublished import hides it.
func whereClient(r roster.ClientRef) (string, string) {
	if r.ExternalID != "" {
		return "external_id = $2 AND " + visible, r.ExternalID
	}
	return "uid = $2 AND " + visible, r.UID
}

// SetClientActive deactivates (active false) or reactivates a client and
// returns its uid. A deactivated client keeps all its data; it leaves the
// lists and the counters of filters, and its account can no longer use
// it. Setting the state it already has changes nothing.
func (s *Store) SetClientActive(ctx context.Context, org roster.OrgID, ref roster.ClientRef, active bool) (uid string, err error) {
	cond, arg := whereClient(ref)
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, err := s.lockedClient(ctx, tx, `SELECT `+countedColumns+` FROM clients WHERE org_id = $1 AND `+cond+s.forUpdate(), org, arg)
		if err == nil {
			err = s.inScope(ctx, tx, org, ref)
		}
		uid = c.uid
		if err != nil || c.deactivated != active {
			return err // or no change: it already is as asked
		}
		after, err := s.writeActive(ctx, tx, org, c, active, s.now())
		if err != nil {
			return err
		}
		return s.moveCounts(ctx, tx, org, c.counts(), after.counts())
	})
	return uid, err
}

// writeActive deactivates or reactivates the locked client c at t, with
// its event and audit entry, and returns it as it then counts. The caller
// moves the counters, with whatever else of the client its transaction
// changes, in one pass (see adjustCounts).
func (s *Store) writeActive(ctx context.Context, tx *sql.Tx, org roster.OrgID, c counted, active bool, t time.Time) (counted, error) {
	var at dbTime
	if !active {
		at = dbTime{t}
	}
	event := roster.EventClientDeactivated
	if active {
		event = roster.EventClientReactivated
	}
	if err := s.emitClient(ctx, tx, org, event, `UPDATE clients SET deactivated_at = $1, updated_at = $2 WHERE id = $3`,
		at, dbTime{t}, c.id); err != nil {
		return c, err
	}
	c.deactivated = !active
	return c, audit(ctx, tx, org, "client."+activeAction(active), "client", c.uid, "status")
}

// createDeactivated stores a new client that is deactivated from the start
// (SCIM's create with active false) in one transaction: the create, then
// the deactivation, each with the event and audit entry it has through
// the client routes. It goes alone through database/sql on both engines:
// the batches and PostgreSQL's pipeline write active clients only.
func (s *Store) createDeactivated(ctx context.Context, org roster.OrgID, c *roster.Client) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.insertClient(ctx, tx, org, c)
		return err
	})
}

// deactivateCreated deactivates the client c that the transaction has just
// inserted as the row id, when it was asked for deactivated: at its
// DeactivatedAt, which becomes its UpdatedAt too. The counters were moved
// as for a deactivated client already (createdCounts).
func (s *Store) deactivateCreated(ctx context.Context, tx *sql.Tx, org roster.OrgID, id int64, c *roster.Client) error {
	if c.DeactivatedAt == nil {
		return nil
	}
	c.UpdatedAt = *c.DeactivatedAt
	_, err := s.writeActive(ctx, tx, org, counted{id: id, uid: c.UID}, false, c.UpdatedAt)
	return err
}

// createdCounts are the counters a new client adds to: the organization's
// total, and those of an active client or, deactivated, the count of
// deactivated clients.
func createdCounts(c *roster.Client) []countKey {
	return append(countedOf(c).counts(), totalKey)
}

func activeAction(active bool) string {
	if active {
		return "reactivate"
	}
	return "deactivate"
}

// activeAccount is true of an account (alias a, with its membership m
// joined, which the callers' queries share) that may act: one its
// organization has not deactivated. Deactivating a client does not touch
// an account: the client's organization hides the profile from it (see
// OwnClients), and no organization may shut a person out of Roster.
const activeAccount = `a.deactivated_at IS NULL`

// SetStaffActive deactivates or reactivates a staff member of org: a
// deactivated member cannot sign in, and their tokens and API keys stop
// working on the next request. The organization keeps an active Owner.
func (s *Store) SetStaffActive(ctx context.Context, org roster.OrgID, accountUID string, active bool) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var accountID int64
		var role string
		var deactivated bool
		err := tx.QueryRowContext(ctx, `
			SELECT a.id, m.role, a.deactivated_at IS NOT NULL FROM memberships m JOIN accounts a ON a.id = m.account_id
			WHERE m.org_id = $1 AND a.uid = $2`, org, accountUID).Scan(&accountID, &role, &deactivated)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrStaffNotFound
		}
		if err != nil || deactivated != active {
			return err
		}
		if !active && role == roster.RoleOwner {
			if err := s.keepAnOwner(ctx, tx, org); err != nil {
				return err
			}
		}
		var at dbTime
		if !active {
			at = dbTime{s.now()}
		}
		if _, err = tx.ExecContext(ctx, `UPDATE accounts SET deactivated_at = $1 WHERE id = $2`, at, accountID); err != nil {
			return err
		}
		if err := authChanged(ctx, tx, accountID); err != nil {
			return err
		}
		if !active {
			if err := s.emitStaff(ctx, tx, org, roster.EventStaffDeactivated, accountUID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, org, "staff."+activeAction(active), "account", accountUID, "status")
	})
}

// ForceLogoutClient ends every sign-in session of the account linked to one
// of the organization's active clients, and returns how many it ended.
// Only a link, which the person accepted, gives an organization this power,
// and never over staff of any organization (an Owner included): a client
// with their email is no handle on them. A deactivated client, which the
// person no longer sees (and so cannot unlink), gives none either. An
// unlinked client's answer is 0, whoever has its email.
func (s *Store) ForceLogoutClient(ctx context.Context, org roster.OrgID, ref roster.ClientRef) (int64, error) {
	if err := s.inScope(ctx, nil, org, ref); err != nil {
		return 0, err
	}
	cond, arg := whereClient(ref)
	return s.closeSignInSessions(ctx, org, "client", roster.ErrClientNotFound, `SELECT (SELECT a.id FROM client_links l
			JOIN accounts a ON a.id = l.account_id WHERE l.client_id = c.id AND c.deactivated_at IS NULL AND `+notStaff+`), c.uid
		FROM clients c WHERE c.org_id = $1 AND c.`+cond, org, arg)
}

// notStaff is true of an account (alias a) that is nobody's staff: only
// such an account answers to the organizations it linked a profile with.
const notStaff = `NOT EXISTS (SELECT 1 FROM memberships m WHERE m.account_id = a.id)`

// ForceLogoutStaff ends every sign-in session of a staff member of org.
func (s *Store) ForceLogoutStaff(ctx context.Context, org roster.OrgID, accountUID string) (int64, error) {
	return s.closeSignInSessions(ctx, org, "account", roster.ErrStaffNotFound,
		`SELECT a.id, a.uid FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.org_id = $1 AND a.uid = $2`,
		org, accountUID)
}

// closeSignInSessions revokes the open sessions of the account whose id account
// selects, with the uid of the object (of objectType) it was found by: no
// row is notFound; a NULL id, no account to sign out, ends none.
func (s *Store) closeSignInSessions(ctx context.Context, org roster.OrgID, objectType string, notFound error, account string, args ...any) (n int64, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id sql.NullInt64
		var objectUID string
		err := tx.QueryRowContext(ctx, account, args...).Scan(&id, &objectUID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return notFound
		case err != nil:
			return err
		case !id.Valid:
			return nil
		}
		t := s.now()
		// Tokens of the identity provider have no session here: the account
		// refuses those issued before now.
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET tokens_valid_after = $1 WHERE id = $2`, dbTime{t}, id.Int64); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`,
			dbTime{t}, id.Int64)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if err := authChanged(ctx, tx, id.Int64); err != nil {
			return err
		}
		return audit(ctx, tx, org, objectType+".force_logout", objectType, objectUID, "sessions")
	})
	return n, err
}

// setSessionsLimit sets (or, with nil, clears) the cap on a staff member's
// simultaneous sign-in sessions.
func setSessionsLimit(ctx context.Context, tx *sql.Tx, org roster.OrgID, accountUID string, limit *int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE accounts SET sessions_limit = $1
		WHERE uid = $2 AND id IN (SELECT account_id FROM memberships WHERE org_id = $3)`, limit, accountUID, org)
	if err := mustAffect(res, err, roster.ErrStaffNotFound); err != nil {
		return err
	}
	return audit(ctx, tx, org, "staff.update", "account", accountUID, "sessions_limit")
}

// enforceSignInSessionsLimit ends the oldest open sessions of an account beyond
// its sessions limit: the smallest of its own and, for a person who is
// nobody's staff, those of the client profiles linked to it (see
// OwnClients), so that no organization caps anyone who did not consent, nor
// any organization's staff. It runs in the transaction that opens a
// session, after the account's row is locked, so concurrent sign-ins count
// each other.
func enforceSignInSessionsLimit(ctx context.Context, tx *sql.Tx, accountID int64, t time.Time) error {
	var limit sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT MIN(l) FROM (
			SELECT sessions_limit AS l FROM accounts WHERE id = $1
			UNION ALL
			SELECT c.sessions_limit FROM client_links l JOIN clients c ON c.id = l.client_id JOIN accounts a ON a.id = l.account_id
			WHERE a.id = $1 AND c.deactivated_at IS NULL AND `+notStaff+`
		) limits`, accountID).Scan(&limit)
	if err != nil || !limit.Valid {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sign_in_sessions
		WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY id DESC`, accountID, dbTime{t})
	if err != nil {
		return err
	}
	var ids []int64
	for kept := int64(0); rows.Next(); kept++ {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		if kept >= limit.Int64 {
			ids = append(ids, id)
		}
	}
	if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE id = $2`, dbTime{t}, id); err != nil {
			return err
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := authChanged(ctx, tx, accountID); err != nil {
		return err
	}
	var uid string
	if err := tx.QueryRowContext(ctx, `SELECT uid FROM accounts WHERE id = $1`, accountID).Scan(&uid); err != nil {
		return err
	}
	return audit(ctx, tx, 0, "account.sessions_limit", "account", uid, "sessions")
}
