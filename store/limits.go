package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
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
	count, reset, err := hits(ctx, tx, key, r, t, 1)
	if err != nil {
		return err
	}
	if count > r.Count {
		return roster.Throttled(reset.Sub(t), "too many %s (at most %d per %s)", what, r.Count, r.Per)
	}
	return nil
}

// hits counts n events against key's window of r, and returns the
// window's count with them and its end.
func hits(ctx context.Context, tx *sql.Tx, key string, r roster.Rate, t time.Time, n int) (int, dbTime, error) {
	var count int
	var reset dbTime
	err := tx.QueryRowContext(ctx, `
		INSERT INTO rate_limits (key, hits, reset_at) VALUES ($1, $4, $2)
		ON CONFLICT (key) DO UPDATE SET
			hits = CASE WHEN rate_limits.reset_at <= $3 THEN excluded.hits ELSE rate_limits.hits + excluded.hits END,
			reset_at = CASE WHEN rate_limits.reset_at <= $3 THEN excluded.reset_at ELSE rate_limits.reset_at END
		RETURNING hits, reset_at`, key, dbTime{t.Add(r.Per)}, dbTime{t}, n).Scan(&count, &reset)
	return count, reset, err
}

// ClaimLinkRoom returns how many more link invitations the organization
// may send now within l, and how long until its window ends; an import
// with claim links checks its new clients against it while it reads them,
// to refuse early rather than after writing them all. Without a limit
// the room is unbounded.
func (s *Store) ClaimLinkRoom(ctx context.Context, org roster.OrgID, l roster.Limits) (left int, retry time.Duration, err error) {
	r, t := l.LinkInvitationsPerOrg, s.now()
	if r.Count == 0 {
		return math.MaxInt, 0, nil
	}
	var count int
	var reset dbTime
	err = s.queryRow(ctx, `SELECT hits, reset_at FROM rate_limits WHERE key = $1`, orgKey(linkInvitationsKind, org)).
		Scan(&count, &reset)
	switch {
	case errors.Is(err, sql.ErrNoRows) || err == nil && !reset.After(t):
		return r.Count, r.Per, nil
	case err != nil:
		return 0, 0, err
	}
	return max(r.Count-count, 0), reset.Sub(t), nil
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
	if kind == linkInvitationsKind {
		limit, what = l.LinkInvitationsPerOrg, "link invitations from this organization"
	}
	if err := hit(ctx, tx, orgKey(kind, org), limit, t, what); err != nil {
		return err
	}
	return addressLimit(ctx, tx, org, email, "this email address", l, t)
}

// addressLimit counts a mail the organization sends to email against its
// limit of mail to one address; to names the address in a refusal.
func addressLimit(ctx context.Context, tx *sql.Tx, org roster.OrgID, email, to string, l roster.Limits, t time.Time) error {
	return hit(ctx, tx, orgKey("mail", org)+":to:"+roster.EmailKey(email), l.MailPerAddress, t,
		"mails from this organization to "+to)
}

// linkInvitationsKind names the link invitations an organization sends
// in its key in rate_limits.
const linkInvitationsKind = "link_invitations"

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
