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

// NewAccount is an account to create. Verification, when set, is the
// proof of email ownership to wait for; without it the email counts as
// verified (an identity provider or the operator vouched for it).
type NewAccount struct {
	Email, DisplayName string
	PasswordHash       string // "" for none
	Verification       *EmailVerification
}

// EmailVerification is a pending proof of email ownership: the hash of
// the token mailed to the address, and the mail that carries it.
type EmailVerification struct {
	TokenHash []byte
	ExpiresAt time.Time
	Mail      roster.Mail
}

// CreateAccount stores a new account that is nobody's staff yet and, in
// the same transaction, queues its verification mail.
func (s *Store) CreateAccount(ctx context.Context, n NewAccount) (roster.Account, error) {
	t := now()
	a := roster.Account{UID: roster.NewUID(t), Email: n.Email, DisplayName: n.DisplayName,
		HasPassword: n.PasswordHash != "", EmailVerified: n.Verification == nil, CreatedAt: t}
	var verified dbTime
	if a.EmailVerified {
		verified = dbTime{t}
	}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `
			INSERT INTO accounts (uid, email, email_key, display_name, password_hash, email_verified_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			a.UID, n.Email, roster.EmailKey(n.Email), n.DisplayName, nullString(n.PasswordHash), verified, dbTime{t}).Scan(&id)
		if isUniqueViolation(err) {
			return roster.Errorf(roster.KindInvalid, "email: an account with this email already exists: sign in instead")
		}
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, 0, "account.create", "account", a.UID, "email", "display_name"); err != nil || n.Verification == nil {
			return err
		}
		return insertVerification(ctx, tx, id, n.Email, *n.Verification, t)
	})
	return a, err
}

func insertVerification(ctx context.Context, tx *sql.Tx, accountID int64, email string, v EmailVerification, t time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_verifications (token_hash, account_id, email_key, expires_at)
		VALUES ($1, $2, $3, $4)`, v.TokenHash, accountID, roster.EmailKey(email), dbTime{v.ExpiresAt}); err != nil {
		return err
	}
	return insertMail(ctx, tx, v.Mail, t)
}

