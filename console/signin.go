package console

import (
	"net/http"

	"roster"
)

// home sends staff who may manage clients to the clients list, any other
// signed-in person to their account, and anyone else to sign in.
func (c *Console) home(w http.ResponseWriter, r *http.Request, s *session) error {
	to := Prefix + "sign-in"
	switch {
	case s.signedIn && s.p.Can(roster.PermClients):
		to = Prefix + "clients"
	case s.signedIn:
		to = Prefix + "account"
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
	return nil
}

// signInForm is what the sign-in page shows.
type signInForm struct {
	Email, Next, CSRF string
	Error             string
	SignUp            string // the sign-up page's link; "" where sign-up is disabled
	Provider          string // the identity provider's name; "" where there is none
	ProviderLink      string // where signing in with it starts
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request, s *session) error {
	next := localPath(r.URL.Query().Get("next"))
	if s.signedIn {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	c.render(w, r, s, view{Template: "signin", Title: "Sign in",
		Data: c.signInForm(w, r, "", next, "")})
	return nil
}

// signInForm is the sign-in page's form, which offers to create an
// account where the server takes sign-ups, and to sign in with its
// identity provider where it has one, each coming back to next.
func (c *Console) signInForm(w http.ResponseWriter, r *http.Request, email, next, msg string) signInForm {
	f := signInForm{Email: email, Next: next, Error: msg, CSRF: c.preSession(w, r)}
	if c.api.SignUpEnabled() {
		f.SignUp = pageURL(Prefix+"sign-up", next)
	}
	if f.Provider = c.api.IdentityProvider(); f.Provider != "" {
		f.ProviderLink = pageURL(Prefix+"sign-in/provider", next)
	}
	return f
}

// signIn checks the email and password through the API's sign-in, with its
// throttle, and starts a console session on the sign-in session it opens.
// A refusal (wrong password, deactivated, throttled) is shown on the form,
// in the API's words and with its status.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request, s *session) error {
	email, next := r.PostFormValue("email"), localPath(r.PostFormValue("next"))
	uid, sid, err := c.api.SignIn(r, email, r.PostFormValue("password"))
	switch roster.KindOf(err) {
	case roster.KindUnauthorized, roster.KindThrottled, roster.KindInvalid:
		v := errorPage(r, err)
		c.render(w, r, s, view{Template: "signin", Title: "Sign in", Status: v.Status,
			Data: c.signInForm(w, r, email, next, v.Data.(string))})
		return nil
	}
	if err != nil {
		return err
	}
	return c.enter(w, r, s, uid, sid, next)
}

// enter starts a console session on a sign-in session just opened for
// the account, and sends the browser on to next. The browser's session
// before (s, another sign-in or another person's) is closed rather than
// left open, unreachable, until it expires.
func (c *Console) enter(w http.ResponseWriter, r *http.Request, s *session, accountUID, sessionUID, next string) error {
	if s.signedIn && s.p.SignInSessionUID != sessionUID {
		if err := c.st.CloseSignInSession(r.Context(), s.p.SignInSessionUID); err != nil {
			return err
		}
	}
	if err := c.startSession(w, r, accountUID, sessionUID); err != nil {
		return err
	}
	c.clearCookie(w, r, preCookie)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// signOut ends the sign-in session, as POST /auth/logout does.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.st.CloseSignInSession(r.Context(), s.p.SignInSessionUID); err != nil {
		return err
	}
	c.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, Prefix+"sign-in", http.StatusSeeOther)
	return nil
}
