package store

import (
	"context"
	"database/sql"
	"errors"

	"roster"
)

// InviteLink sends a link invitation for one of the organization's
// clients to the client's email, replacing any earlier one, within the
// organization's limit. The answer says nothing about whether the address
// has an account.
func (s *Store) InviteLink(ctx context.Context, org roster.OrgID, lr roster.LinkRequest, limits roster.Limits) (inv roster.LinkInvitation, err error) {
	t := s.now()
	cond, arg := whereClient(lr.Client)
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The client's row is locked (on PostgreSQL) before its invitation
		// is replaced, as every change of a client does, so that two
		// invitations for it, or an invitation and an email change, take
		// turns instead of colliding.
		var clientID int64
		var linked, deactivated bool
		err := tx.QueryRowContext(ctx, `SELECT id, uid, email, EXISTS (SELECT 1 FROM client_links WHERE client_id = clients.id),
				deactivated_at IS NOT NULL
			FROM clients WHERE org_id = $1 AND `+cond+s.forUpdate(), org, arg).
			Scan(&clientID, &inv.ClientUID, &inv.Email, &linked, &deactivated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return roster.ErrClientNotFound
		case err != nil:
			return err
		}
		if err := s.inScope(ctx, tx, org, roster.ClientRef{UID: inv.ClientUID}); err != nil {
			return err
		}
		switch {
		case linked:
			return roster.Errorf(roster.KindInvalid, "this client is already linked to its person's account")
		case deactivated:
			return roster.Errorf(roster.KindInvalid, "this client is deactivated: reactivate it first")
		}
		if err := orgMailLimits(ctx, tx, org, linkInvitationsKind, inv.Email, limits, t); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT uid, company_name FROM organizations WHERE id = $1`, org).
			Scan(&inv.OrgUID, &inv.CompanyName); err != nil {
			return err
		}
		inv.UID, inv.PlatformLink, inv.CreatedAt, inv.ExpiresAt = roster.NewUID(t), lr.PlatformLink, t, t.Add(lr.TTL)
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_invitations WHERE client_id = $1`, clientID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO link_invitations
			(uid, org_id, client_id, email_key, inviter_uid, platform_link, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, inv.UID, org, clientID, roster.EmailKey(inv.Email), lr.InviterUID,
			nullString(lr.PlatformLink), dbTime{t}, dbTime{inv.ExpiresAt}); err != nil {
			return err
		}
		if err := audit(ctx, tx, org, "client.link_invite", "client", inv.ClientUID, "account"); err != nil {
			return err
		}
		return insertOrgMail(ctx, tx, roster.LinkInvitationMail(inv), mailOrigin{org: org, kind: roster.MailLinkInvitation}, t)
	})
	return inv, err
}

