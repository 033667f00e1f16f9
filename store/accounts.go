package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// CreateAccount stores a new account that is nobody's staff yet.
func (s *Store) CreateAccount(ctx context.Context, n roster.NewAccount) (uid string, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		uid, err = insertAccount(ctx, tx, n, s.now())
		return err
	})
	return uid, err
}

func insertAccount(ctx context.Context, tx *sql.Tx, n roster.NewAccount, t time.Time) (string, error) {
	uid := roster.NewUID(t)
	var verified dbTime
	if n.EmailVerified {
		verified = dbTime{t}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO accounts (uid, email, email_key, display_name, password_hash, email_verified_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		uid, n.Email, roster.EmailKey(n.Email), n.DisplayName, nullString(n.PasswordHash), verified, dbTime{t})
	if isUniqueViolation(err) {
		return "", roster.FieldErrorf("email", "an account with this email already exists: sign in instead")
	}
	if err != nil {
		return "", err
	}
	return uid, audit(ctx, tx, 0, "account.create", "account", uid, "email", "display_name")
}

// PasswordHash returns the uid and password hash of the account with this
// email, and whether the account may sign in (see activeAccount). An
// account without a password, like an unknown email, is
// roster.ErrWrongCredentials.
func (s *Store) PasswordHash(ctx context.Context, email string) (uid, hash string, active bool, err error) {
	var h sql.NullString
	err = s.queryRow(ctx, `SELECT a.uid, a.password_hash, `+activeAccount+` FROM accounts a`+memberJoin+`
		WHERE a.email_key = $1`, roster.EmailKey(email)).Scan(&uid, &h, &active)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !h.Valid {
		return "", "", false, roster.ErrWrongCredentials
	}
	return uid, h.String, active, err
}

// SetPassword replaces the password of the account with this email and
// ends its sign-in sessions: a password is reset because it may be known
// to someone else, who may hold a session too.
func (s *Store) SetPassword(ctx context.Context, email, hash string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		var uid string
		err := tx.QueryRowContext(ctx, `UPDATE accounts SET password_hash = $1 WHERE email_key = $2 RETURNING id, uid`,
			hash, roster.EmailKey(email)).Scan(&id, &uid)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.Errorf(roster.KindNotFound, "no account with the email %s", email)
		}
		if err != nil {
			return err
		}
		if err := revokeSignInSessions(ctx, tx, id, s.now()); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.password", "account", uid, "password")
	})
}

// AccountByEmail finds the account with this email, or creates one without
// a password: an external identity provider vouched for the email. An
// account that had not proved it owns the email may be someone else's
// squat: it loses its password and sessions, and its email counts as
// verified from now on.
func (s *Store) AccountByEmail(ctx context.Context, email, displayName string) (uid string, err error) {
	var verified bool
	err = s.queryRow(ctx, `SELECT uid, email_verified_at IS NOT NULL FROM accounts WHERE email_key = $1`,
		roster.EmailKey(email)).Scan(&uid, &verified)
	switch {
	case err == nil && verified:
		return uid, nil
	case err == nil:
		return uid, s.claimEmail(ctx, uid)
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	if displayName == "" {
		displayName = email
	}
	uid, err = s.CreateAccount(ctx, roster.NewAccount{Email: email, DisplayName: displayName, EmailVerified: true})
	if roster.KindOf(err) == roster.KindInvalid {
		// Created meanwhile by a concurrent request.
		return s.AccountByEmail(ctx, email, displayName)
	}
	return uid, err
}

// claimEmail hands an unverified account to the verified owner of its
// email, without a password: the identity provider signs them in.
func (s *Store) claimEmail(ctx context.Context, uid string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		var verified bool
		err := tx.QueryRowContext(ctx, `SELECT id, email_verified_at IS NOT NULL FROM accounts WHERE uid = $1`+s.forUpdate(), uid).
			Scan(&id, &verified)
		if err != nil || verified {
			return err // or verified meanwhile
		}
		return takeOver(ctx, tx, id, uid, s.now(), "account.claim", "password_hash = NULL")
	})
}

