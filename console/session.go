package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"roster"
	"roster/photo"
	"roster/store"
)

// A console session is a sign-in session of the API's (store's), whose
// access token the browser keeps in an HttpOnly cookie. Each request
// checks the token and that its sign-in session is still open, so signing
// out, a force logout, deactivation or removal from staff end it at once;
// a token past half its life is renewed, so a session lasts while it is
// used, up to the sign-in session's own expiry.
const (
	sessionCookie = "roster_console"
	// preCookie binds the sign-in form's CSRF token to the browser
	// before there is a session.
	preCookie = "roster_console_pre"
	csrfField = "csrf"
)

// session is who asks: a signed-in person (p), or nobody yet.
type session struct {
	p        roster.Principal
	signedIn bool
	csrf     string // the token this session's forms carry
}

// errSignedOut is a staff page asked for without a session.
var errSignedOut = roster.Errorf(roster.KindUnauthorized, "sign in to see this page")

// errCSRF refuses a form that does not carry its session's CSRF token.
var errCSRF = roster.Errorf(roster.KindForbidden,
	"this form has expired or did not come from this console: reload the page and try again")

// errNoPage answers a path that no page has.
var errNoPage = roster.Errorf(roster.KindNotFound, "no such page")

// readSession returns the session of r's cookie, renewing its token when
// it is past half its life; a token that no longer works is dropped.
func (c *Console) readSession(w http.ResponseWriter, r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return &session{}, nil
	}
	now := c.api.Now()
	claims, err := c.tokens.Verify(ck.Value, now)
	if err != nil {
		c.clearCookie(w, r, sessionCookie)
		return &session{}, nil
	}
	p, err := c.st.SignInSessionPrincipal(r.Context(), claims.AccountUID, claims.SignInSessionUID, now)
	if roster.KindOf(err) == roster.KindUnauthorized {
		c.clearCookie(w, r, sessionCookie)
		return &session{}, nil
	}
	if err != nil {
		return nil, err
	}
	if claims.ExpiresAt.Sub(now) < c.tokens.TTL()/2 {
		if err := c.startSession(w, r, claims.AccountUID, claims.SignInSessionUID); err != nil {
			return nil, err
		}
	}
	return &session{p: p, signedIn: true, csrf: c.csrfToken("session:" + p.SignInSessionUID)}, nil
}

// startSession puts a fresh access token for the sign-in session into the
// session cookie.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, accountUID, sessionUID string) error {
	token, err := c.tokens.Issue(accountUID, sessionUID, c.api.Now())
	if err != nil {
		return err
	}
	c.setCookie(w, r, sessionCookie, token)
	return nil
}

// setCookie sets one of the console's cookies: for its pages only, out of
// scripts' reach, not sent with other sites' requests but for a link
// followed to the console, and only over HTTPS when it came over HTTPS.
func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, HttpOnly: true,
		Secure: c.api.ViaHTTPS(r), SameSite: http.SameSiteLaxMode})
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Path: Prefix, MaxAge: -1, HttpOnly: true,
		Secure: c.api.ViaHTTPS(r), SameSite: http.SameSiteLaxMode})
}

