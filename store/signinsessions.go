package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// principalColumns and principalJoins resolve an account to the principal
// it acts as: its organization and role when it is active staff, none
// otherwise. They are joined on every request, so that removing a staff
// member takes effect on the next request, on every process.
const (
	memberJoin       = ` LEFT JOIN memberships m ON m.account_id = a.id AND m.status = 'Active'`
	principalColumns = `a.uid, COALESCE(m.role, ''), COALESCE(m.scope, ''), COALESCE(o.id, 0), COALESCE(o.uid, ''), ` + activeAccount
	principalJoins   = memberJoin + ` LEFT JOIN organizations o ON o.id = m.org_id`
)

// scanPrincipal scans principalColumns, after the columns into before; an
// account that may no longer act is roster.ErrDeactivated.
func scanPrincipal(row scanner, p *roster.Principal, before ...any) error {
	var active bool
	if err := row.Scan(append(before, &p.AccountUID, &p.Role, &p.Scope, &p.OrgID, &p.OrgUID, &active)...); err != nil {
		return err
	}
	if !active {
		return roster.ErrDeactivated
	}
	return nil
}

// AccountPrincipal returns the principal of an account signed in through
// an external identity provider, with a token issued at issued: a force
// logout refuses the tokens issued before it.
func (s *Store) AccountPrincipal(ctx context.Context, accountUID string, issued time.Time) (roster.Principal, error) {
	var p roster.Principal
	err := scanPrincipal(s.queryRow(ctx, `SELECT `+principalColumns+` FROM accounts a`+principalJoins+`
		WHERE a.uid = $1 AND (a.tokens_valid_after IS NULL OR a.tokens_valid_after < $2)`, accountUID, dbTime{issued}), &p)
	if errors.Is(err, sql.ErrNoRows) {
		return p, roster.Errorf(roster.KindUnauthorized, "this sign-in has ended: sign in again")
	}
	return p, err
}

// SignInSessionPrincipal returns the principal of a Roster access token: its
// sign-in session must still be open. It comes from the auth cache when
// that holds the session (see authcache.go): every write that closes it,
// or changes the account's standing, drops it there, on every process.
func (s *Store) SignInSessionPrincipal(ctx context.Context, accountUID, sessionUID string, t time.Time) (roster.Principal, error) {
	now := s.now()
	entry := signInSessionEntry(sessionUID)
	if c, ok := s.caches.credential(entry, now); ok && c.key.Principal.AccountUID == accountUID && t.Before(c.expires) {
		return c.key.Principal, nil
	}
	ticket := s.caches.auth.Ticket()
	p := roster.Principal{SignInSessionUID: sessionUID}
	var accountID int64
	var expires dbTime
	err := scanPrincipal(s.queryRow(ctx, `SELECT a.id, ss.expires_at, `+principalColumns+`
		FROM sign_in_sessions ss JOIN accounts a ON a.id = ss.account_id`+principalJoins+`
		WHERE ss.uid = $1 AND a.uid = $2 AND ss.revoked_at IS NULL AND ss.expires_at > $3`,
		sessionUID, accountUID, dbTime{t}), &p, &accountID, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return p, roster.Errorf(roster.KindUnauthorized, "the sign-in session has ended: sign in again")
	}
	if err != nil {
		return p, err
	}
	s.caches.auth.Put(ticket, entry, accountID, credential{key: roster.APIKey{Principal: p}, expires: expires.Time}, now)
	return p, nil
}

// OpenSignInSession stores a new sign-in session for an account, ending its
// oldest sessions beyond its sessions limit.
func (s *Store) OpenSignInSession(ctx context.Context, ss roster.SignInSession) error {
	t := s.now()
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
		return enforceSignInSessionsLimit(ctx, tx, accountID, t)
	})
}

// RotateRefresh replaces a session's refresh token and extends it. A token
// that was already rotated away is presented again only if it was copied:
// the session is then ended, for the thief and the owner alike.
func (s *Store) RotateRefresh(ctx context.Context, oldHash, newHash []byte, expires time.Time) (accountUID, sessionUID string, err error) {
	t := s.now()
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
		var uid string
		var accountID int64
		err = tx.QueryRowContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1
			WHERE previous_hash = $2 AND revoked_at IS NULL RETURNING account_id, (SELECT uid FROM accounts WHERE id = account_id)`,
			dbTime{t}, oldHash).Scan(&accountID, &uid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := authChanged(ctx, tx, accountID); err != nil {
			return err
		}
		reused = true
		return audit(ctx, tx, 0, "account.refresh_reused", "account", uid, "sessions")
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

// CloseSignInSession ends a sign-in session.
func (s *Store) CloseSignInSession(ctx context.Context, sessionUID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var uid string
		var accountID int64
		err := tx.QueryRowContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE uid = $2 AND revoked_at IS NULL
			RETURNING account_id, (SELECT uid FROM accounts WHERE id = account_id)`, dbTime{s.now()}, sessionUID).Scan(&accountID, &uid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already ended
		}
		if err != nil {
			return err
		}
		if err := authChanged(ctx, tx, accountID); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.logout", "account", uid, "sessions")
	})
}
