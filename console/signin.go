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
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request, s *session) error {
	next := localPath(r.URL.Query().Get("next"))
	if s.signedIn {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	c.render(w, r, s, view{Template: "signin", Title: "Sign in",
		Data: signInForm{Next: next, CSRF: c.preSession(w, r)}})
	return nil
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
			Data: signInForm{Email: email, Next: next, CSRF: c.preSession(w, r), Error: v.Data.(string)}})
		return nil
	}
	if err != nil {
		return err
	}
	if err := c.startSession(w, r, uid, sid); err != nil {
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
