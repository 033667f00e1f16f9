package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
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
}

// Enabled reports whether a provider is configured.
func (c OIDCConfig) Enabled() bool { return c.Issuer != "" }

// Validate reports a partial configuration, naming what is missing.
func (c OIDCConfig) Validate() error {
	if !c.Enabled() {
		if c.Audience != "" || c.JWKSURL != "" {
			return errors.New("oidc: the issuer is required when the audience or JWKS URL is set")
		}
		return nil
	}
	if c.Audience == "" {
		return errors.New("oidc: the audience is required when the issuer is set")
	}
	if c.JWKSURL == "" {
		return errors.New("oidc: the JWKS URL is required when the issuer is set")
	}
	if u, err := url.Parse(c.JWKSURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("oidc: the JWKS URL %q is not an http(s) URL", c.JWKSURL)
	}
	return nil
}

// jwksTimeout bounds a key fetch: the key set fetches in the background, and
// one that hung would hold up every later fetch.
const jwksTimeout = 10 * time.Second

// OIDC verifies the provider's ID tokens.
type OIDC struct {
	verifier *oidc.IDTokenVerifier
}

// NewOIDC returns a verifier for c, which must be valid. It makes no
// request: there is no discovery, and the keys are fetched on first use.
// ctx only carries values; cancelling it does not stop the verifier.
func NewOIDC(ctx context.Context, c OIDCConfig) *OIDC {
	ctx = oidc.ClientContext(ctx, &http.Client{Timeout: jwksTimeout})
	// The remote key set caches the provider's keys and fetches them again
	// only when a token names a key id it has not seen, which is how
	// providers rotate keys.
	keys := keySet{oidc.NewRemoteKeySet(ctx, c.JWKSURL)}
	return &OIDC{verifier: oidc.NewVerifier(c.Issuer, keys, &oidc.Config{ClientID: c.Audience})}
}

// Identity is who the provider says the bearer is.
type Identity struct {
	Subject  string    // the provider's id for the user
	Email    string    // as the provider spells it
	Name     string    // may be empty
	IssuedAt time.Time // when the provider issued the token
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
	return Identity{Subject: tok.Subject, Email: c.Email, Name: c.Name, IssuedAt: tok.IssuedAt}, nil
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
