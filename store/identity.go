package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// What an email token proves the mailbox for.
const (
	purposeSignUp = "sign_up"
	purposeReset  = "password_reset"
)

// StartSignUp records a sign-up waiting for its code and queues the mail
// that carries the code, within the mail limits. An address whose account
// never proved it owns it is not blocked by that account: completing the
// sign-up takes the account over.
func (s *Store) StartSignUp(ctx context.Context, su roster.SignUp, l roster.Limits) error {
	t := s.now()
	if err := s.forgetExpired(ctx, t); err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := mailLimits(ctx, tx, su.Email, su.ClientAddr, l, t); err != nil {
			return err
		}
		var verified bool
		err := tx.QueryRowContext(ctx, `SELECT email_verified_at IS NOT NULL FROM accounts WHERE email_key = $1`,
			roster.EmailKey(su.Email)).Scan(&verified)
		switch {
		case err == nil && verified:
			return insertMail(ctx, tx, su.ExistsMail, t)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if err := insertEmailToken(ctx, tx, purposeSignUp, su.Email, su.DisplayName, su.PasswordHash, nil, su.Token, t); err != nil {
			return err
		}
		return insertMail(ctx, tx, su.Mail, t)
	})
}

func insertEmailToken(ctx context.Context, tx *sql.Tx, purpose, email, name, passwordHash string, accountID *int64, tok roster.EmailToken, t time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO email_tokens
		(token_hash, purpose, email, email_key, account_id, display_name, password_hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		tok.Hash, purpose, email, roster.EmailKey(email), accountID, name, nullString(passwordHash), dbTime{t}, dbTime{tok.ExpiresAt})
	return err
}

// SignUpPassword returns the email of a pending sign-up and the hash of
// the password chosen with it, which whoever completes it must know.
func (s *Store) SignUpPassword(ctx context.Context, tokenHash []byte) (email, passwordHash string, err error) {
	err = s.queryRow(ctx, `SELECT email, password_hash FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3`,
		tokenHash, purposeSignUp, dbTime{s.now()}).Scan(&email, &passwordHash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", roster.ErrBadCode
	}
	return email, passwordHash, err
}

// CompleteSignUp uses a sign-up's code: it creates the account, verified,
// or takes over the unverified account that held the address (its
// password, name and sessions give way to the mailbox's owner). It returns
// the account's uid. The code works once.
func (s *Store) CompleteSignUp(ctx context.Context, tokenHash []byte) (accountUID string, err error) {
	t := s.now()
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var email, key, name, hash string
		err := tx.QueryRowContext(ctx, `DELETE FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3
			RETURNING email, email_key, display_name, password_hash`, tokenHash, purposeSignUp, dbTime{t}).
			Scan(&email, &key, &name, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrBadCode
		}
		if err != nil {
			return err
		}
		var id int64
		var verified bool
		err = tx.QueryRowContext(ctx, `SELECT id, uid, email_verified_at IS NOT NULL FROM accounts WHERE email_key = $1`+s.forUpdate(),
			key).Scan(&id, &accountUID, &verified)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			accountUID, err = insertAccount(ctx, tx, roster.NewAccount{Email: email, DisplayName: name, PasswordHash: hash, EmailVerified: true}, t)
			return err
		case err != nil:
			return err
		case verified:
			return roster.FieldErrorf("email", "this address already has an account: sign in, or reset your password")
		}
		return takeOver(ctx, tx, id, accountUID, t, "account.claim", "password_hash = $3, display_name = $4, email = $5",
			hash, name, email)
	})
	return accountUID, err
}

// takeOver hands an account to the owner of its mailbox, who just proved
// it with a code: the email counts as verified, set changes the account
// (its arguments follow $1, the time, and $2, the account's id), every
// sign-in session ends, and the codes still pending for the address are
// void. action names the change in the audit log.
func takeOver(ctx context.Context, tx *sql.Tx, id int64, uid string, t time.Time, action, set string, args ...any) error {
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, $1), `+set+` WHERE id = $2`,
		append([]any{dbTime{t}, id}, args...)...); err != nil {
		return err
	}
	if err := revokeSignInSessions(ctx, tx, id, t); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM email_tokens
		WHERE email_key = (SELECT email_key FROM accounts WHERE id = $1)`, id); err != nil {
		return err
	}
	return audit(ctx, tx, 0, action, "account", uid, "email_verified", "password", "sessions")
}

