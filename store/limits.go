package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"roster"
)

// hit counts one event against key's limit r, in the transaction that
// does what the limit guards, so that a refused or failed attempt counts
// nothing: the counter moves only if the transaction commits. Windows are
// fixed, starting at a key's first event; a refusal is a KindThrottled
// error that says when the window ends. The count lives in the database,
// so every process shares it.
func hit(ctx context.Context, tx *sql.Tx, key string, r roster.Rate, t time.Time, what string) error {
	if r.Count == 0 {
		return nil
	}
	var hits int
	var reset dbTime
	err := tx.QueryRowContext(ctx, `
		INSERT INTO rate_limits (key, hits, reset_at) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN rate_limits.reset_at <= $3 THEN 1 ELSE rate_limits.hits + 1 END,
			reset_at = CASE WHEN rate_limits.reset_at <= $3 THEN excluded.reset_at ELSE rate_limits.reset_at END
		RETURNING hits, reset_at`, key, dbTime{t.Add(r.Per)}, dbTime{t}).Scan(&hits, &reset)
	if err != nil {
		return err
	}
	if hits > r.Count {
		return roster.Throttled(reset.Sub(t), "too many %s (at most %d per %s)", what, r.Count, r.Per)
	}
	return nil
}

// mailLimits counts a mail asked for anonymously (sign-up, verification,
// password reset) against the address it goes to and the client that asked.
// The address counts whether or not it has an account, so that a refusal
// does not tell which addresses have one.
func mailLimits(ctx context.Context, tx *sql.Tx, email, clientAddr string, l roster.Limits, t time.Time) error {
	if err := hit(ctx, tx, "mail:client:"+clientAddr, l.MailPerClient, t, "mails asked for from your address"); err != nil {
		return err
	}
	return hit(ctx, tx, "mail:to:"+roster.EmailKey(email), l.MailPerAddress, t, "mails to this email address")
}

// orgMailLimits counts an invitation an organization sends (kind names
// which) against its limit of them, and against its limit of mail to one
// address, the same as anonymous mail has: an organization may not mail one
// person over and over either.
func orgMailLimits(ctx context.Context, tx *sql.Tx, org roster.OrgID, kind, email string, l roster.Limits, t time.Time) error {
	limit, what := l.InvitationsPerOrg, "invitations from this organization"
	if kind == "link_invitations" {
		limit, what = l.LinkInvitationsPerOrg, "link invitations from this organization"
	}
	if err := hit(ctx, tx, orgKey(kind, org), limit, t, what); err != nil {
		return err
	}
	return hit(ctx, tx, orgKey("mail", org)+":to:"+roster.EmailKey(email), l.MailPerAddress, t,
		"mails from this organization to this email address")
}

// orgKey is an organization's key in rate_limits.
func orgKey(kind string, org roster.OrgID) string {
	return kind + ":org:" + strconv.FormatInt(int64(org), 10)
}

// forgetExpired deletes up to 100 counters and mailed codes that can no
// longer count or be used, so that the tables hold only live rows however
// many addresses come and go. It runs apart from the transactions that
// count, skipping the rows they hold, so that the two never wait on each
// other.
func (s *Store) forgetExpired(ctx context.Context, t time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM rate_limits WHERE key IN
			(SELECT key FROM rate_limits WHERE reset_at < $1 LIMIT 100`+s.skipLocked()+`)`, dbTime{t}); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM email_tokens WHERE token_hash IN
			(SELECT token_hash FROM email_tokens WHERE expires_at < $1 LIMIT 100`+s.skipLocked()+`)`, dbTime{t})
		return err
	})
}
