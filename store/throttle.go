package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// notBlocked is the blocked_until of a key that has never been blocked.
var notBlocked = time.Unix(0, 0).UTC()

// SignInWait returns how long sign-in stays blocked for any of the keys,
// or 0. Only failures block (SignInFailed): a correct password is refused
// only while an earlier run of failures blocks, never because other
// attempts run at the same time.
func (s *Store) SignInWait(ctx context.Context, t time.Time, keys ...roster.ThrottleKey) (time.Duration, error) {
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
func (s *Store) SignInFailed(ctx context.Context, t time.Time, keys ...roster.ThrottleKey) error {
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
