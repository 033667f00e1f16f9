package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"roster"
	"roster/clocktest"
)

const (
	testIssuer   = "https://securetoken.google.com/roster-test"
	testAudience = "roster-test"
)

// jwks serves a key set that a test can change, and counts the fetches.
type jwks struct {
	mu      sync.Mutex
	keys    []jose.JSONWebKey
	status  int
	fetches atomic.Int32
}

func (j *jwks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	j.fetches.Add(1)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.status != 0 {
		http.Error(w, "down", j.status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: j.keys})
}

func (j *jwks) serve(k signingKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.keys = append(j.keys, jose.JSONWebKey{Key: &k.priv.PublicKey, KeyID: k.kid, Algorithm: "RS256", Use: "sig"})
}

// setStatus makes the server fail with status, or serve the keys if 0.
func (j *jwks) setStatus(status int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status = status
}

type signingKey struct {
	kid  string
	priv *rsa.PrivateKey
}

func newSigningKey(t *testing.T, kid string) signingKey {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid, priv}
}

func (k signingKey) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// firebaseClaims are those of a valid Firebase ID token.
func firebaseClaims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":            testIssuer,
		"aud":            testAudience,
		"sub":            "fb-user-1",
		"iat":            now.Add(-time.Minute).Unix(),
		"exp":            now.Add(time.Hour).Unix(),
		"email":          "ada@example.com",
		"email_verified": true,
		"name":           "Ada Lovelace",
	}
}

func newTestOIDC(t *testing.T, keys ...signingKey) (*OIDC, *jwks) {
	t.Helper()
	j := &jwks{}
	for _, k := range keys {
		j.serve(k)
	}
	srv := httptest.NewServer(j)
	t.Cleanup(srv.Close)
	c := OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: srv.URL}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return NewOIDC(context.Background(), c), j
}

func TestOIDCValid(t *testing.T) {
	k := newSigningKey(t, "k1")
	o, _ := newTestOIDC(t, k)
	claims := firebaseClaims()
	want := Identity{Subject: "fb-user-1", Email: "ada@example.com", Name: "Ada Lovelace",
		IssuedAt: time.Unix(claims["iat"].(int64), 0)}
	id, err := o.Verify(context.Background(), k.sign(t, claims))
	if err != nil || !sameIdentity(id, want) {
		t.Fatalf("Verify = %+v, %v; want %+v", id, err, want)
	}
	// No name, and email_verified the string "true": still valid.
	c := claims
	delete(c, "name")
	want.Name = ""
	c["email_verified"] = "true"
	if id, err = o.Verify(context.Background(), k.sign(t, c)); err != nil || !sameIdentity(id, want) {
		t.Fatalf("email_verified \"true\": %+v, %v; want %+v", id, err, want)
	}
}

// sameIdentity compares identities, their times as instants.
func sameIdentity(a, b Identity) bool {
	return a.Subject == b.Subject && a.Email == b.Email && a.Name == b.Name && a.IssuedAt.Equal(b.IssuedAt)
}

func TestOIDCRejects(t *testing.T) {
	k := newSigningKey(t, "k1")
	o, _ := newTestOIDC(t, k)
	with := func(key string, v any) map[string]any {
		c := firebaseClaims()
		if v == nil {
			delete(c, key)
		} else {
			c[key] = v
		}
		return c
	}
	unknown := newSigningKey(t, "k2")
	impostor := signingKey{"k1", unknown.priv} // a known kid, the wrong key
	tests := []struct {
		name  string
		token string
		msg   string
	}{
		{"wrong audience", k.sign(t, with("aud", "other-project")), "invalid bearer token"},
		{"wrong issuer", k.sign(t, with("iss", "https://securetoken.google.com/other-project")), "invalid bearer token"},
		{"expired", k.sign(t, with("exp", time.Now().Add(-time.Minute).Unix())), "invalid bearer token: token is expired"},
		{"unknown key", unknown.sign(t, firebaseClaims()), "invalid bearer token"},
		{"wrong key for its kid", impostor.sign(t, firebaseClaims()), "invalid bearer token"},
		{"no email", k.sign(t, with("email", nil)), "invalid bearer token: no email"},
		{"empty email", k.sign(t, with("email", "")), "invalid bearer token: no email"},
		{"no subject", k.sign(t, with("sub", nil)), "invalid bearer token: no subject"},
		{"email not verified", k.sign(t, with("email_verified", false)), "the identity provider has not verified this email"},
		{"email_verified \"false\"", k.sign(t, with("email_verified", "false")), "the identity provider has not verified this email"},
		{"email_verified absent", k.sign(t, with("email_verified", nil)), "the identity provider has not verified this email"},
		{"garbage", "not.a.token", "invalid bearer token"},
	}
	for _, tt := range tests {
		id, err := o.Verify(context.Background(), tt.token)
		if err == nil || roster.KindOf(err) != roster.KindUnauthorized || err.Error() != tt.msg || id != (Identity{}) {
			t.Errorf("%s: %+v, %v; want unauthorized %q", tt.name, id, err, tt.msg)
		}
	}
}