// Me returns an account and, when it is staff, its membership.
func (s *Store) Me(ctx context.Context, accountUID string) (roster.Account, *roster.Membership, error) {
	var a roster.Account
	var created dbTime
	var hash, orgUID, company, role sql.NullString
	err := s.queryRow(ctx, `
		SELECT a.uid, a.email, a.display_name, a.password_hash, a.email_verified_at IS NOT NULL, a.created_at, o.uid, o.company_name, m.role
		FROM accounts a
		LEFT JOIN memberships m ON m.account_id = a.id AND m.status = 'Active'
		LEFT JOIN organizations o ON o.id = m.org_id
		WHERE a.uid = $1`, accountUID).
		Scan(&a.UID, &a.Email, &a.DisplayName, &hash, &a.EmailVerified, &created, &orgUID, &company, &role)
	if errors.Is(err, sql.ErrNoRows) {
		return a, nil, roster.Errorf(roster.KindUnauthorized, "the account no longer exists")
	}
	if err != nil {
		return a, nil, err
	}
	a.HasPassword, a.CreatedAt = hash.Valid, created.Time
	if !orgUID.Valid {
		return a, nil, nil
	}
	return a, &roster.Membership{OrgUID: orgUID.String, CompanyName: company.String, Role: role.String}, nil
}

// mustAffect turns an update that changed no row into notFound.
func mustAffect(res sql.Result, err error, notFound error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		return notFound
	}
	return err
}

// SetDisplayName changes an account's display name.
func (s *Store) SetDisplayName(ctx context.Context, accountUID, name string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET display_name = $1 WHERE uid = $2`, name, accountUID); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.update", "account", accountUID, "display_name")
	})
}

// ChangePassword replaces an account's password and ends its other
// sign-in sessions, keeping the one that asked (keep, "" for none).
func (s *Store) ChangePassword(ctx context.Context, accountUID, hash, keep string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `UPDATE accounts SET password_hash = $1 WHERE uid = $2 RETURNING id`, hash, accountUID).Scan(&id)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1
			WHERE account_id = $2 AND revoked_at IS NULL AND uid <> $3`, dbTime{s.now()}, id, keep); err != nil {
			return err
		}
		if err := authChanged(ctx, tx, id); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.password", "account", accountUID, "password")
	})
}

// DeleteAccount deletes an account with its sessions, API keys and
// membership. The last Owner of an organization cannot go: the
// organization would have nobody to run it. The clients the account
// created stay: they are the organization's.
func (s *Store) DeleteAccount(ctx context.Context, accountUID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		var org sql.NullInt64
		var role sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT a.id, m.org_id, m.role FROM accounts a`+memberJoin+` WHERE a.uid = $1`,
			accountUID).Scan(&id, &org, &role)
		if err != nil {
			return err
		}
		if role.String == roster.RoleOwner {
			err := s.keepAnOwner(ctx, tx, roster.OrgID(org.Int64))
			if roster.KindOf(err) == roster.KindInvalid {
				return roster.Errorf(roster.KindInvalid, "the last Owner of an organization cannot delete their account")
			}
			if err != nil {
				return err
			}
		}
		// A member who deletes their account leaves the organization, as
		// RemoveStaff has it: announced while they are still listed.
		if org.Valid {
			if err := s.emitStaff(ctx, tx, roster.OrgID(org.Int64), roster.EventStaffRemoved, accountUID); err != nil {
				return err
			}
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = $1`, id); err != nil {
			return err
		}
		if err := authChanged(ctx, tx, id); err != nil {
			return err
		}
		if org.Valid {
			// Nor do they coach anybody there any more.
			if err := s.uncountCoach(ctx, tx, roster.OrgID(org.Int64), accountUID); err != nil {
				return err
			}
		}
		return audit(ctx, tx, roster.OrgID(org.Int64), "account.delete", "account", accountUID)
	})
}
