package auth

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"roster"
)

var tokenKey = bytes.Repeat([]byte("k"), 32)

// at is a whole second, so the expiry survives the JWT's rounding exactly.
var at = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func wantUnauthorized(t *testing.T, what string, c Claims, err error, msg string) {
	t.Helper()
	if err == nil || roster.KindOf(err) != roster.KindUnauthorized || err.Error() != msg || c != (Claims{}) {
		t.Errorf("%s: %+v, %v; want unauthorized %q", what, c, err, msg)
	}
}

const invalidToken = "invalid or expired bearer token"

func TestTokenRoundTrip(t *testing.T) {
	tk := NewTokens(tokenKey, 0)
	if tk.TTL() != DefaultAccessTTL {
		t.Fatalf("TTL = %v; want %v", tk.TTL(), DefaultAccessTTL)
	}
	tok, err := tk.Issue("acc1", "ses1", at)
	if err != nil {
		t.Fatal(err)
	}
	want := Claims{AccountUID: "acc1", SignInSessionUID: "ses1", ExpiresAt: at.Add(DefaultAccessTTL)}
	for _, now := range []time.Time{at, at.Add(DefaultAccessTTL - time.Second)} {
		c, err := tk.Verify(tok, now)
		if err != nil || c.AccountUID != want.AccountUID || c.SignInSessionUID != want.SignInSessionUID || !c.ExpiresAt.Equal(want.ExpiresAt) {
			t.Errorf("Verify at %v = %+v, %v; want %+v", now, c, err, want)
		}
	}
	var raw jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &raw); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]any{"iss": "roster", "sub": "acc1", "sid": "ses1", "iat": float64(at.Unix()), "exp": float64(at.Add(DefaultAccessTTL).Unix())} {
		if raw[k] != v {
			t.Errorf("claim %s = %v; want %v", k, raw[k], v)
		}
	}
	if _, err := tk.Issue("", "ses1", at); err == nil {
		t.Error("issued a token without an account")
	}
}

func TestTokenExpired(t *testing.T) {
	tk := NewTokens(tokenKey, time.Minute)
	tok, err := tk.Issue("acc1", "ses1", at)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tk.Verify(tok, at.Add(time.Minute+time.Second))
	wantUnauthorized(t, "expired", c, err, "bearer token has expired: refresh it")
	c, err = tk.Verify(tok, at.Add(time.Minute))
	wantUnauthorized(t, "at expiry", c, err, "bearer token has expired: refresh it")
}

func TestTokenWrongKey(t *testing.T) {
	tok, err := NewTokens(tokenKey, 0).Issue("acc1", "ses1", at)
	if err != nil {
		t.Fatal(err)
	}
	other := NewTokens(bytes.Repeat([]byte("x"), 32), 0)
	c, err := other.Verify(tok, at)
	wantUnauthorized(t, "wrong key", c, err, invalidToken)
}

func claimsFor(iss string) jwt.MapClaims {
	return jwt.MapClaims{"iss": iss, "sub": "acc1", "sid": "ses1", "iat": at.Unix(), "exp": at.Add(time.Hour).Unix()}
}

func TestTokenOtherAlgorithms(t *testing.T) {
	tk := NewTokens(tokenKey, 0)
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claimsFor("roster")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rs256, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claimsFor("roster")).SignedString(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	// HS512 with the right key: only HS256 is accepted.
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, claimsFor("roster")).SignedString(tokenKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"none": none, "RS256": rs256, "HS512": hs512} {
		c, err := tk.Verify(tok, at)
		wantUnauthorized(t, name, c, err, invalidToken)
	}
}

func TestTokenClaimsRequired(t *testing.T) {
	tk := NewTokens(tokenKey, 0)
	sign := func(c jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(tokenKey)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	c, err := tk.Verify(sign(claimsFor("https://securetoken.google.com/p")), at)
	wantUnauthorized(t, "other issuer", c, err, invalidToken)
	for _, claim := range []string{"iss", "exp", "sub", "sid"} {
		claims := claimsFor("roster")
		delete(claims, claim)
		c, err := tk.Verify(sign(claims), at)
		wantUnauthorized(t, "no "+claim, c, err, invalidToken)
	}
	// The same claims with all of them verify, so the cases above fail for
	// the claim they lack.
	if c, err := tk.Verify(sign(claimsFor("roster")), at); err != nil || c.AccountUID != "acc1" || c.SignInSessionUID != "ses1" {
		t.Fatalf("complete claims: %+v, %v", c, err)
	}
}

func TestTokenTampered(t *testing.T) {
	tk := NewTokens(tokenKey, 0)
	tok, err := tk.Issue("acc1", "ses1", at)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(payload, []byte(`"sub":"acc1"`), []byte(`"sub":"acc2"`), 1)
	if bytes.Equal(changed, payload) {
		t.Fatalf("payload %s has no sub to change", payload)
	}
	parts[1] = base64.RawURLEncoding.EncodeToString(changed)
	c, err := tk.Verify(strings.Join(parts, "."), at)
	wantUnauthorized(t, "tampered", c, err, invalidToken)
	for _, garbage := range []string{"", "abc", "a.b.c", tok + "x"} {
		c, err := tk.Verify(garbage, at)
		wantUnauthorized(t, "garbage "+garbage, c, err, invalidToken)
	}
}

func TestIsRosterToken(t *testing.T) {
	tok, err := NewTokens(tokenKey, 0).Issue("acc1", "ses1", at)
	if err != nil {
		t.Fatal(err)
	}
	if !IsRosterToken(tok) {
		t.Error("our token is not recognised")
	}
	other, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claimsFor("https://securetoken.google.com/p")).SignedString(tokenKey)
	key, _, _ := NewAPIKey()
	for _, s := range []string{other, "", "garbage", "a.b.c", key} {
		if IsRosterToken(s) {
			t.Errorf("IsRosterToken(%q) = true", s)
		}
	}
}

func TestNewTokensShortKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a 31-byte key was accepted")
		}
	}()
	NewTokens(tokenKey[:31], 0)
}

func TestRefreshToken(t *testing.T) {
	tok, hash := NewRefreshToken()
	rest, ok := strings.CutPrefix(tok, "rrt_")
	if !ok || len(rest) != 43 || !roster.ValidUID(rest) || strings.ContainsAny(rest, "-_") {
		t.Fatalf("refresh token %q is not rrt_ + 43 base62 characters", tok)
	}
	sum := sha256.Sum256([]byte(tok))
	if !bytes.Equal(hash, sum[:]) || !bytes.Equal(HashToken(tok), sum[:]) {
		t.Fatalf("hash %x; want SHA-256 of the whole token %x", hash, sum)
	}
	if tok2, hash2 := NewRefreshToken(); tok2 == tok || bytes.Equal(hash2, hash) {
		t.Fatal("two refresh tokens are equal")
	}
}
