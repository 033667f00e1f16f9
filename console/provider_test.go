package console_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"roster"
	"roster/api"
	"roster/auth"
)

// idp is an OpenID Connect provider for the console's tests: its key set
// and token endpoint over HTTP, and the codes it issued, each for a
// sign-in the console started.
type idp struct {
	t     *testing.T
	key   *rsa.PrivateKey
	srv   *httptest.Server
	cfg   auth.OIDCConfig
	now   func() time.Time
	mu    sync.Mutex
	codes map[string]idpGrant
	// as is who signs in at the authorization endpoint, which sends the
	// browser back to back, the test server, rather than the public URL.
	as, back string
}

// idpGrant is what a code stands for: who signed in, and the sign-in's
// parameters, which redeeming it must match.
type idpGrant struct {
	email, nonce, challenge, redirectURI string
}

const idpSecret = "the console's client secret"

func newIDP(t *testing.T) *idp {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{t: t, key: key, codes: map[string]idpGrant{}, now: time.Now}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /authorize", p.authorize)
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	p.cfg = auth.OIDCConfig{Issuer: "https://id.example", Audience: "roster-console", JWKSURL: p.srv.URL + "/jwks",
		Name: "Example ID", AuthURL: p.srv.URL + "/authorize", TokenURL: p.srv.URL + "/token", ClientSecret: idpSecret}
	return p
}

// with configures a server to offer the provider, on the public URL.
func (p *idp) with(c *api.Config) {
	withPublicURL(c)
	c.OIDC = auth.NewOIDC(context.Background(), p.cfg)
}

// grant issues a code for email's sign-in at the authorization URL the
// console sent the browser to, with the nonce the token will carry.
func (p *idp) grant(authURL, email, nonce string) string {
	u, err := url.Parse(authURL)
	if err != nil {
		p.t.Fatal(err)
	}
	q := u.Query()
	code := roster.NewSecret(16)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.codes[code] = idpGrant{email: email, nonce: nonce, challenge: q.Get("code_challenge"), redirectURI: q.Get("redirect_uri")}
	return code
}

// authorize signs p.as in at once, as a provider does for a person
// already signed in to it, and sends the browser back with a code.
func (p *idp) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	code := p.grant(p.srv.URL+r.URL.RequestURI(), p.as, q.Get("nonce"))
	back := strings.Replace(q.Get("redirect_uri"), publicURL, p.back, 1)
	http.Redirect(w, r, back+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusSeeOther)
}

// token redeems a code once, for the client with the secret, the
// sign-in's redirect URI and the verifier of its challenge.
func (p *idp) token(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	g, ok := p.codes[r.PostFormValue("code")]
	delete(p.codes, r.PostFormValue("code"))
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !ok || r.PostFormValue("client_id") != p.cfg.Audience || r.PostFormValue("client_secret") != idpSecret ||
		r.PostFormValue("redirect_uri") != g.redirectURI || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
		return
	}
	now := p.now()
	claims := map[string]any{"iss": p.cfg.Issuer, "aud": p.cfg.Audience, "sub": "id-" + g.email, "email": g.email,
		"email_verified": true, "name": "Idris Example", "nonce": g.nonce, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: p.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		p.t.Error(err)
		return
	}
	tok, err := josejwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		p.t.Error(err)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"id_token": tok, "token_type": "Bearer"})
}

// startProvider follows the sign-in page's button from b and returns the
// authorization URL it is sent to, and its state and nonce.
func (b *browser) startProvider(next string) (authURL, state, nonce string) {
	b.e.t.Helper()
	a := b.get("/console/sign-in/provider?next=" + url.QueryEscape(next))
	authURL = a.header.Get("Location")
	u, err := url.Parse(authURL)
	if a.status != http.StatusSeeOther || err != nil {
		b.e.t.Fatalf("provider sign-in: %d %q", a.status, authURL)
	}
	return authURL, u.Query().Get("state"), u.Query().Get("nonce")
}

