package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

const invitationColumns = `i.token, o.uid, o.company_name, a.uid, a.email, a.display_name,
	i.invitee_email, i.status, i.platform_link, i.created_at, i.expires_at`

const invitationJoins = ` FROM invitations i
	JOIN organizations o ON o.id = i.org_id
	JOIN accounts a ON a.id = i.inviter_id`

func scanInvitation(row scanner, inv *roster.Invitation) error {
	var link sql.NullString
	var created, expires dbTime
	err := row.Scan(&inv.Token, &inv.OrgUID, &inv.CompanyName, &inv.InviterUID, &inv.InviterEmail, &inv.InviterName,
		&inv.InviteeEmail, &inv.Status, &link, &created, &expires)
	inv.PlatformLink, inv.CreatedAt, inv.ExpiresAt = link.String, created.Time, expires.Time
	return err
}

// CreateInvitation invites email to become an Admin of org and, in the
// same transaction, queues the email that tells them. Whether the invitee
// is staff of another organization is not checked here, since the answer
// would tell one organization about another's staff: accepting fails then.
func (s *Store) CreateInvitation(ctx context.Context, org roster.OrgID, inviterUID, email, platformLink string, ttl time.Duration, limits roster.Limits) (inv roster.Invitation, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		inv, err = s.invite(ctx, tx, org, inviterUID, email, platformLink, ttl, limits)
		return err
	})
	return inv, err
}

// InviteClient invites the person with the email of one of the
// organization's clients (the seeds' "add a sub-admin"): an invitation
// rather than a membership, so that nobody becomes staff without saying
// yes, and so that the answer tells nothing about other organizations.
func (s *Store) InviteClient(ctx context.Context, org roster.OrgID, inviterUID, clientUID string, ttl time.Duration, limits roster.Limits) (inv roster.Invitation, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var email string
		err := tx.QueryRowContext(ctx, `SELECT email FROM clients WHERE org_id = $1 AND uid = $2`, org, clientUID).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.Errorf(roster.KindNotFound, "user not found: user_uid must be a client of this organization")
		}
		if err != nil {
			return err
		}
		if staff, err := isStaff(ctx, tx, org, email); err != nil || staff {
			return cmp.Or(err, roster.Errorf(roster.KindNotFound, "user is already a sub-admin of this organization"))
		}
		inv, err = s.invite(ctx, tx, org, inviterUID, email, "", ttl, limits)
		return err
	})
	return inv, err
}

