package console

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"roster"
)

// Signing in with the server's identity provider (OpenID Connect's
// authorization code flow): the console sends the browser to the
// provider with a fresh state, nonce and PKCE verifier, which a cookie
// keeps; the provider sends it back with a code, which the API's own OIDC
// code redeems and verifies (api.Server.SignInWithProvider) before the
// console session starts, as a password sign-in's does.

const (
	// providerCookie keeps a provider sign-in's secrets until the
	// browser comes back.
	providerCookie = "roster_console_idp"
	// providerCallback is where the provider sends the browser back.
	providerCallback = Prefix + "sign-in/provider/callback"
)

// errProviderState refuses a return from the provider that this browser
// did not start, or started too long ago (its cookie is gone).
var errProviderState = roster.Errorf(roster.KindUnauthorized,
	"this sign-in did not start in this browser, or took too long: sign in again")

// providerSignIn sends the browser to the identity provider.
func (c *Console) providerSignIn(w http.ResponseWriter, r *http.Request, s *session) error {
	if c.api.IdentityProvider() == "" {
		return errNoPage
	}
	state, nonce, verifier := roster.NewSecret(32), roster.NewSecret(32), roster.NewSecret(48)
	v := url.Values{"state": {state}, "nonce": {nonce}, "verifier": {verifier},
		"next": {localPath(r.URL.Query().Get("next"))}}
	c.setCookie(w, r, providerCookie, v.Encode())
	http.Redirect(w, r, c.api.IdentityProviderURL(providerCallback, state, nonce, verifier), http.StatusSeeOther)
	return nil
}

// providerReturn finishes a sign-in with the identity provider: the state
// must be this browser's, the code the provider's for it.
func (c *Console) providerReturn(w http.ResponseWriter, r *http.Request, s *session) error {
	if c.api.IdentityProvider() == "" {
		return errNoPage
	}
	ck, err := r.Cookie(providerCookie)
	if err != nil {
		return c.providerRefused(w, r, s, Prefix, errProviderState)
	}
	c.clearCookie(w, r, providerCookie)
	started, err := url.ParseQuery(ck.Value)
	q := r.URL.Query()
	next := localPath(started.Get("next"))
	if err != nil || started.Get("state") == "" ||
		subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(started.Get("state"))) != 1 {
		return c.providerRefused(w, r, s, next, errProviderState)
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		return c.providerRefused(w, r, s, next, roster.Errorf(roster.KindUnauthorized,
			"%s did not sign you in: try again, or sign in with your password", c.api.IdentityProvider()))
	}
	uid, sid, err := c.api.SignInWithProvider(r, providerCallback, q.Get("code"), started.Get("verifier"), started.Get("nonce"))
	if err != nil {
		return c.providerRefused(w, r, s, next, err)
	}
	return c.enter(w, r, s, uid, sid, next)
}

// providerRefused shows a refused sign-in on the sign-in page, in the
// API's words and with its status; another error goes to the error page.
func (c *Console) providerRefused(w http.ResponseWriter, r *http.Request, s *session, next string, err error) error {
	switch roster.KindOf(err) {
	case roster.KindUnauthorized, roster.KindForbidden:
	default:
		return err
	}
	v := errorPage(r, err)
	c.render(w, r, s, view{Template: "signin", Title: "Sign in", Status: v.Status,
		Data: c.signInForm(w, r, "", next, v.Data.(string))})
	return nil
}
