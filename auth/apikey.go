// Package auth recognises callers: API keys now, and the parsing of the
// headers that carry credentials.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"roster"
)

// An API key is "rst_" + a 12-character public id + a 32-character base62
// secret (≈190 bits). The id finds the stored key; only a SHA-256 of the
// secret is stored, which suffices for a random secret of this length.
const (
	keyPrefix    = "rst_"
	keyIDLen     = 12
	keySecretLen = 32
)

// NewAPIKey returns a fresh key, its public id and the hash to store.
func NewAPIKey() (key, keyID string, secretHash []byte) {
	keyID, secret := roster.NewSecret(keyIDLen), roster.NewSecret(keySecretLen)
	sum := sha256.Sum256([]byte(secret))
	return keyPrefix + keyID + secret, keyID, sum[:]
}

// SplitAPIKey returns the id and secret of a well-formed key.
func SplitAPIKey(key string) (keyID, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, keyPrefix)
	if !found || len(rest) != keyIDLen+keySecretLen || !roster.ValidUID(rest) {
		return "", "", false
	}
	return rest[:keyIDLen], rest[keyIDLen:], true
}

// SecretMatches compares a presented secret with the stored hash in
// constant time.
func SecretMatches(secretHash []byte, secret string) bool {
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], secretHash) == 1
}

// Credential is what a request presented.
type Credential struct {
	APIKey string
	Bearer string
}

// FromRequest reads the credential in any of the seeds' forms:
// "API-KEY: <key>", "Authorization: API-KEY <key>", "Authorization:
// Bearer <token>" and a bare "Authorization: <key>". A bearer credential
// that starts with the keys' prefix is an API key: SCIM clients send their
// secret as a bearer token (RFC 7644 §2), and no token Roster or an
// identity provider issues starts with "rst_".
func FromRequest(r *http.Request) (Credential, bool) {
	if k := strings.TrimSpace(r.Header.Get("API-KEY")); k != "" {
		return Credential{APIKey: k}, true
	}
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return Credential{}, false
	}
	scheme, rest, found := strings.Cut(h, " ")
	switch {
	case found && strings.EqualFold(scheme, "Bearer"):
		if tok := strings.TrimSpace(rest); !strings.HasPrefix(tok, keyPrefix) {
			return Credential{Bearer: tok}, true
		}
		return Credential{APIKey: strings.TrimSpace(rest)}, true
	case found && strings.EqualFold(scheme, "API-KEY"):
		return Credential{APIKey: strings.TrimSpace(rest)}, true
	}
	return Credential{APIKey: h}, true
}
