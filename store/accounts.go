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

// NewAccount is an account to create.
type NewAccount struct {
	Email, DisplayName string
	PasswordHash       string // "" for none
	// EmailVerified says the email is proven: by a code mailed to it, an
	// identity provider or the operator. An unverified account can sign
	// in but not act on its email: see invitations or link profiles.
	EmailVerified bool
}

// CreateAccount stores a new account that is nobody's staff yet.
func (s *Store) CreateAccount(ctx context.Context, n NewAccount) (uid string, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		uid, err = insertAccount(ctx, tx, n, s.now())
		return err
	})
	return uid, err
}

func insertAccount(ctx context.Context, tx *sql.Tx, n NewAccount, t time.Time) (string, error) {
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
		if err := revokeSessions(ctx, tx, id, s.now()); err != nil {
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
	uid, err = s.CreateAccount(ctx, NewAccount{Email: email, DisplayName: displayName, EmailVerified: true})
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
		return enforceSessionsLimit(ctx, tx, accountID, t)
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
		err = tx.QueryRowContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1
			WHERE previous_hash = $2 AND revoked_at IS NULL RETURNING (SELECT uid FROM accounts WHERE id = account_id)`,
			dbTime{t}, oldHash).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
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

// CloseSession ends a sign-in session.
func (s *Store) CloseSession(ctx context.Context, sessionUID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var uid string
		err := tx.QueryRowContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE uid = $2 AND revoked_at IS NULL
			RETURNING (SELECT uid FROM accounts WHERE id = account_id)`, dbTime{s.now()}, sessionUID).Scan(&uid)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already ended
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.logout", "account", uid, "sessions")
	})
}

// notBlocked is the blocked_until of a key that has never been blocked.
var notBlocked = time.Unix(0, 0).UTC()

// ThrottleKey is a key of sign_in_failures and whether it counts an address.
type ThrottleKey struct {
	Key        string
	PerAddress bool
}

// SignInWait returns how long sign-in stays blocked for any of the keys,
// or 0. Only failures block (SignInFailed): a correct password is refused
// only while an earlier run of failures blocks, never because other
// attempts run at the same time.
func (s *Store) SignInWait(ctx context.Context, t time.Time, keys ...ThrottleKey) (time.Duration, error) {
	var wait time.Duration
	for _, k := range keys {
		var until dbTime
		err := s.queryRow(ctx, `SELECT blocked_until FROM sign_in_failures WHERE key = $1`, k.Key).Scan(&until)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		wait = max(wait, until.Sub(t))
	}
	return wait, nil
}

// SignInFailed counts a failed sign-in against each key, and blocks the
// key for roster.ThrottleDelay once its recent failures call for it. The
// count and the block are one atomic step per key: concurrent failures
// are each counted, and the last of them sets the longest block.
func (s *Store) SignInFailed(ctx context.Context, t time.Time, keys ...ThrottleKey) error {
	// Counts that can no longer block anyone go on the way, so that the
	// table holds only the last window's failures however many addresses
	// try. Apart from the count, and skipping rows that a count holds, so
	// that the two never wait on each other.
	if err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE key IN (SELECT key FROM sign_in_failures
			WHERE last_at < $1 AND blocked_until < $2 LIMIT 100`+s.skipLocked()+`)`,
			dbTime{t.Add(-roster.ThrottleWindow)}, dbTime{t})
		return err
	}); err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, k := range keys {
			var failures int
			err := tx.QueryRowContext(ctx, `
				INSERT INTO sign_in_failures (key, failures, last_at, blocked_until) VALUES ($1, 1, $2, $4)
				ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at, failures = CASE
					WHEN sign_in_failures.last_at < $3 THEN 1
					ELSE sign_in_failures.failures + 1 END
				RETURNING failures`, k.Key, dbTime{t}, dbTime{t.Add(-roster.ThrottleWindow)}, dbTime{notBlocked}).
				Scan(&failures)
			if err != nil {
				return err
			}
			if d := roster.ThrottleDelay(failures, k.PerAddress); d > 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE sign_in_failures SET blocked_until = $1
					WHERE key = $2 AND blocked_until < $1`, dbTime{t.Add(d)}, k.Key); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// SignInSucceeded forgets the failures counted against the account.
func (s *Store) SignInSucceeded(ctx context.Context, account string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE key = $1`, account)
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

// OwnClient is a client profile of the signed-in person: a client that
// its organization asked the person to link to their account, and the
// person accepted (see RespondLink).
type OwnClient struct {
	Org         roster.OrgID
	OrgUID      string
	CompanyName string
	Client      roster.Client
}

// maxOwnClients bounds the profiles of one person: one per organization.
const maxOwnClients = 100

// OwnClients returns the active client profiles linked to an account.
func (s *Store) OwnClients(ctx context.Context, accountUID string) ([]OwnClient, error) {
	rows, err := s.query(ctx, `SELECT o.id, o.uid, o.company_name, `+qualified("c", listColumns)+`
		FROM accounts a JOIN client_links l ON l.account_id = a.id JOIN clients c ON c.id = l.client_id
		JOIN organizations o ON o.id = c.org_id
		WHERE a.uid = $1 AND c.deactivated_at IS NULL
		ORDER BY o.id LIMIT $2`, accountUID, maxOwnClients)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var own []OwnClient
	for rows.Next() {
		var oc OwnClient
		if err := scanClient(rows, &oc.Client, &oc.Org, &oc.OrgUID, &oc.CompanyName); err != nil {
			return nil, err
		}
		own = append(own, oc)
	}
	return own, rows.Err()
}

// OwnClientOrg returns the organization of one of the account's own
// client profiles, or roster.ErrClientNotFound.
func (s *Store) OwnClientOrg(ctx context.Context, accountUID, clientUID string) (roster.OrgID, error) {
	var org roster.OrgID
	err := s.queryRow(ctx, `SELECT c.org_id FROM accounts a JOIN client_links l ON l.account_id = a.id JOIN clients c ON c.id = l.client_id
		WHERE a.uid = $1 AND c.uid = $2 AND c.deactivated_at IS NULL`, accountUID, clientUID).Scan(&org)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, roster.ErrClientNotFound
	}
	return org, err
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
		if _, err = tx.ExecContext(ctx, `DELETE FROM accounts WHERE id = $1`, id); err != nil {
			return err
		}
		return audit(ctx, tx, roster.OrgID(org.Int64), "account.delete", "account", accountUID)
	})
}
