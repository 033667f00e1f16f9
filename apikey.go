package roster

import "time"

// APIKeyInfo describes an API key without its secret.
type APIKeyInfo struct {
	KeyID      string
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}
