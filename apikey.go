package roster

import (
	"time"
	"unicode/utf8"
)

// APIKeyInfo describes an API key without its secret.
type APIKeyInfo struct {
	KeyID      string
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// NewAPIKey is an API key to store: its public id and the hash of its secret.
type NewAPIKey struct {
	KeyID      string
	SecretHash []byte
	Name       string
}

// APIKey is a stored key as authentication needs it.
type APIKey struct {
	SecretHash []byte
	LastUsedAt time.Time
	Principal  Principal
}

// MaxAPIKeys bounds the unrevoked keys of one account, so that its key
// list is short enough to return whole.
const MaxAPIKeys = 100

// CheckAPIKeyName refuses a key's name that is not valid UTF-8 of at most
// 100 characters.
func CheckAPIKeyName(name string) error {
	if utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return Errorf(KindInvalid, "name: must be valid UTF-8 of at most 100 characters")
	}
	return nil
}
