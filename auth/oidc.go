package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"roster"
)

// OIDCConfig names an external OpenID Connect provider whose ID tokens
// Roster accepts as bearer tokens. For Firebase Authentication the issuer is
// "https://securetoken.google.com/<project id>", the audience is the project
// id and the JWKS URL is
// "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com".
type OIDCConfig struct {
	Issuer, Audience, JWKSURL string
	// The console's "Sign in with" button, when all are set: the
	// provider's name, as the button says it, its authorization and token
	// endpoints (the authorization code flow, with PKCE), and the client
	// secret; the client id is the audience.
	Name, AuthURL, TokenURL, ClientSecret string
}

// BrowserSignIn reports whether the console may send browsers to the
// provider to sign in.
func (c OIDCConfig) BrowserSignIn() bool { return c.Name != "" }

// Enabled reports whether a provider is configured.
func (c OIDCConfig) Enabled() bool { return c.Issuer != "" }

// Validate reports a partial configuration, naming what is missing.
func (c OIDCConfig) Validate() error {
	if !c.Enabled() {
		if c.Audience != "" || c.JWKSURL != "" {
			return errors.New("oidc: the issuer is required when the audience or JWKS URL is set")
		}
		if c != (OIDCConfig{}) {
			return errors.New("oidc: the issuer is required to sign in through the provider in the console")
		}
		return nil
	}
	if c.Audience == "" {
		return errors.New("oidc: the audience is required when the issuer is set")
	}
	if c.JWKSURL == "" {
		return errors.New("oidc: the JWKS URL is required when the issuer is set")
	}
	for _, u := range []struct{ name, url string }{{"JWKS URL", c.JWKSURL}, {"authorization URL", c.AuthURL}, {"token URL", c.TokenURL}} {
		if u.url != "" && !isHTTPURL(u.url) {
			return fmt.Errorf("oidc: the %s %q is not an http(s) URL", u.name, u.url)
		}
	}
	browser := []string{c.Name, c.AuthURL, c.TokenURL, c.ClientSecret}
	if slices.Contains(browser, "") && slices.ContainsFunc(browser, func(v string) bool { return v != "" }) {
		return errors.New("oidc: signing in through the provider in the console needs its name, authorization URL, " +
			"token URL and client secret together")
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// jwksTimeout bounds a key fetch: the key set fetches in the background, and
// one that hung would hold up every later fetch.
const jwksTimeout = 10 * time.Second

// OIDC verifies the provider's ID tokens.
type OIDC struct {
	verifier *oidc.IDTokenVerifier
	config   OIDCConfig
	client   *http.Client
}

// NewOIDC returns a verifier for c, which must be valid. It makes no
// request: there is no discovery, and the keys are fetched on first use.
// ctx only carries values; cancelling it does not stop the verifier.
func NewOIDC(ctx context.Context, c OIDCConfig) *OIDC {
	client := &http.Client{Timeout: jwksTimeout}
	ctx = oidc.ClientContext(ctx, client)
	// The remote key set caches the provider's keys and fetches them again
	// only when a token names a key id it has not seen, which is how
	// providers rotate keys.
	keys := keySet{oidc.NewRemoteKeySet(ctx, c.JWKSURL)}
	return &OIDC{verifier: oidc.NewVerifier(c.Issuer, keys, &oidc.Config{ClientID: c.Audience}), config: c, client: client}
}

// Name is the provider's name for the console's button; "" when browsers
// are not to be sent to it.
func (o *OIDC) Name() string { return o.config.Name }

// Identity is who the provider says the bearer is.
type Identity struct {
	Subject  string    // the provider's id for the user
	Email    string    // as the provider spells it
	Name     string    // may be empty
	IssuedAt time.Time // when the provider issued the token
	Nonce    string    // the sign-in's, when the token answers one
}

// Verify checks raw's signature, issuer, audience and expiry, and that it
// carries an email the provider has not marked unverified.
func (o *OIDC) Verify(ctx context.Context, raw string) (Identity, error) {
	var fetchErr error
	tok, err := o.verifier.Verify(context.WithValue(ctx, fetchErrKey{}, &fetchErr), raw)
	if fetchErr != nil {
		// The provider's keys are unreachable: an outage, not the caller's
		// fault.
		return Identity{}, fmt.Errorf("oidc: %w", fetchErr)
	}
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		return Identity{}, roster.Errorf(roster.KindUnauthorized, "invalid bearer token: token is expired")
	}
	if err != nil {
		return Identity{}, roster.Errorf(roster.KindUnauthorized, "invalid bearer token")
	}
	var c struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
		Name          string `json:"name"`
		Nonce         string `json:"nonce"`
	}
	if err := tok.Claims(&c); err != nil {
		return Identity{}, roster.Errorf(roster.KindUnauthorized, "invalid bearer token: malformed claims")
	}
	if tok.Subject == "" {
		return Identity{}, roster.Errorf(roster.KindUnauthorized, "invalid bearer token: no subject")
	}
	if c.Email == "" {
		return Identity{}, roster.Errorf(roster.KindUnauthorized, "invalid bearer token: no email")
	}
	// The email finds the account, so it must be the provider's verified
	// word: a missing claim is not verified. Firebase sends a boolean;
	// some providers send the string "true".
	if v := c.EmailVerified; v != true && v != "true" {
		return Identity{}, roster.Errorf(roster.KindUnauthorized, "the identity provider has not verified this email")
	}
	// Its key finds the account: a look-alike form of an address (a
	// full-width letter) has the address's key but may be another mailbox.
	if err := roster.ValidateEmail(c.Email); err != nil {
		return Identity{}, roster.Errorf(roster.KindUnauthorized, "invalid bearer token: email: %v", err)
	}
	return Identity{Subject: tok.Subject, Email: c.Email, Name: c.Name, IssuedAt: tok.IssuedAt, Nonce: c.Nonce}, nil
}

