package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"roster"
)

// maxErrorLen bounds a stored delivery error; an SMTP server's reply can
// be long, and only its start says what went wrong.
const maxErrorLen = 1000

// insertMail queues m in tx, so that the mail leaves only if the change that
// causes it commits. Delivery is at least once: a sender that dies after the
// SMTP server accepted a message but before marking it sent will send it
// again after the lease. The Message-ID stays the same across attempts, so
// that a receiver can drop the duplicate.
func insertMail(ctx context.Context, tx *sql.Tx, m roster.Mail, t time.Time) error {
	return insertOrgMail(ctx, tx, m, mailOrigin{}, t)
}

// mailOrigin is what a queued mail is for: the organization that sent it,
// whose Owner sees it if it dies, its kind (roster.MailInvitation, …) and
// the object it tells of (an invitation's token), for a resend. The zero
// mailOrigin is mail for no organization.
type mailOrigin struct {
	org       roster.OrgID
	kind, ref string
}

// insertOrgMail is insertMail for mail an organization sends.
func insertOrgMail(ctx context.Context, tx *sql.Tx, m roster.Mail, o mailOrigin, t time.Time) error {
	var org any
	if o.org != 0 {
		org = o.org
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO outbox (message_id, recipient, subject, body, created_at, next_attempt_at, org_id, kind, ref)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)`,
		roster.NewUID(t)+messageIDDomain, m.To, m.Subject, m.Body, dbTime{t}, org, o.kind, nullString(o.ref))
	return err
}

// messageIDDomain ends every Message-ID; the uid before it names the
// message in the API.
const messageIDDomain = "@roster"

// EnqueueMail queues m for delivery, due at once.
func (s *Store) EnqueueMail(ctx context.Context, m roster.Mail) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return insertMail(ctx, tx, m, s.now())
	})
}

// outboxDue is what makes a message claimable at $1: unsent, alive, due, and not
// leased by a sender that may still be working on it.
const outboxDue = `sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)`

// ClaimMail leases the oldest message due at now until now+lease and counts
// the attempt; ok is false when none is due. While the lease holds no other
// claim returns the message, from this process or another.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration) (m roster.OutboxMessage, ok bool, err error) {
	// On PostgreSQL two claimers can pick the same id in the subquery; the
	// second waits for the first's row lock and then re-evaluates the outer
	// WHERE on the updated row, which is no longer due, so it updates
	// nothing. SKIP LOCKED makes it pick another row instead of coming back
	// empty. SQLite's single writer needs neither.
	skipLocked := ""
	if s.postgres {
		skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	query := `
		UPDATE outbox SET lease_until = $2, attempts = attempts + 1
		WHERE id = (SELECT id FROM outbox WHERE ` + outboxDue + ` ORDER BY next_attempt_at, id LIMIT 1` + skipLocked + `)
			AND ` + outboxDue + `
		RETURNING id, message_id, recipient, subject, body, attempts, last_error, created_at`
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var lastError sql.NullString
		var created dbTime
		err := s.txQueryRow(ctx, tx, query, dbTime{now}, dbTime{now.Add(lease)}).
			Scan(&m.ID, &m.MessageID, &m.To, &m.Subject, &m.Body, &m.Attempts, &lastError, &created)
		m.LastError, m.CreatedAt = lastError.String, created.Time
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return roster.OutboxMessage{}, false, nil
	}
	if err != nil {
		return roster.OutboxMessage{}, false, err
	}
	return m, true, nil
}

// MarkMailSent records that message id was delivered at now.
func (s *Store) MarkMailSent(ctx context.Context, id int64, now time.Time) error {
	return s.updateMail(ctx, `UPDATE outbox SET sent_at = $2, lease_until = NULL WHERE id = $1`, id, dbTime{now})
}

// MarkMailFailed records why an attempt to deliver message id failed, and
// makes it due again at next. On a message that another sender has sent
// meanwhile it changes nothing that matters: sent_at still excludes it.
func (s *Store) MarkMailFailed(ctx context.Context, id int64, next time.Time, errText string) error {
	return s.updateMail(ctx, `
		UPDATE outbox SET next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE id = $1`,
		id, dbTime{next}, truncateUTF8(errText, maxErrorLen))
}

func (s *Store) updateMail(ctx context.Context, query string, id int64, args ...any) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, query, append([]any{id}, args...)...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(err, fmt.Errorf("store: no outbox message %d", id))
		}
		return nil
	})
}

// truncateUTF8 cuts s to at most n bytes of valid UTF-8 without NUL:
// PostgreSQL refuses text that is not, or holds NUL, and a cut can split a
// character. It keeps what a remote server answered, which may be anything.
func truncateUTF8(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// PendingMail counts the messages not yet sent nor given up.
func (s *Store) PendingMail(ctx context.Context) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT count(*) FROM outbox WHERE `+outboxPending).Scan(&n)
	return n, err
}

// outboxPending is the messages a sender still means to deliver.
const outboxPending = `sent_at IS NULL AND dead_at IS NULL`

