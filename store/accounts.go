package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// ErrWrongCredentials answers every failed sign-in alike, so that it does
// not tell which emails have accounts.
var ErrWrongCredentials = roster.Errorf(roster.KindUnauthorized, "wrong email or password")

// CreateAccount stores a new account that is nobody's staff yet.
func (s *Store) CreateAccount(ctx context.Context, email, displayName, passwordHash string) (roster.Account, error) {
	t := now()
	a := roster.Account{UID: roster.NewUID(t), Email: email, DisplayName: displayName,
		HasPassword: passwordHash != "", CreatedAt: t}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO accounts (uid, email, email_key, display_name, password_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`,
			a.UID, email, roster.EmailKey(email), displayName, nullString(passwordHash), dbTime{t})
		if isUniqueViolation(err) {
			return roster.Errorf(roster.KindInvalid, "email: an account with this email already exists: sign in instead")
		}
		return err
	})
	return a, err
}

// PasswordHash returns the uid and password hash of the account with this
// email, and whether the account may sign in (see activeAccount). An
// account without a password, like an unknown email, is
// ErrWrongCredentials.
func (s *Store) PasswordHash(ctx context.Context, email string) (uid, hash string, active bool, err error) {
	var h sql.NullString
	err = s.queryRow(ctx, `SELECT a.uid, a.password_hash, `+activeAccount+` FROM accounts a`+memberJoin+`
		WHERE a.email_key = $1`, roster.EmailKey(email)).Scan(&uid, &h, &active)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !h.Valid {
		return "", "", false, ErrWrongCredentials
	}
	return uid, h.String, active, err
}

// SetPassword replaces the password of the account with this email.
func (s *Store) SetPassword(ctx context.Context, email, hash string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET password_hash = $1 WHERE email_key = $2`,
			hash, roster.EmailKey(email))
		return mustAffect(res, err, roster.Errorf(roster.KindNotFound, "no account with the email %s", email))
	})
}

// AccountByEmail finds the account with this email, or creates one without
// a password: an external identity provider vouched for the email.
func (s *Store) AccountByEmail(ctx context.Context, email, displayName string) (uid string, err error) {
	err = s.queryRow(ctx, `SELECT uid FROM accounts WHERE email_key = $1`, roster.EmailKey(email)).Scan(&uid)
	if !errors.Is(err, sql.ErrNoRows) {
		return uid, err
	}
	if displayName == "" {
		displayName = email
	}
	a, err := s.CreateAccount(ctx, email, displayName, "")
	if roster.KindOf(err) == roster.KindInvalid {
		// Created meanwhile by a concurrent request.
		return s.AccountByEmail(ctx, email, displayName)
	}
	return a.UID, err
}

// Me returns an account and, when it is staff, its membership.
func (s *Store) Me(ctx context.Context, accountUID string) (roster.Account, *roster.Membership, error) {
	var a roster.Account
	var created dbTime
	var hash, orgUID, company, role sql.NullString
	err := s.queryRow(ctx, `
		SELECT a.uid, a.email, a.display_name, a.password_hash, a.created_at, o.uid, o.company_name, m.role
		FROM accounts a
		LEFT JOIN memberships m ON m.account_id = a.id AND m.status = 'Active'
		LEFT JOIN organizations o ON o.id = m.org_id
		WHERE a.uid = $1`, accountUID).
		Scan(&a.UID, &a.Email, &a.DisplayName, &hash, &created, &orgUID, &company, &role)
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

// principalColumns and principalJoins resolve an account to the principal
// it acts as: its organization and role when it is active staff, none
// otherwise. They are joined on every request, so that removing a staff
// member takes effect on the next request, on every process.
const (
	memberJoin       = ` LEFT JOIN memberships m ON m.account_id = a.id AND m.status = 'Active'`
	principalColumns = `a.uid, COALESCE(m.role, ''), COALESCE(o.id, 0), COALESCE(o.uid, ''), ` + activeAccount
	principalJoins   = memberJoin + ` LEFT JOIN organizations o ON o.id = m.org_id`
)

// scanPrincipal scans principalColumns; an account that may no longer act
// is ErrDeactivated.
func scanPrincipal(row *sql.Row, p *roster.Principal) error {
	var active bool
	if err := row.Scan(&p.AccountUID, &p.Role, &p.OrgID, &p.OrgUID, &active); err != nil {
		return err
	}
	if !active {
		return ErrDeactivated
	}
	return nil
}

// AccountPrincipal returns the principal of an account signed in through
// an external identity provider.
func (s *Store) AccountPrincipal(ctx context.Context, accountUID string) (roster.Principal, error) {
	var p roster.Principal
	err := scanPrincipal(s.queryRow(ctx, `SELECT `+principalColumns+` FROM accounts a`+principalJoins+`
		WHERE a.uid = $1`, accountUID), &p)
	if errors.Is(err, sql.ErrNoRows) {
		return p, roster.Errorf(roster.KindUnauthorized, "the account no longer exists")
	}
	return p, err
}

// SessionPrincipal returns the principal of a Roster access token: its
// sign-in session must still be open.
func (s *Store) SessionPrincipal(ctx context.Context, accountUID, sessionUID string, t time.Time) (roster.Principal, error) {
	p := roster.Principal{SessionUID: sessionUID}
	err := scanPrincipal(s.queryRow(ctx, `SELECT `+principalColumns+`
		FROM sign_in_sessions ss JOIN accounts a ON a.id = ss.account_id`+principalJoins+`
		WHERE ss.uid = $1 AND a.uid = $2 AND ss.revoked_at IS NULL AND ss.expires_at > $3`,
		sessionUID, accountUID, dbTime{t}), &p)
	if errors.Is(err, sql.ErrNoRows) {
		return p, roster.Errorf(roster.KindUnauthorized, "the sign-in session has ended: sign in again")
	}
	return p, err
}

// SignInSession is a new sign-in session to store.
type SignInSession struct {
	UID         string
	AccountUID  string
	RefreshHash []byte
	ExpiresAt   time.Time
	RemoteAddr  string
	UserAgent   string
}

// OpenSession stores a new sign-in session for an account, ending its
// oldest sessions beyond its sessions limit.
func (s *Store) OpenSession(ctx context.Context, ss SignInSession) error {
	t := now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE uid = $1`+s.forUpdate(), ss.AccountUID).Scan(&accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.Errorf(roster.KindUnauthorized, "the account no longer exists")
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO sign_in_sessions (uid, account_id, refresh_hash, created_at, refreshed_at, expires_at, remote_addr, user_agent)
			VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`,
			ss.UID, accountID, ss.RefreshHash, dbTime{t}, dbTime{ss.ExpiresAt}, ss.RemoteAddr, ss.UserAgent); err != nil {
			return err
		}
		return enforceSessionsLimit(ctx, tx, accountID, t)
	})
}