// VerifyEmail marks the email of the account that the token was mailed to
// as verified, if the account still has that email.
func (s *Store) VerifyEmail(ctx context.Context, tokenHash []byte) error {
	t := now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var accountID int64
		err := tx.QueryRowContext(ctx, `SELECT v.account_id FROM email_verifications v JOIN accounts a ON a.id = v.account_id
			WHERE v.token_hash = $1 AND v.expires_at > $2 AND a.email_key = v.email_key`, tokenHash, dbTime{t}).Scan(&accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.Errorf(roster.KindInvalid, "token: invalid or expired verification token: ask for a new one")
		}
		if err != nil {
			return err
		}
		var uid string
		err = tx.QueryRowContext(ctx, `UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, $1) WHERE id = $2 RETURNING uid`,
			dbTime{t}, accountID).Scan(&uid)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM email_verifications WHERE account_id = $1`, accountID); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.verify_email", "account", uid, "email_verified")
	})
}

// ResendEvery is how often an account may have its verification mail sent.
const ResendEvery = time.Minute

// ResendVerification queues a new verification mail for an account whose
// email is not verified yet.
func (s *Store) ResendVerification(ctx context.Context, accountUID string, v EmailVerification) error {
	t := now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		var email string
		var verified dbTime
		err := tx.QueryRowContext(ctx, `SELECT id, email, email_verified_at FROM accounts WHERE uid = $1`, accountUID).
			Scan(&id, &email, &verified)
		if err != nil {
			return err
		}
		if !verified.IsZero() {
			return roster.Errorf(roster.KindInvalid, "the email of this account is already verified")
		}
		// One mail a minute at most: anyone can sign up with any address,
		// and must not make Roster flood it. A new code replaces the old.
		var latest dbTime
		if err := tx.QueryRowContext(ctx, `SELECT MAX(expires_at) FROM email_verifications WHERE account_id = $1`, id).
			Scan(&latest); err != nil {
			return err
		}
		if wait := latest.Add(ResendEvery).Sub(v.ExpiresAt); wait > 0 {
			return roster.Errorf(roster.KindThrottled, "a verification mail was sent less than a minute ago: try again in %d seconds",
				int(wait.Seconds())+1)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_verifications WHERE account_id = $1`, id); err != nil {
			return err
		}
		v.Mail.To = email
		if err := insertVerification(ctx, tx, id, email, v, t); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.resend_verification", "account", accountUID, "email_verified")
	})
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
		if _, err = tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`,
			dbTime{now()}, id); err != nil {
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
	a, err := s.CreateAccount(ctx, NewAccount{Email: email, DisplayName: displayName})
	if roster.KindOf(err) == roster.KindInvalid {
		// Created meanwhile by a concurrent request.
		return s.AccountByEmail(ctx, email, displayName)
	}
	return a.UID, err
}

// claimEmail hands an unverified account to the verified owner of its email.
func (s *Store) claimEmail(ctx context.Context, uid string) error {
	t := now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `UPDATE accounts SET email_verified_at = $1, password_hash = NULL
			WHERE uid = $2 AND email_verified_at IS NULL RETURNING id`, dbTime{t}, uid).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // verified meanwhile
		}
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`,
			dbTime{t}, id); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.claim", "account", uid, "email_verified", "password")
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
			RETURNING (SELECT uid FROM accounts WHERE id = account_id)`, dbTime{now()}, sessionUID).Scan(&uid)
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

// ClaimSignIn counts a sign-in attempt against each key before its
// password is checked, and returns how long sign-in stays blocked, or 0
// to go ahead. Counting first, in one transaction, means a burst of
// concurrent guesses is counted guess by guess: none can slip in between
// another's check and its failure. A blocked attempt is not counted. A
// good sign-in then calls SignInSucceeded.
func (s *Store) ClaimSignIn(ctx context.Context, t time.Time, keys ...ThrottleKey) (wait time.Duration, err error) {
	// Counts that can no longer block anyone go on the way, so that the
	// table holds only the last window's failures however many addresses
	// try. Apart from the claim, and skipping rows that a claim holds, so
	// that the two never wait on each other.
	if err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE key IN (SELECT key FROM sign_in_failures
			WHERE last_at < $1 AND blocked_until < $2 LIMIT 100`+s.skipLocked()+`)`,
			dbTime{t.Add(-roster.ThrottleWindow)}, dbTime{t})
		return err
	}); err != nil {
		return 0, err
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		wait = 0
		for _, k := range keys {
			var failures int
			var until dbTime
			err := tx.QueryRowContext(ctx, `
				INSERT INTO sign_in_failures (key, failures, last_at, blocked_until) VALUES ($1, 1, $2, $4)
				ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at, failures = CASE
					WHEN sign_in_failures.blocked_until > excluded.last_at THEN sign_in_failures.failures
					WHEN sign_in_failures.last_at < $3 THEN 1
					ELSE sign_in_failures.failures + 1 END
				RETURNING failures, blocked_until`, k.Key, dbTime{t}, dbTime{t.Add(-roster.ThrottleWindow)}, dbTime{notBlocked}).
				Scan(&failures, &until)
			if err != nil {
				return err
			}
			if until.After(t) {
				wait = max(wait, until.Sub(t))
				continue
			}
			// Only a real block is written: concurrent attempts carry
			// slightly different clocks, and a block "until now" by one
			// would block another whose now is a moment earlier.
			if d := roster.ThrottleDelay(failures, k.PerAddress); d > 0 {
				if _, err := tx.ExecContext(ctx, `UPDATE sign_in_failures SET blocked_until = $1 WHERE key = $2`,
					dbTime{t.Add(d)}, k.Key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return wait, err
}

// SignInSucceeded forgets the attempts of the account's key and takes the
// good one back from the address's count.
func (s *Store) SignInSucceeded(ctx context.Context, account, address string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE key = $1`, account); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sign_in_failures SET failures = failures - 1 WHERE key = $1 AND failures > 0`, address)
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

// OwnClient is a client profile of the signed-in person: a client of some
// organization with the email the account has proved it owns.
type OwnClient struct {
	Org         roster.OrgID
	OrgUID      string
	CompanyName string
	Client      roster.Client
}

// maxOwnClients bounds the profiles of one person: one per organization.
const maxOwnClients = 100

// OwnClients returns the active client profiles of an account with a
// verified email; an unverified email has none, since anyone can sign up
// with any address.
func (s *Store) OwnClients(ctx context.Context, accountUID string) ([]OwnClient, error) {
	rows, err := s.query(ctx, `SELECT o.id, o.uid, o.company_name, `+qualified("c", listColumns)+`
		FROM accounts a JOIN clients c ON c.email_key = a.email_key JOIN organizations o ON o.id = c.org_id
		WHERE a.uid = $1 AND a.email_verified_at IS NOT NULL AND c.deactivated_at IS NULL
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
	err := s.queryRow(ctx, `SELECT c.org_id FROM accounts a JOIN clients c ON c.email_key = a.email_key
		WHERE a.uid = $1 AND c.uid = $2 AND a.email_verified_at IS NOT NULL AND c.deactivated_at IS NULL`,
		accountUID, clientUID).Scan(&org)
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
			WHERE account_id = $2 AND revoked_at IS NULL AND uid <> $3`, dbTime{now()}, id, keep); err != nil {
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