// isStaff reports whether the account with this email is staff of org.
func isStaff(ctx context.Context, tx *sql.Tx, org roster.OrgID, email string) (bool, error) {
	var staff bool
	err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id
		WHERE a.email_key = $1 AND m.org_id = $2)`, roster.EmailKey(email), org).Scan(&staff)
	return staff, err
}

// invite writes an invitation and queues its mail, within the
// organization's limits, which only invitations that are written count.
func (s *Store) invite(ctx context.Context, tx *sql.Tx, org roster.OrgID, inviterUID, email, platformLink string, ttl time.Duration, limits roster.Limits) (roster.Invitation, error) {
	t := s.now()
	inv := roster.Invitation{Token: roster.NewSecret(32), InviterUID: inviterUID, InviteeEmail: email,
		Status: roster.InvitationPending, PlatformLink: platformLink, CreatedAt: t, ExpiresAt: t.Add(ttl)}
	key := roster.EmailKey(email)
	if staff, err := isStaff(ctx, tx, org, email); err != nil || staff {
		return inv, cmp.Or(err, roster.Errorf(roster.KindInvalid, "user_email: %s is already staff of this organization", email))
	}
	// An expired invitation no longer holds the one pending place.
	if _, err := tx.ExecContext(ctx, `UPDATE invitations SET status = $1
		WHERE org_id = $2 AND invitee_email_key = $3 AND status = $4 AND expires_at <= $5`,
		roster.InvitationExpired, org, key, roster.InvitationPending, dbTime{t}); err != nil {
		return inv, err
	}
	var inviterID int64
	err := tx.QueryRowContext(ctx, `SELECT a.id, a.email, a.display_name, o.company_name
		FROM accounts a, organizations o WHERE a.uid = $1 AND o.id = $2`, inviterUID, org).
		Scan(&inviterID, &inv.InviterEmail, &inv.InviterName, &inv.CompanyName)
	if err != nil {
		return inv, err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO invitations (token, org_id, inviter_id, invitee_email, invitee_email_key, status, platform_link, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		inv.Token, org, inviterID, email, key, inv.Status, nullString(platformLink), dbTime{t}, dbTime{inv.ExpiresAt})
	if isUniqueViolation(err) {
		return inv, roster.Errorf(roster.KindInvalid, "user_email: an invitation to %s is already pending", email)
	}
	if err != nil {
		return inv, err
	}
	if err := s.emitInvitation(ctx, tx, org, roster.EventInvitationCreated, inv.Token); err != nil {
		return inv, err
	}
	if err := audit(ctx, tx, org, "invitation.create", "invitation", email, "user_email", "platform_link"); err != nil {
		return inv, err
	}
	if err := orgMailLimits(ctx, tx, org, "invitations", email, limits, t); err != nil {
		return inv, err
	}
	return inv, insertInvitationMail(ctx, tx, org, inv, t)
}

// emitInvitation emits the event typ about org's invitation token, read in
// tx as the invitation list shows it, so that every event about an
// invitation shows the same fields.
func (s *Store) emitInvitation(ctx context.Context, tx *sql.Tx, org roster.OrgID, typ, token string) error {
	var inv roster.Invitation
	err := scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+invitationJoins+`
		WHERE i.org_id = $1 AND i.token = $2`, org, token), &inv)
	if err != nil {
		return err
	}
	inv.Token = "" // it answers the invitation: no event keeps it (see migration 29)
	return s.emit(ctx, tx, org, typ, inv)
}

// insertInvitationMail queues the mail that tells of inv, which org sent.
func insertInvitationMail(ctx context.Context, tx *sql.Tx, org roster.OrgID, inv roster.Invitation, t time.Time) error {
	return insertOrgMail(ctx, tx, roster.InvitationMail(inv), mailOrigin{org: org, kind: roster.MailInvitation, ref: inv.Token}, t)
}

// ResendInvitation queues the mail of one of the organization's pending
// invitations again, as a new message: for one whose mail died, or was
// lost. The invitation itself, and when it expires, are unchanged; the
// mail counts against the organization's limits as a new invitation's.
func (s *Store) ResendInvitation(ctx context.Context, org roster.OrgID, token string, limits roster.Limits) (inv roster.Invitation, err error) {
	t := s.now()
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+invitationJoins+`
			WHERE i.org_id = $1 AND i.token = $2`, org, token), &inv)
		if errors.Is(err, sql.ErrNoRows) {
			return errSentInvitationNotFound
		}
		if err != nil {
			return err
		}
		if err := roster.CheckInvitationOpen(inv.Status, inv.ExpiresAt, t); err != nil {
			return err
		}
		if err := orgMailLimits(ctx, tx, org, "invitations", inv.InviteeEmail, limits, t); err != nil {
			return err
		}
		if err := audit(ctx, tx, org, "invitation.resend", "invitation", inv.InviteeEmail); err != nil {
			return err
		}
		return insertInvitationMail(ctx, tx, org, inv, t)
	})
	return inv, err
}

// Invitations returns the pending invitations that viewer may see (see
// roster.InvitationScopeOf), newest first.
func (s *Store) Invitations(ctx context.Context, viewer roster.Principal, limit int) ([]roster.Invitation, error) {
	scope := roster.InvitationScopeOf(viewer)
	// A SentBy of 0 matches no organization: ids start at 1.
	rows, err := s.query(ctx, `SELECT `+invitationColumns+invitationJoins+`
		WHERE i.status = $1 AND i.expires_at > $2
		AND (i.org_id = $3 OR i.invitee_email_key =
			(SELECT email_key FROM accounts WHERE uid = $4 AND email_verified_at IS NOT NULL))
		ORDER BY i.id DESC LIMIT $5`,
		roster.InvitationPending, dbTime{s.now()}, scope.SentBy, scope.InviteeUID, limit)
	return scanInvitations(rows, err)
}

func scanInvitations(rows rows, err error) ([]roster.Invitation, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []roster.Invitation
	for rows.Next() {
		var inv roster.Invitation
		if err := scanInvitation(rows, &inv); err != nil {
			return nil, err
		}
		list = append(list, inv)
	}
	return list, rows.Err()
}

// SentInvitations returns the organization's invitations in every state
// the store records, newest first: its staff screen shows them all, where
// the seed's list shows only those that can still be answered.
func (s *Store) SentInvitations(ctx context.Context, org roster.OrgID, limit int) ([]roster.Invitation, error) {
	return scanInvitations(s.query(ctx, `SELECT `+invitationColumns+invitationJoins+`
		WHERE i.org_id = $1 ORDER BY i.id DESC LIMIT $2`, org, limit))
}

// SentInvitation returns one of the organization's invitations, in any
// state; another organization's is as unknown as one that never existed.
func (s *Store) SentInvitation(ctx context.Context, org roster.OrgID, token string) (inv roster.Invitation, err error) {
	err = scanInvitation(s.queryRow(ctx, `SELECT `+invitationColumns+invitationJoins+`
		WHERE i.org_id = $1 AND i.token = $2`, org, token), &inv)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, errSentInvitationNotFound
	}
	return inv, err
}

// errSentInvitationNotFound answers a token that is not one of the
// organization's invitations.
var errSentInvitationNotFound = roster.Errorf(roster.KindNotFound, "invitation not found")

// DeleteInvitation removes one of the organization's invitations.
func (s *Store) DeleteInvitation(ctx context.Context, org roster.OrgID, token string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var email string
		err := tx.QueryRowContext(ctx, `DELETE FROM invitations WHERE org_id = $1 AND token = $2 RETURNING invitee_email`,
			org, token).Scan(&email)
		if errors.Is(err, sql.ErrNoRows) {
			return errSentInvitationNotFound
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, org, "invitation.delete", "invitation", email)
	})
}

// RespondInvitation answers an invitation for the signed-in account it was
// addressed to. Accepting makes the account an Admin of the organization.
func (s *Store) RespondInvitation(ctx context.Context, accountUID, token string, accept bool) error {
	t := s.now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		var org roster.OrgID
		var status, inviteeKey string
		var expires dbTime
		err := tx.QueryRowContext(ctx, `SELECT id, org_id, status, invitee_email_key, expires_at
			FROM invitations WHERE token = $1`+s.forUpdate(), token).Scan(&id, &org, &status, &inviteeKey, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrInvitationNotFound
		}
		if err != nil {
			return err
		}
		if err := roster.CheckInvitationOpen(status, expires.Time, t); err != nil {
			return err
		}
		accountID, err := checkRespondent(tx.QueryRowContext(ctx, respondentQuery, accountUID), inviteeKey)
		if err != nil {
			return err
		}
		answer, event := roster.InvitationDeclined, roster.EventInvitationDeclined
		if accept {
			answer, event = roster.InvitationAccepted, roster.EventInvitationAccepted
			if err := addMember(ctx, tx, org, accountID, roster.RoleAdmin, t); err != nil {
				return err
			}
			if err := s.emitStaff(ctx, tx, org, roster.EventStaffJoined, accountUID); err != nil {
				return err
			}
		}
		if _, err = tx.ExecContext(ctx, `UPDATE invitations SET status = $1, responded_at = $2 WHERE id = $3`,
			answer, dbTime{t}, id); err != nil {
			return err
		}
		if err := s.emitInvitation(ctx, tx, org, event, token); err != nil {
			return err
		}
		return audit(ctx, tx, org, "invitation."+answer, "account", accountUID, "status")
	})
}

// respondentQuery reads the account that would answer an invitation, as
// checkRespondent scans it.
const respondentQuery = `SELECT id, email_key, email_verified_at IS NOT NULL FROM accounts WHERE uid = $1`

// checkRespondent scans the account of respondentQuery and returns its id
// if it may answer an invitation addressed to the email whose key is
// inviteeKey (see roster.CheckRespondent).
func checkRespondent(row scanner, inviteeKey string) (int64, error) {
	var accountID int64
	var who roster.Respondent
	if err := row.Scan(&accountID, &who.EmailKey, &who.EmailVerified); err != nil {
		return 0, err
	}
	return accountID, roster.CheckRespondent(inviteeKey, who)
}

// InvitationToAnswer returns the invitation token names for the account
// that would answer it, once it passes the checks RespondInvitation makes
// (open, addressed to the account's email, which it proved it owns), so
// that a page can show what the answer is to before it is given.
func (s *Store) InvitationToAnswer(ctx context.Context, accountUID, token string) (inv roster.Invitation, err error) {
	err = scanInvitation(s.queryRow(ctx, `SELECT `+invitationColumns+invitationJoins+` WHERE i.token = $1`, token), &inv)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, roster.ErrInvitationNotFound
	}
	if err != nil {
		return inv, err
	}
	if err := roster.CheckInvitationOpen(inv.Status, inv.ExpiresAt, s.now()); err != nil {
		return inv, err
	}
	_, err = checkRespondent(s.queryRow(ctx, respondentQuery, accountUID), roster.EmailKey(inv.InviteeEmail))
	return inv, err
}