// csrfToken is the CSRF token of the forms of a session, or of a browser
// before it has one: a MAC of what binds it, so that it need not be stored
// and another session's token never fits.
func (c *Console) csrfToken(binding string) string {
	mac := hmac.New(sha256.New, c.csrfKey)
	mac.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// preSession returns the CSRF token of the sign-in form, binding it to a
// random cookie of the browser's, set now if it has none.
func (c *Console) preSession(w http.ResponseWriter, r *http.Request) string {
	v := ""
	if ck, err := r.Cookie(preCookie); err == nil && len(ck.Value) == preCookieLen {
		v = ck.Value
	} else {
		v = roster.NewSecret(preCookieLen)
		c.setCookie(w, r, preCookie, v)
	}
	return c.csrfToken("pre:" + v)
}

const preCookieLen = 32

// checkCSRF refuses a form whose CSRF token is not want.
func checkCSRF(r *http.Request, want string) error {
	if want == "" || !hmac.Equal([]byte(r.PostFormValue(csrfField)), []byte(want)) {
		return errCSRF
	}
	return nil
}

// maxForm bounds a form's body: a client's fields and a note fit.
const maxForm = 1 << 20

// maxUpload bounds a form that carries a photo: the photo, within the
// API's limit, and the form's other fields.
const maxUpload = photo.MaxBytes + maxForm

// parseForm reads a POST's form, within maxForm. When upload is set, a
// multipart form, which may carry a photo, is read within maxUpload, all
// in memory, so that no temporary file outlives the request.
func parseForm(w http.ResponseWriter, r *http.Request, upload bool) error {
	media, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	multipart := upload && media == "multipart/form-data"
	limit := int64(maxForm)
	if multipart {
		limit = maxUpload
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	parse := r.ParseForm
	if multipart {
		parse = func() error { return r.ParseMultipartForm(maxUpload) }
	}
	if err := parse(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return roster.Errorf(roster.KindInvalid, "the form could not be read: %v", err)
	}
	return nil
}

// handler is a console page: it writes its answer, or returns the error
// that the console's error page shows.
type handler func(w http.ResponseWriter, r *http.Request, s *session) error

// public serves h to anyone; a POST must carry the CSRF token of the
// browser's sign-in form.
func (c *Console) public(h handler) http.Handler {
	return c.serve(func(w http.ResponseWriter, r *http.Request, s *session) error {
		if r.Method == http.MethodPost {
			if err := parseForm(w, r, false); err != nil {
				return err
			}
			ck, err := r.Cookie(preCookie)
			if err != nil {
				return errCSRF
			}
			if err := checkCSRF(r, c.csrfToken("pre:"+ck.Value)); err != nil {
				return err
			}
		}
		return h(w, r, s)
	})
}

// signedIn serves h to a signed-in person; a POST must carry the CSRF token
// of the session.
func (c *Console) signedIn(h handler) http.Handler {
	return c.serve(func(w http.ResponseWriter, r *http.Request, s *session) error {
		if !s.signedIn {
			return errSignedOut
		}
		if r.Method == http.MethodPost {
			if err := parseForm(w, r, true); err != nil {
				return err
			}
			if err := checkCSRF(r, s.csrf); err != nil {
				return err
			}
		}
		return h(w, r, s)
	})
}

// staff serves h to a signed-in staff member whose role may manage
// clients, as the API's client routes do.
func (c *Console) staff(h handler) http.Handler { return c.may(roster.PermClients, h) }

// serve reads the session, makes its person the actor of the changes h
// makes (for the audit log, as the API does), and answers h's error.
func (c *Console) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.readSession(w, r)
		if err == nil {
			actor := roster.Actor{Kind: roster.ActorAnonymous, RemoteAddr: c.api.ClientAddr(r)}
			if s.signedIn {
				actor.UID, actor.Kind = s.p.AccountUID, roster.ActorToken
			}
			// The store narrows what the pages read and change to the
			// person's scope, as it does for the API.
			r = r.WithContext(store.AsStaff(roster.WithActor(r.Context(), actor), s.p))
			err = h(w, r, s)
		}
		if err != nil {
			c.answerError(w, r, s, err)
		}
	})
}

// answerError shows err on the console's error page, with the status the
// API answers it with; a page that needs a session sends the browser to
// sign in, and back here afterwards.
func (c *Console) answerError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if errors.Is(err, errSignedOut) {
		to := Prefix + "sign-in"
		if r.Method == http.MethodGet {
			to += "?" + url.Values{"next": {r.URL.RequestURI()}}.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	if s == nil {
		s = &session{}
	}
	c.render(w, r, s, errorPage(r, err))
}

// localPath returns next when it is a console page to go back to after
// signing in, and the console's home otherwise: never another site.
func localPath(next string) string {
	if strings.HasPrefix(next, Prefix) && !strings.ContainsAny(next, "\\\r\n") {
		if u, err := url.Parse(next); err == nil && u.Host == "" && u.Scheme == "" {
			return next
		}
	}
	return Prefix
}