// RotateRefresh replaces a session's refresh token and extends it. A token
// that was already rotated away is presented again only if it was copied:
// the session is then ended, for the thief and the owner alike.
func (s *Store) RotateRefresh(ctx context.Context, oldHash, newHash []byte, expires time.Time) (accountUID, sessionUID string, err error) {
	t := now()
	var reused bool
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `
			UPDATE sign_in_sessions SET previous_hash = refresh_hash, refresh_hash = $1, refreshed_at = $2, expires_at = $3
			WHERE refresh_hash = $4 AND revoked_at IS NULL AND expires_at > $2
				AND account_id IN (SELECT a.id FROM accounts a`+memberJoin+` WHERE `+activeAccount+`)
			RETURNING uid, (SELECT uid FROM accounts WHERE id = account_id)`,
			newHash, dbTime{t}, dbTime{expires}, oldHash).Scan(&sessionUID, &accountUID)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1
			WHERE previous_hash = $2 AND revoked_at IS NULL`, dbTime{t}, oldHash)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		reused = n > 0
		return err
	})
	switch {
	case err != nil:
		return "", "", err
	case reused:
		return "", "", roster.Errorf(roster.KindUnauthorized, "refresh token was already used: the session has been ended, sign in again")
	case sessionUID == "":
		return "", "", roster.Errorf(roster.KindUnauthorized, "invalid or expired refresh token: sign in again")
	}
	return accountUID, sessionUID, nil
}

// CloseSession ends a sign-in session.
func (s *Store) CloseSession(ctx context.Context, sessionUID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE uid = $2 AND revoked_at IS NULL`,
			dbTime{now()}, sessionUID)
		return err
	})
}

// SignInBlocked returns how long sign-in stays blocked for any of the
// throttling keys, or 0.
func (s *Store) SignInBlocked(ctx context.Context, t time.Time, keys ...string) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		var until dbTime
		err := s.queryRow(ctx, `SELECT blocked_until FROM sign_in_failures WHERE key = $1`, k).Scan(&until)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, err
		}
		wait = max(wait, until.Sub(t))
	}
	return wait, nil
}

// ThrottleKey is a key of sign_in_failures and whether it counts an address.
type ThrottleKey struct {
	Key        string
	PerAddress bool
}

// RecordSignInFailure counts a failed sign-in against each key and blocks
// the key for as long as roster.ThrottleDelay says. Counts that can no
// longer block anyone are deleted on the way, so that the table holds
// only the last window's failures however many addresses try.
func (s *Store) RecordSignInFailure(ctx context.Context, t time.Time, keys ...ThrottleKey) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE last_at < $1 AND blocked_until < $2`,
			dbTime{t.Add(-roster.ThrottleWindow)}, dbTime{t}); err != nil {
			return err
		}
		for _, k := range keys {
			var failures int
			err := tx.QueryRowContext(ctx, `
				INSERT INTO sign_in_failures (key, failures, last_at, blocked_until) VALUES ($1, 1, $2, $2)
				ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at, failures =
					CASE WHEN sign_in_failures.last_at < $3 THEN 1 ELSE sign_in_failures.failures + 1 END
				RETURNING failures`, k.Key, dbTime{t}, dbTime{t.Add(-roster.ThrottleWindow)}).Scan(&failures)
			if err != nil {
				return err
			}
			until := t.Add(roster.ThrottleDelay(failures, k.PerAddress))
			if _, err := tx.ExecContext(ctx, `UPDATE sign_in_failures SET blocked_until = $1 WHERE key = $2`,
				dbTime{until}, k.Key); err != nil {
				return err
			}
		}
		return nil
	})
}

// ClearSignInFailures forgets the failures of a key after a good sign-in.
func (s *Store) ClearSignInFailures(ctx context.Context, key string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE key = $1`, key)
		return err
	})
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
