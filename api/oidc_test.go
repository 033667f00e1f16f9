package api_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"roster/api"
	"roster/auth"
)

// provider is an OpenID Connect provider as far as Roster sees one: a JWKS
// served by the test and tokens signed with its key.
type provider struct {
	key  *rsa.PrivateKey
	jwks *httptest.Server
	cfg  auth.OIDCConfig
}

func newProvider(t *testing.T) *provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(jwks.Close)
	return &provider{key: key, jwks: jwks, cfg: auth.OIDCConfig{
		Issuer: "https://securetoken.google.com/roster-test", Audience: "roster-test", JWKSURL: jwks.URL}}
}

// token signs an ID token for email with the provider's key, issued at the
// time of e's clock; change alters the claims first.
func (p *provider) token(e *env, email string, change func(map[string]any)) string {
	t := e.t
	t.Helper()
	now := e.clock.Now()
	claims := map[string]any{"iss": p.cfg.Issuer, "aud": p.cfg.Audience, "sub": "firebase-" + email,
		"email": email, "email_verified": true, "name": "From Firebase",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if change != nil {
		change(claims)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func TestExternalIdentityProvider(t *testing.T) {
	p := newProvider(t)
	withOIDC := func(c *api.Config) { c.OIDC = auth.NewOIDC(context.Background(), p.cfg) }
	each(t, func(t *testing.T, e *env) {
		// The organization's owner signs in through the provider and works
		// with the clients.
		owner := p.token(e, e.org.OwnerEmail, nil)
		if m := e.me(owner); m.UID != e.org.OwnerUID || m.Organization == nil || m.Organization.Role != "Owner" {
			t.Fatalf("owner through the provider: %+v", m)
		}
		expect(t, e.as(owner, "GET", "/client-management/clients/", nil), 200)

		// A new email gets an account of its own, with no organization.
		newcomer := p.token(e, "New@Example.com", nil)
		m := e.me(newcomer)
		if m.Email != "New@Example.com" || m.DisplayName != "From Firebase" || m.HasPassword || m.Organization != nil {
			t.Fatalf("new account: %+v", m)
		}
		if again := e.me(p.token(e, "new@example.com", nil)); again.UID != m.UID {
			t.Errorf("the same email made a second account: %s and %s", m.UID, again.UID)
		}
		expect(t, e.as(newcomer, "GET", "/client-management/clients/", nil), 403)

		// An account that never proved it owns its email is handed to the
		// provider's verified owner of that email: the squatter's password
		// and sessions go.
		squat := e.signupUnverified("claimed@example.com")
		if m := e.me(p.token(e, "claimed@example.com", nil)); m.UID != squat.UID || !m.EmailVerified || m.HasPassword {
			t.Errorf("claimed account: %+v", m)
		}
		expect(t, e.as(squat.Token, "GET", "/auth/me", nil), 401)
		expect(t, e.post("/auth/login", map[string]string{"email": "claimed@example.com", "password": testPassword}), 401)

		// The provider's word for a look-alike of the owner's email, with a
		// full-width first letter, whose key is the owner's, is not the
		// owner's: such an email is refused.
		twin := string(rune(e.org.OwnerEmail[0])-'!'+'！') + e.org.OwnerEmail[1:]
		r := e.as(p.token(e, twin, nil), "GET", "/auth/me", nil)
		if want := `"invalid bearer token: email: must be written \"` + e.org.OwnerEmail; r.Status != 401 || !strings.Contains(string(r.Body), want) {
			t.Errorf("the owner's look-alike email: %d %s, want 401 %s", r.Status, r.Body, want)
		}
		// Its reason, in the challenge, is quoted as RFC 6750 allows: ASCII,
		// without " or \.
		if want := "error_description=\"invalid bearer token: email: must be written '" + e.org.OwnerEmail + "':"; !strings.Contains(r.Header.Get("WWW-Authenticate"), want) {
			t.Errorf("the challenge %q lacks %q", r.Header.Get("WWW-Authenticate"), want)
		}

		// Roster's own tokens keep working beside the provider's.
		tk := e.signup("local@example.com")
		e.me(tk.Token)

		for name, change := range map[string]func(map[string]any){
			"wrong audience":   func(c map[string]any) { c["aud"] = "someone-else" },
			"wrong issuer":     func(c map[string]any) { c["iss"] = "https://evil.example.com" },
			"expired":          func(c map[string]any) { c["exp"] = e.clock.Now().Add(-time.Minute).Unix() },
			"unverified email": func(c map[string]any) { c["email_verified"] = false },
			"no email":         func(c map[string]any) { delete(c, "email") },
		} {
			r := e.as(p.token(e, "x@example.com", change), "GET", "/auth/me", nil)
			if r.Status != 401 {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		// No refused token made an account: the email is still free.
		e.signup("x@example.com")
	}, withOIDC)
}