// keySet records a failure to fetch the keys in the context's slot, since
// the verifier's error keeps only its text.
type keySet struct{ remote *oidc.RemoteKeySet }

type fetchErrKey struct{}

func (k keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.remote.VerifySignature(ctx, jwt)
	// The remote key set's only error that starts so; a test holds it to it.
	if err != nil && strings.HasPrefix(err.Error(), "fetching keys") {
		if slot, ok := ctx.Value(fetchErrKey{}).(*error); ok {
			*slot = err
		}
	}
	return payload, err
}

// AuthCodeURL is where to send a browser to sign in with the provider,
// which sends it back to redirectURI with a code and state. The ID token
// the code brings must carry nonce; verifier is the PKCE secret whose hash
// goes along, so that only who started the sign-in can redeem the code.
func (o *OIDC) AuthCodeURL(redirectURI, state, nonce, verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {o.config.Audience}, "redirect_uri": {redirectURI},
		"scope": {"openid email profile"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	sep := "?"
	if strings.Contains(o.config.AuthURL, "?") {
		sep = "&"
	}
	return o.config.AuthURL + sep + q.Encode()
}

// errProviderRefused answers a code the provider would not redeem, or an
// ID token that does not answer this sign-in.
var errProviderRefused = roster.Errorf(roster.KindUnauthorized, "the identity provider did not confirm this sign-in: try again")

// Exchange redeems a code that the provider sent back to redirectURI for
// its ID token, and verifies the token as Verify does, and that it
// carries the sign-in's nonce.
func (o *OIDC) Exchange(ctx context.Context, redirectURI, code, verifier, nonce string) (Identity, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI},
		"client_id": {o.config.Audience}, "client_secret": {o.config.ClientSecret}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.config.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return Identity{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := o.client.Do(req)
	if err != nil {
		return Identity{}, fmt.Errorf("oidc: token endpoint: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		// A used, expired or forged code: the provider's 4xx.
		if res.StatusCode < 500 {
			return Identity{}, errProviderRefused
		}
		return Identity{}, fmt.Errorf("oidc: token endpoint answered %s", res.Status)
	}
	var body struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&body); err != nil || body.IDToken == "" {
		return Identity{}, fmt.Errorf("oidc: token endpoint answered no ID token")
	}
	id, err := o.Verify(ctx, body.IDToken)
	if err != nil {
		return Identity{}, err
	}
	if nonce == "" || subtle.ConstantTimeCompare([]byte(id.Nonce), []byte(nonce)) != 1 {
		return Identity{}, errProviderRefused
	}
	return id, nil
}