// UnsentMail lists up to 100 pending messages (neither sent nor dead),
// oldest first, with their attempts and last error: what is stuck and why.
func (s *Store) UnsentMail(ctx context.Context) ([]roster.OutboxMessage, error) {
	rows, err := s.query(ctx, `
		SELECT id, message_id, recipient, subject, body, attempts, last_error, created_at
		FROM outbox WHERE `+outboxPending+` ORDER BY id LIMIT 100`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ms []roster.OutboxMessage
	for rows.Next() {
		var m roster.OutboxMessage
		var lastError sql.NullString
		var created dbTime
		if err := rows.Scan(&m.ID, &m.MessageID, &m.To, &m.Subject, &m.Body, &m.Attempts, &lastError, &created); err != nil {
			return nil, err
		}
		m.LastError, m.CreatedAt = lastError.String, created.Time
		ms = append(ms, m)
	}
	return ms, rows.Err()
}

// MarkMailDead gives up on message id at now, for errText: no sender claims
// it again. The organization it was sent for, if any, sees it among its
// dead mail, and its audit log says so; mail for no organization is only
// logged, by the sender. Like MarkMailFailed, it changes nothing on a
// message another sender has sent meanwhile.
func (s *Store) MarkMailDead(ctx context.Context, id int64, now time.Time, errText string) error {
	ctx = roster.WithActor(ctx, roster.Actor{Kind: roster.ActorSystem})
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var messageID string
		var org sql.NullInt64
		err := s.txQueryRow(ctx, tx, `
			UPDATE outbox SET dead_at = $2, lease_until = NULL, last_error = $3 WHERE id = $1 AND sent_at IS NULL
			RETURNING message_id, org_id`, id, dbTime{now}, truncateUTF8(errText, maxErrorLen)).Scan(&messageID, &org)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // sent meanwhile
		}
		if err != nil || !org.Valid {
			return err
		}
		return audit(ctx, tx, roster.OrgID(org.Int64), "mail.dead", "mail", strings.TrimSuffix(messageID, messageIDDomain), "last_error")
	})
}

// PruneMail deletes up to max messages sent or given up on before t, and
// returns how many it deleted: the outbox keeps people's addresses and
// what was sent to them, and dead mail is listed to its organization,
// for a while only.
func (s *Store) PruneMail(ctx context.Context, t time.Time, max int) (int64, error) {
	return s.prune(ctx, "outbox", "sent_at", t, max)
}

// prune deletes up to max rows of table delivered (at sent) or given up
// on (dead_at) before t, and returns how many.
func (s *Store) prune(ctx context.Context, table, sent string, t time.Time, max int) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := s.txExec(ctx, tx, `DELETE FROM `+table+` WHERE id IN (
			SELECT id FROM `+table+` WHERE `+sent+` < $1
			UNION ALL SELECT id FROM `+table+` WHERE dead_at < $1 LIMIT $2)`, dbTime{t}, max)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// DeadMail lists the organization's dead mail, newest first, up to limit
// messages created before the one named beforeUID ("": from the newest).
func (s *Store) DeadMail(ctx context.Context, org roster.OrgID, beforeUID string, limit int) ([]roster.DeadMail, error) {
	// The keyset is the rowid, which only this organization's uids name:
	// another's uid, or an unknown one, is an empty page.
	rows, err := s.query(ctx, `
		SELECT message_id, kind, recipient, last_error, dead_at, created_at, ref FROM outbox
		WHERE org_id = $1 AND dead_at IS NOT NULL
			AND ($2 = '' OR id < (SELECT id FROM outbox WHERE org_id = $1 AND message_id = $3))
		ORDER BY id DESC LIMIT $4`, org, beforeUID, beforeUID+messageIDDomain, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []roster.DeadMail
	for rows.Next() {
		var d roster.DeadMail
		var lastError, ref sql.NullString
		var failed, created dbTime
		if err := rows.Scan(&d.UID, &d.Kind, &d.To, &lastError, &failed, &created, &ref); err != nil {
			return nil, err
		}
		d.UID = strings.TrimSuffix(d.UID, messageIDDomain)
		d.LastError, d.FailedAt, d.CreatedAt = lastError.String, failed.Time, created.Time
		if d.Kind == roster.MailInvitation {
			d.InviteToken = ref.String
		}
		list = append(list, d)
	}
	return list, rows.Err()
}

// OutboxStats is the state of the outbox, for monitoring.
type OutboxStats struct {
	Pending       int64     // messages neither sent nor dead
	OldestPending time.Time // when the oldest of them was queued; zero when none is
	Dead          int64     // messages given up on, of every organization and of none
}

// OutboxStats counts the outbox's pending and dead messages.
func (s *Store) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var st OutboxStats
	var oldest dbTime
	err := s.queryRow(ctx, `SELECT count(*), min(created_at) FROM outbox WHERE `+outboxPending).Scan(&st.Pending, &oldest)
	if err != nil {
		return st, err
	}
	st.OldestPending = oldest.Time
	err = s.queryRow(ctx, `SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL`).Scan(&st.Dead)
	return st, err
}
