// Package keyring seals the secrets Roster keeps in its database (the keys
// that sign access tokens and photo URLs) with keys that live outside it, so
// that a copy of the database or of a backup does not let anyone forge
// them.
//
// A sealed value is text: "v1:<key id>:<base64url of nonce, ciphertext and
// tag>", AES-256-GCM. The key id names the key that sealed it, so that a
// ring of several keys can open values sealed under any of them while it
// seals under the first: that is how a key is rotated.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the length of a key in bytes: AES-256.
const KeySize = 32

const version = "v1"

var (
	// ErrNotSealed: the value is not in the sealed form at all, as values
	// stored before sealing existed are not.
	ErrNotSealed = errors.New("not a sealed value")
	// ErrUnknownKey: the value was sealed under a key that is not in the
	// ring.
	ErrUnknownKey = errors.New("sealed under a key that is not in the keyring")
	// ErrTampered: the value is malformed or fails authentication.
	ErrTampered = errors.New("sealed value is corrupt or was altered")
)

// Ring holds one or more keys; the first seals, all open.
type Ring struct {
	keys []key
}

type key struct {
	id   string
	aead cipher.AEAD
}

// NewKey returns a new random key in the form Parse takes.
func NewKey() string {
	raw := make([]byte, KeySize)
	rand.Read(raw) // never fails: it crashes the program rather than return weak bytes
	return base64.StdEncoding.EncodeToString(raw)
}

// Parse reads a comma-separated list of keys, each the standard base64 of
// KeySize random bytes (as NewKey and `openssl rand -base64 32` write them),
// the sealing key first. Its errors never quote a key.
func Parse(s string) (*Ring, error) {
	r := &Ring{}
	seen := map[string]int{}
	for i, field := range strings.Split(s, ",") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(field))
		if err != nil || len(raw) != KeySize {
			return nil, fmt.Errorf("key %d of the list is not the base64 of %d bytes", i+1, KeySize)
		}
		k, err := newKey(raw)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[k.id]; dup {
			return nil, fmt.Errorf("key %d of the list repeats key %d", i+1, j)
		}
		seen[k.id] = i + 1
		r.keys = append(r.keys, k)
	}
	return r, nil
}

// newKey derives the cipher key and the public key id from raw as separate
// HKDF outputs, so that the id, which is stored beside every value, says
// nothing about the cipher key.
func newKey(raw []byte) (key, error) {
	cipherKey, err := hkdf.Expand(sha256.New, raw, "roster keyring v1 cipher", KeySize)
	if err != nil {
		return key{}, err
	}
	id, err := hkdf.Expand(sha256.New, raw, "roster keyring v1 key id", 6)
	if err != nil {
		return key{}, err
	}
	block, err := aes.NewCipher(cipherKey)
	if err != nil {
		return key{}, err
	}
	// Random nonces are safe here: a key seals a handful of values, far
	// below GCM's 2^32 messages per key.
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return key{}, err
	}
	return key{id: base64.RawURLEncoding.EncodeToString(id), aead: aead}, nil
}

// ID is the id of the sealing key, which is safe to log.
func (r *Ring) ID() string { return r.keys[0].id }

// Seal seals plain under the ring's first key. name is authenticated with
// it: a value opens only under the name it was sealed for, so that sealed
// values cannot be swapped between settings.
func (r *Ring) Seal(name, plain string) string {
	k := r.keys[0]
	sealed := k.aead.Seal(nil, nil, []byte(plain), []byte(name))
	return version + ":" + k.id + ":" + base64.RawURLEncoding.EncodeToString(sealed)
}

// Open returns the plain text of a value Seal returned for name, and
// whether it was sealed under the ring's first key (if not, the caller
// should seal it again). The error is ErrNotSealed, ErrUnknownKey (wrapped
// with the key id) or ErrTampered.
func (r *Ring) Open(name, sealed string) (plain string, current bool, err error) {
	ver, rest, found := strings.Cut(sealed, ":")
	if !found {
		return "", false, ErrNotSealed
	}
	id, data, found := strings.Cut(rest, ":")
	if ver != version || !found {
		return "", false, ErrTampered
	}
	for i, k := range r.keys {
		if k.id != id {
			continue
		}
		ciphertext, err := base64.RawURLEncoding.DecodeString(data)
		if err != nil {
			return "", false, ErrTampered
		}
		p, err := k.aead.Open(nil, nil, ciphertext, []byte(name))
		if err != nil {
			return "", false, ErrTampered
		}
		return string(p), i == 0, nil
	}
	return "", false, fmt.Errorf("%w: key id %s", ErrUnknownKey, id)
}