func (b *browser) providerReturn(code, state string) answer {
	b.e.t.Helper()
	return b.get("/console/sign-in/provider/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
}

// TestProviderSignIn: the sign-in page offers the identity provider; the
// console sends the browser there with the client id, its callback on the
// public URL, a state, a nonce and a PKCE challenge; coming back with the
// provider's code signs in the account of the verified email, made now if
// there is none, and goes on to next. A return with another state, from
// another browser, with the provider's refusal, a forged code or a token
// for another sign-in's nonce is refused on the sign-in page.
func TestProviderSignIn(t *testing.T) {
	p := newIDP(t)
	each(t, func(t *testing.T, e *env) {
		p.now = e.clock.Now
		b := e.browser()
		page := b.get("/console/sign-in?next=%2Fconsole%2Faccount")
		if !strings.Contains(page.body, `<a class="button secondary" href="/console/sign-in/provider?next=%2Fconsole%2Faccount">Sign in with Example ID</a>`) {
			t.Errorf("no provider button: %s", page.body)
		}
		authURL, state, nonce := b.startProvider("/console/account")
		u, _ := url.Parse(authURL)
		q := u.Query()
		if !strings.HasPrefix(authURL, p.cfg.AuthURL+"?") || q.Get("client_id") != "roster-console" ||
			q.Get("redirect_uri") != publicURL+"/console/sign-in/provider/callback" || q.Get("response_type") != "code" ||
			q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || len(state) < 32 || len(nonce) < 32 {
			t.Fatalf("authorization URL %s", authURL)
		}
		const email = "idris@example.com"
		refused := func(what string, a answer) {
			t.Helper()
			if a.status != http.StatusUnauthorized || !strings.Contains(a.body, `id="sign-in-error"`) {
				t.Errorf("%s: %d %s", what, a.status, a.body)
			}
		}
		refused("another state", b.providerReturn(p.grant(authURL, email, nonce), "forged"))
		authURL, state, nonce = b.startProvider("/console/account")
		refused("another browser", e.browser().providerReturn(p.grant(authURL, email, nonce), state))
		refused("the provider's refusal", b.get("/console/sign-in/provider/callback?"+url.Values{"error": {"access_denied"}, "state": {state}}.Encode()))
		_, state, _ = b.startProvider("/console/account")
		refused("a forged code", b.providerReturn("forged", state))
		authURL, state, _ = b.startProvider("/console/account")
		refused("another nonce", b.providerReturn(p.grant(authURL, email, "another sign-in's"), state))
		if a := b.get("/console/account"); a.status != http.StatusSeeOther {
			t.Fatalf("signed in after refusals: %d", a.status)
		}

		authURL, state, nonce = b.startProvider("/console/account")
		a := b.providerReturn(p.grant(authURL, email, nonce), state)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/account" {
			t.Fatalf("return: %d %q %s", a.status, a.header.Get("Location"), a.body)
		}
		acc := b.get("/console/account")
		if got := shownFieldsOf(acc.body); got["Email"] != email || got["Display name"] != "Idris Example" {
			t.Errorf("signed in as %v", got)
		}
		if a := b.providerReturn(p.grant(authURL, email, nonce), state); a.status != http.StatusUnauthorized {
			t.Errorf("the same return again: %d", a.status)
		}

		owner := e.browser()
		authURL, state, nonce = owner.startProvider("/console/")
		if a := owner.providerReturn(p.grant(authURL, e.org.OwnerEmail, nonce), state); a.status != http.StatusSeeOther ||
			a.header.Get("Location") != "/console/" {
			t.Fatalf("owner's return: %d %q", a.status, a.header.Get("Location"))
		}
		if a := owner.get("/console/clients"); a.status != http.StatusOK {
			t.Errorf("the owner through the provider: %d", a.status)
		}
	}, p.with)
}

// TestProviderNone: without a provider set up for browsers, the sign-in
// page offers none and its pages are not there.
func TestProviderNone(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		if page := b.get("/console/sign-in"); strings.Contains(page.body, "Sign in with") {
			t.Errorf("a provider offered: %s", page.body)
		}
		for _, path := range []string{"/console/sign-in/provider", "/console/sign-in/provider/callback?code=x&state=y"} {
			if a := b.get(path); a.status != http.StatusNotFound {
				t.Errorf("%s: %d", path, a.status)
			}
		}
	})
}

// TestBrowserProviderSignIn: in Chromium, a person signs in with the
// identity provider from the sign-in page and lands on their account.
func TestBrowserProviderSignIn(t *testing.T) {
	p := newIDP(t)
	each(t, func(t *testing.T, e *env) {
		p.now, p.as, p.back = e.clock.Now, "idris@example.com", e.srv.URL
		ctx := newTab(t)
		do(t, ctx, "sign in with the provider",
			chromedp.EmulateViewport(1280, 720),
			chromedp.Navigate(e.srv.URL+"/console/sign-in"),
			chromedp.Click(link("Sign in with Example ID")),
			chromedp.WaitVisible(heading("My account")))
		if got := read(t, ctx, "the email shown", chromedp.Text(`//dl[@id="account"]/div[1]/dd`)); got != p.as {
			t.Errorf("signed in as %q", got)
		}
	}, p.with)
}