// Unlink ends the link of one of the organization's clients to its
// person's account, and voids a pending link invitation; it returns the
// client's uid. The organization may always give up its power.
func (s *Store) Unlink(ctx context.Context, org roster.OrgID, ref roster.ClientRef) (uid string, err error) {
	cond, arg := whereClient(ref)
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id, uid FROM clients WHERE org_id = $1 AND `+cond+s.forUpdate(), org, arg).
			Scan(&id, &uid)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrClientNotFound
		}
		if err == nil {
			err = s.inScope(ctx, tx, org, roster.ClientRef{UID: uid})
		}
		if err != nil {
			return err
		}
		if err := unlink(ctx, tx, id); err != nil {
			return err
		}
		return audit(ctx, tx, org, "client.unlink", "client", uid, "account")
	})
	return uid, err
}

// maxLinkInvitations bounds the list of one person's link invitations.
const maxLinkInvitations = 100

// LinkInvitations returns the open link invitations addressed to an
// account's email, newest first, once the account proved it owns the
// email: anyone may sign up with any address.
func (s *Store) LinkInvitations(ctx context.Context, accountUID string) ([]roster.LinkInvitation, error) {
	rows, err := s.query(ctx, `SELECT li.uid, o.uid, o.company_name, c.uid, c.email, li.platform_link, li.created_at, li.expires_at
		FROM accounts a JOIN link_invitations li ON li.email_key = a.email_key
		JOIN clients c ON c.id = li.client_id JOIN organizations o ON o.id = li.org_id
		WHERE a.uid = $1 AND a.email_verified_at IS NOT NULL AND li.expires_at > $2 AND c.deactivated_at IS NULL
		ORDER BY li.id DESC LIMIT $3`, accountUID, dbTime{s.now()}, maxLinkInvitations)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []roster.LinkInvitation
	for rows.Next() {
		var inv roster.LinkInvitation
		var link sql.NullString
		var created, expires dbTime
		if err := rows.Scan(&inv.UID, &inv.OrgUID, &inv.CompanyName, &inv.ClientUID, &inv.Email, &link, &created, &expires); err != nil {
			return nil, err
		}
		inv.PlatformLink, inv.CreatedAt, inv.ExpiresAt = link.String, created.Time, expires.Time
		list = append(list, inv)
	}
	return list, rows.Err()
}

// RespondLink answers a link invitation for the signed-in account it is
// addressed to: accepting links the client to the account. Only the owner
// of the address may answer: the account must have verified it, and it
// must still be the client's address; anyone else gets
// roster.ErrLinkInvitationNotFound.
func (s *Store) RespondLink(ctx context.Context, accountUID, linkUID string, accept bool) error {
	t := s.now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The client first, then its invitation, in the order every change
		// of a client takes them (an email change, a new invitation, a
		// delete), so that they wait on each other instead of deadlocking.
		if _, err := tx.ExecContext(ctx, `SELECT id FROM clients
			WHERE id = (SELECT client_id FROM link_invitations WHERE uid = $1)`+s.forUpdate(), linkUID); err != nil {
			return err
		}
		var id, clientID, accountID int64
		var org roster.OrgID
		var clientUID string
		// Only the verified owner of the address may answer; an unverified
		// account is told nothing, not even that an invitation exists.
		err := tx.QueryRowContext(ctx, `SELECT li.id, li.client_id, li.org_id, c.uid, a.id
			FROM link_invitations li JOIN clients c ON c.id = li.client_id AND c.email_key = li.email_key
			JOIN accounts a ON a.email_key = li.email_key
			WHERE li.uid = $1 AND a.uid = $2 AND li.expires_at > $3 AND c.deactivated_at IS NULL
				AND a.email_verified_at IS NOT NULL`,
			linkUID, accountUID, dbTime{t}).Scan(&id, &clientID, &org, &clientUID, &accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrLinkInvitationNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM link_invitations WHERE id = $1`, id); err != nil {
			return err
		}
		action := "client.link_decline"
		if accept {
			action = "client.link"
			if _, err := tx.ExecContext(ctx, `INSERT INTO client_links (client_id, account_id) VALUES ($1, $2)
				ON CONFLICT (client_id) DO UPDATE SET account_id = excluded.account_id`, clientID, accountID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, org, action, "client", clientUID, "account")
	})
}

// UnlinkOwn ends the link of one of the account's own client profiles:
// the person withdraws the consent they gave. The profile stays with its
// organization.
func (s *Store) UnlinkOwn(ctx context.Context, accountUID, clientUID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var org roster.OrgID
		err := tx.QueryRowContext(ctx, `DELETE FROM client_links
			WHERE client_id = (SELECT id FROM clients WHERE uid = $1) AND account_id = (SELECT id FROM accounts WHERE uid = $2)
			RETURNING (SELECT org_id FROM clients WHERE id = client_id)`,
			clientUID, accountUID).Scan(&org)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrClientNotFound
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, org, "client.unlink", "client", clientUID, "account")
	})
}

// unlink ends a client's link and voids its pending link invitation.
func unlink(ctx context.Context, tx *sql.Tx, clientID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM client_links WHERE client_id = $1`, clientID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM link_invitations WHERE client_id = $1`, clientID)
	return err
}

// unlinkOnNewEmail ends the link of a client whose email changes to one of
// the given key, before the change: the person linked to it consented for
// their own address. Requests sent to the old address are void too.
func unlinkOnNewEmail(ctx context.Context, tx *sql.Tx, clientID int64, newKey string) error {
	var oldKey string
	if err := tx.QueryRowContext(ctx, `SELECT email_key FROM clients WHERE id = $1`, clientID).Scan(&oldKey); err != nil {
		return err
	}
	if oldKey == newKey {
		return nil
	}
	return unlink(ctx, tx, clientID)
}