func TestOIDCKeyRotation(t *testing.T) {
	k1, k2 := newSigningKey(t, "k1"), newSigningKey(t, "k2")
	o, j := newTestOIDC(t, k1)
	ctx := context.Background()
	for i := range 2 {
		if _, err := o.Verify(ctx, k1.sign(t, firebaseClaims())); err != nil {
			t.Fatalf("k1 token %d: %v", i, err)
		}
	}
	if n := j.fetches.Load(); n != 1 {
		t.Fatalf("two tokens with one kid made %d fetches; want 1", n)
	}
	// Before the provider publishes k2, its tokens fail, after a fetch (a
	// try right after the first fetch may share its result; see below).
	clocktest.Eventually(t, "a fetch for the unknown kid", func() bool {
		if _, err := o.Verify(ctx, k2.sign(t, firebaseClaims())); err == nil {
			t.Fatal("a token signed with an unpublished key verified")
		}
		return j.fetches.Load() >= 2
	})
	if n := j.fetches.Load(); n != 2 {
		t.Fatalf("an unknown kid made %d fetches in all; want 2", n)
	}
	j.serve(k2)
	// go-oidc signals the end of a fetch a moment before it lets a new one
	// start, so a request right after one may still get the old keys: the
	// new key is seen on a later try, as a provider's clients see it.
	var id Identity
	clocktest.Eventually(t, "the rotated key to verify", func() bool {
		var err error
		id, err = o.Verify(ctx, k2.sign(t, firebaseClaims()))
		return err == nil
	})
	if id.Subject != "fb-user-1" {
		t.Fatalf("k2 token after rotation: %+v", id)
	}
	fetched := j.fetches.Load()
	if fetched < 3 {
		t.Fatalf("%d fetches after rotation; want at least 3", fetched)
	}
	// Both keys are cached now.
	for _, k := range []signingKey{k1, k2} {
		if _, err := o.Verify(ctx, k.sign(t, firebaseClaims())); err != nil {
			t.Fatalf("%s token: %v", k.kid, err)
		}
	}
	if n := j.fetches.Load(); n != fetched {
		t.Fatalf("%d fetches with both keys cached; want %d", n, fetched)
	}
}

func TestOIDCProviderDown(t *testing.T) {
	k := newSigningKey(t, "k1")
	o, j := newTestOIDC(t, k)
	j.setStatus(http.StatusServiceUnavailable)
	// An outage is Roster's to log, not the caller's credentials at fault.
	_, err := o.Verify(context.Background(), k.sign(t, firebaseClaims()))
	if err == nil || roster.KindOf(err) != roster.KindInternal {
		t.Fatalf("provider down: %v (kind %v); want an internal error", err, roster.KindOf(err))
	}
	j.setStatus(0)
	// go-oidc hands the failed fetch's answer to callers that come before
	// its goroutine has forgotten that fetch: the first Verify after the
	// outage may still see it, a later one fetches afresh.
	clocktest.Eventually(t, "the provider's keys after the outage", func() bool {
		_, err := o.Verify(context.Background(), k.sign(t, firebaseClaims()))
		return err == nil
	})
}

func TestOIDCConfigValidate(t *testing.T) {
	tests := []struct {
		c    OIDCConfig
		want string
	}{
		{OIDCConfig{}, ""},
		{OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "https://example.com/jwks"}, ""},
		{OIDCConfig{Audience: testAudience}, "oidc: the issuer is required when the audience or JWKS URL is set"},
		{OIDCConfig{JWKSURL: "https://example.com/jwks"}, "oidc: the issuer is required when the audience or JWKS URL is set"},
		{OIDCConfig{Issuer: testIssuer, JWKSURL: "https://example.com/jwks"}, "oidc: the audience is required when the issuer is set"},
		{OIDCConfig{Issuer: testIssuer, Audience: testAudience}, "oidc: the JWKS URL is required when the issuer is set"},
		{OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "example.com/jwks"}, `oidc: the JWKS URL "example.com/jwks" is not an http(s) URL`},
		{OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "https://example.com/jwks", Name: "Example ID",
			AuthURL: "https://example.com/authorize", TokenURL: "https://example.com/token", ClientSecret: "s"}, ""},
		{OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "https://example.com/jwks", Name: "Example ID"},
			"oidc: signing in through the provider in the console needs its name, authorization URL, token URL and client secret together"},
		{OIDCConfig{Issuer: testIssuer, Audience: testAudience, JWKSURL: "https://example.com/jwks", Name: "Example ID",
			AuthURL: "example.com/authorize", TokenURL: "https://example.com/token", ClientSecret: "s"},
			`oidc: the authorization URL "example.com/authorize" is not an http(s) URL`},
		{OIDCConfig{Name: "Example ID"}, "oidc: the issuer is required to sign in through the provider in the console"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if got := errString(err); got != tt.want {
			t.Errorf("Validate(%+v) = %q; want %q", tt.c, got, tt.want)
		}
	}
	if (OIDCConfig{}).Enabled() || !(OIDCConfig{Issuer: testIssuer}).Enabled() {
		t.Error("Enabled does not follow Issuer")
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