func revokeSignInSessions(ctx context.Context, tx *sql.Tx, accountID int64, t time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE sign_in_sessions SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`,
		dbTime{t}, accountID)
	if err != nil {
		return err
	}
	return authChanged(ctx, tx, accountID)
}

// StartPasswordReset queues a reset code for the account with the email,
// within the mail limits, which count whether or not there is one: the
// caller answers the same either way. A new code replaces the account's
// previous one.
func (s *Store) StartPasswordReset(ctx context.Context, pr roster.PasswordReset, l roster.Limits) error {
	t := s.now()
	if err := s.forgetExpired(ctx, t); err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := mailLimits(ctx, tx, pr.Email, pr.ClientAddr, l, t); err != nil {
			return err
		}
		var id int64
		var uid, email string
		err := tx.QueryRowContext(ctx, `SELECT id, uid, email FROM accounts WHERE email_key = $1`, roster.EmailKey(pr.Email)).
			Scan(&id, &uid, &email)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // nothing to reset; the limits counted
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM email_tokens WHERE account_id = $1 AND purpose = $2`, id, purposeReset); err != nil {
			return err
		}
		if err := insertEmailToken(ctx, tx, purposeReset, email, "", "", &id, pr.Token, t); err != nil {
			return err
		}
		if err := audit(ctx, tx, 0, "account.password_reset_request", "account", uid); err != nil {
			return err
		}
		pr.Mail.To = email // the address as the account has it
		return insertMail(ctx, tx, pr.Mail, t)
	})
}

// ResetAccount returns the email and display name of the account a reset
// code is for, so that the new password can be checked against them.
func (s *Store) ResetAccount(ctx context.Context, tokenHash []byte) (email, displayName string, err error) {
	err = s.queryRow(ctx, `SELECT a.email, a.display_name FROM email_tokens e JOIN accounts a ON a.id = e.account_id
		WHERE e.token_hash = $1 AND e.purpose = $2 AND e.expires_at > $3`, tokenHash, purposeReset, dbTime{s.now()}).
		Scan(&email, &displayName)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", roster.ErrBadCode
	}
	return email, displayName, err
}

// ResetPassword uses a reset code: the account gets the new password and
// a verified email (its owner read the code), and every sign-in session of
// it ends, so that whoever knew the old password is out. The code works
// once. A deactivated account is refused and left as it is.
func (s *Store) ResetPassword(ctx context.Context, tokenHash []byte, passwordHash string) (accountUID string, err error) {
	t := s.now()
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The code is deleted first, so that two confirmations at once
		// cannot both use it: the second finds no code, or waits for the
		// first's delete and then finds none. An error puts it back.
		var id int64
		var key string
		err := tx.QueryRowContext(ctx, `DELETE FROM email_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3
			RETURNING account_id, email_key`, tokenHash, purposeReset, dbTime{t}).Scan(&id, &key)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrBadCode
		}
		if err != nil {
			return err
		}
		var deactivated bool
		err = tx.QueryRowContext(ctx, `SELECT uid, deactivated_at IS NOT NULL FROM accounts WHERE id = $1 AND email_key = $2`+s.forUpdate(),
			id, key).Scan(&accountUID, &deactivated)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return roster.ErrBadCode
		case err != nil:
			return err
		case deactivated:
			return roster.ErrDeactivated
		}
		// The identity provider's tokens end too: a reset ends everything.
		return takeOver(ctx, tx, id, accountUID, t, "account.password_reset", "password_hash = $3, tokens_valid_after = $1", passwordHash)
	})
	return accountUID, err
}

// ResendVerification queues a new sign-up code for an account that has
// not verified its email yet (one made before codes had to come back with
// their password): using it verifies the account, with its own password.
func (s *Store) ResendVerification(ctx context.Context, accountUID, clientAddr string, tok roster.EmailToken, mail roster.Mail, l roster.Limits) error {
	t := s.now()
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var email, name string
		var hash sql.NullString
		var verified bool
		err := tx.QueryRowContext(ctx, `SELECT email, display_name, password_hash, email_verified_at IS NOT NULL
			FROM accounts WHERE uid = $1`, accountUID).Scan(&email, &name, &hash, &verified)
		switch {
		case err != nil:
			return err
		case verified:
			return roster.Errorf(roster.KindInvalid, "the email of this account is already verified")
		case !hash.Valid:
			return roster.Errorf(roster.KindInvalid, "this account has no password: ask for a password reset instead")
		}
		if err := mailLimits(ctx, tx, email, clientAddr, l, t); err != nil {
			return err
		}
		if err := insertEmailToken(ctx, tx, purposeSignUp, email, name, hash.String, nil, tok, t); err != nil {
			return err
		}
		mail.To = email
		if err := insertMail(ctx, tx, mail, t); err != nil {
			return err
		}
		return audit(ctx, tx, 0, "account.resend_verification", "account", accountUID, "email_verified")
	})
}
