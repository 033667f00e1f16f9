package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

func insertAPIKey(ctx context.Context, tx *sql.Tx, accountID int64, org roster.OrgID, k roster.NewAPIKey, t time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO api_keys (key_id, secret_hash, account_id, org_id, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.KeyID, k.SecretHash, accountID, org, k.Name, dbTime{t})
	return err
}

// APIKeyByID returns the unrevoked key with this id together with the staff
// member it acts for, from the auth cache when it holds the key (see
// authcache.go): every write that revokes the key, or removes or
// deactivates the member, drops it there, on every process.
func (s *Store) APIKeyByID(ctx context.Context, keyID string) (roster.APIKey, error) {
	now := s.now()
	entry := apiKeyEntry(keyID)
	if c, ok := s.caches.credential(entry, now); ok {
		return c.key, nil
	}
	ticket := s.caches.auth.Ticket()
	var k roster.APIKey
	var accountID int64
	var used dbTime
	err := s.queryRow(ctx, `
		SELECT k.secret_hash, k.last_used_at, a.id, a.uid, m.role, m.scope, o.id, o.uid
		FROM api_keys k
		JOIN accounts a ON a.id = k.account_id
		JOIN memberships m ON m.account_id = a.id AND m.org_id = k.org_id AND m.status = 'Active'
		JOIN organizations o ON o.id = m.org_id
		WHERE k.key_id = $1 AND k.revoked_at IS NULL AND a.deactivated_at IS NULL`, keyID).
		Scan(&k.SecretHash, &used, &accountID, &k.Principal.AccountUID, &k.Principal.Role, &k.Principal.Scope, &k.Principal.OrgID, &k.Principal.OrgUID)
	if errors.Is(err, sql.ErrNoRows) {
		return roster.APIKey{}, roster.Errorf(roster.KindUnauthorized, "invalid API key")
	}
	if err != nil {
		return roster.APIKey{}, err
	}
	k.LastUsedAt = used.Time
	s.caches.auth.Put(ticket, entry, accountID, credential{key: k}, now)
	return k, nil
}

// TouchAPIKey records that a key was used, in the cache too, so that the
// caller's once-a-minute check sees it.
func (s *Store) TouchAPIKey(ctx context.Context, keyID string, t time.Time) error {
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE key_id = $2`, dbTime{t}, keyID)
		return err
	})
	if err == nil {
		s.caches.auth.Update(apiKeyEntry(keyID), func(c *credential) { c.key.LastUsedAt = t })
	}
	return err
}

// CreateAPIKey stores a new key for a staff member of org, which opens
// that organization only. The membership is read in the transaction, so
// a member removed meanwhile gets no key.
func (s *Store) CreateAPIKey(ctx context.Context, org roster.OrgID, accountUID string, k roster.NewAPIKey) (roster.APIKeyInfo, error) {
	t := s.now()
	info := roster.APIKeyInfo{KeyID: k.KeyID, Name: k.Name, CreatedAt: t}
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var accountID, active int64
		err := tx.QueryRowContext(ctx, `SELECT a.id, (SELECT COUNT(*) FROM api_keys k WHERE k.account_id = a.id AND k.revoked_at IS NULL)
			FROM accounts a JOIN memberships m ON m.account_id = a.id AND m.org_id = $2
			WHERE a.uid = $1`+s.forUpdate(), accountUID, org).Scan(&accountID, &active)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.Errorf(roster.KindForbidden, "this account is not staff of the organization")
		}
		if err != nil {
			return err
		}
		if active >= roster.MaxAPIKeys {
			return roster.Errorf(roster.KindInvalid, "this account already has %d API keys: revoke one first", roster.MaxAPIKeys)
		}
		if err := insertAPIKey(ctx, tx, accountID, org, k, t); err != nil {
			return err
		}
		return audit(ctx, tx, org, "api_key.create", "api_key", k.KeyID, "name")
	})
	return info, err
}

// APIKeys lists a staff member's unrevoked keys, newest first.
func (s *Store) APIKeys(ctx context.Context, accountUID string) ([]roster.APIKeyInfo, error) {
	rows, err := s.query(ctx, `
		SELECT k.key_id, k.name, k.created_at, k.last_used_at FROM api_keys k JOIN accounts a ON a.id = k.account_id
		WHERE a.uid = $1 AND k.revoked_at IS NULL ORDER BY k.id DESC LIMIT $2`, accountUID, roster.MaxAPIKeys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []roster.APIKeyInfo
	for rows.Next() {
		var k roster.APIKeyInfo
		var created, used dbTime
		if err := rows.Scan(&k.KeyID, &k.Name, &created, &used); err != nil {
			return nil, err
		}
		k.CreatedAt, k.LastUsedAt = created.Time, used.ptr()
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// RevokeAPIKey revokes one of a staff member's keys.
func (s *Store) RevokeAPIKey(ctx context.Context, accountUID, keyID string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var org sql.NullInt64
		var accountID int64
		err := tx.QueryRowContext(ctx, `UPDATE api_keys SET revoked_at = $1
			WHERE key_id = $2 AND revoked_at IS NULL AND account_id = (SELECT id FROM accounts WHERE uid = $3)
			RETURNING org_id, account_id`, dbTime{s.now()}, keyID, accountUID).Scan(&org, &accountID)
		if errors.Is(err, sql.ErrNoRows) {
			return roster.Errorf(roster.KindNotFound, "API key not found")
		}
		if err != nil {
			return err
		}
		if err := authChanged(ctx, tx, accountID); err != nil {
			return err
		}
		if err := s.disableWebhooksOfRevokedKeys(ctx, tx, accountID); err != nil {
			return err
		}
		return audit(ctx, tx, roster.OrgID(org.Int64), "api_key.revoke", "api_key", keyID)
	})
}
