package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"roster"
)

// DefaultAccessTTL is short because an access token cannot be revoked: it
// stays valid until it expires, and a refresh renews it.
const DefaultAccessTTL = 15 * time.Minute

const tokenIssuer = "roster"

// minTokenKey is HS256's key size: a shorter key weakens every token.
const minTokenKey = 32

// Tokens issues and verifies Roster's own access tokens: HS256 JWTs, since
// the server that issues them is the only one that verifies them.
type Tokens struct {
	key []byte
	ttl time.Duration
}

// NewTokens returns Tokens that sign with key (at least 32 random bytes; it
// panics on a shorter key, which is a configuration bug) and issue tokens
// valid for ttl, or DefaultAccessTTL if ttl is not positive.
func NewTokens(key []byte, ttl time.Duration) *Tokens {
	if len(key) < minTokenKey {
		panic(fmt.Sprintf("auth: token key of %d bytes; want at least %d", len(key), minTokenKey))
	}
	if ttl <= 0 {
		ttl = DefaultAccessTTL
	}
	return &Tokens{key: append([]byte(nil), key...), ttl: ttl}
}

// TTL is how long an issued token is valid.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Claims are what a valid access token says.
type Claims struct {
	AccountUID, SignInSessionUID string
	ExpiresAt                    time.Time
}

type tokenClaims struct {
	jwt.RegisteredClaims
	SignInSessionUID string `json:"sid"`
}

// Issue returns an access token for the account's session. Times in a JWT
// are whole seconds, so the token expires at most ttl after now.
func (t *Tokens) Issue(accountUID, sessionUID string, now time.Time) (string, error) {
	if accountUID == "" || sessionUID == "" {
		return "", errors.New("auth: issue: account and session uids are required")
	}
	c := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    tokenIssuer,
			Subject:   accountUID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		},
		SignInSessionUID: sessionUID,
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.key)
}

// Verify checks token's signature, issuer and expiry as of now.
func (t *Tokens) Verify(token string, now time.Time) (Claims, error) {
	var c tokenClaims
	p := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(tokenIssuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	_, err := p.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return Claims{}, roster.Errorf(roster.KindUnauthorized, "bearer token has expired: refresh it")
	case err != nil || c.Subject == "" || c.SignInSessionUID == "":
		return Claims{}, roster.Errorf(roster.KindUnauthorized, "invalid or expired bearer token")
	}
	return Claims{AccountUID: c.Subject, SignInSessionUID: c.SignInSessionUID, ExpiresAt: c.ExpiresAt.Time}, nil
}

// IsRosterToken reports whether token claims to be one of Roster's, without
// verifying it, so that the server can send a bearer token to Tokens.Verify
// or to the OIDC verifier. Either one still verifies it.
func IsRosterToken(token string) bool {
	var c jwt.RegisteredClaims
	_, _, err := jwt.NewParser().ParseUnverified(token, &c)
	return err == nil && c.Issuer == tokenIssuer
}

// A refresh token is "rrt_" + 43 base62 characters (≈256 bits). Only its
// SHA-256 is stored; like an API key's secret, it is random enough that a
// fast hash suffices.
const (
	refreshPrefix      = "rrt_"
	verificationPrefix = "rvt_"
	tokenSecretLen     = 43
)

// NewRefreshToken returns a fresh refresh token and the hash to store.
func NewRefreshToken() (token string, hash []byte) {
	return newToken(refreshPrefix)
}

// NewVerificationToken returns a fresh email verification token and the
// hash to store; its prefix tells it apart from a refresh token.
func NewVerificationToken() (token string, hash []byte) {
	return newToken(verificationPrefix)
}

func newToken(prefix string) (token string, hash []byte) {
	token = prefix + roster.NewSecret(tokenSecretLen)
	return token, HashToken(token)
}

// HashToken returns the hash under which a refresh or verification token
// is stored.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
