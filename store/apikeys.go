package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"roster"
)

// APIKey is a stored key as authentication needs it.
type APIKey struct {
	SecretHash []byte
	LastUsedAt time.Time
	Principal  roster.Principal
}

func insertAPIKey(ctx context.Context, tx *sql.Tx, accountID int64, k NewAPIKey, t time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO api_keys (key_id, secret_hash, account_id, name, created_at) VALUES ($1, $2, $3, $4, $5)`,
		k.KeyID, k.SecretHash, accountID, k.Name, dbTime{t})
	return err
}

// APIKeyByID returns the unrevoked key with this id together with the staff
// member it acts for. The membership is joined on every call so that a
// removed staff member's keys stop working at once, on every process.
func (s *Store) APIKeyByID(ctx context.Context, keyID string) (APIKey, error) {
	var k APIKey
	var used dbTime
	err := s.queryRow(ctx, `
		SELECT k.secret_hash, k.last_used_at, a.uid, m.role, o.id, o.uid
		FROM api_keys k
		JOIN accounts a ON a.id = k.account_id
		JOIN memberships m ON m.account_id = a.id AND m.status = 'Active'
		JOIN organizations o ON o.id = m.org_id
		WHERE k.key_id = $1 AND k.revoked_at IS NULL`, keyID).
		Scan(&k.SecretHash, &used, &k.Principal.AccountUID, &k.Principal.Role, &k.Principal.OrgID, &k.Principal.OrgUID)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, roster.Errorf(roster.KindUnauthorized, "invalid API key")
	}
	k.LastUsedAt = used.Time
	return k, err
}

// TouchAPIKey records that a key was used.
func (s *Store) TouchAPIKey(ctx context.Context, keyID string, t time.Time) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE key_id = $2`, dbTime{t}, keyID)
		return err
	})
}
