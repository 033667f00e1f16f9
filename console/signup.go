package console

import (
	"net/http"
	"net/url"

	"roster"
	"roster/api"
)

// A person's own way in: creating an account, verifying its email with
// the mailed code, and resetting a forgotten password. Each goes through
// the API's own call for the same route (api.Server's SignUp, VerifyEmail,
// StartPasswordReset, ResetPassword), so that the password rules, the
// mail limits and the sign-in throttle are the API's. The mail links to
// the console's pages on the server's public URL, when it has one.

// selfForm is one of these pages: a small form of text fields.
type selfForm struct {
	Action, Button string
	CSRF, Next     string
	Message        string // what the last step did
	Error          string // a refusal about no one field
	Fields         []inputField
	Links          []formLink
}

// formLink is a link offered under a form.
type formLink struct{ Href, Label string }

// pageURL is a console page with next (left out when it is the home
// page) and the name-value pairs of params in its query.
func pageURL(path, next string, params ...string) string {
	v := url.Values{}
	if next != Prefix {
		v.Set("next", next)
	}
	for i := 0; i+1 < len(params); i += 2 {
		v.Set(params[i], params[i+1])
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// renderSelfForm renders one of these pages titled title, with err shown
// next to its field or above the form (err may be nil). An error that is
// not a refusal the person can act on goes to the error page.
func (c *Console) renderSelfForm(w http.ResponseWriter, r *http.Request, s *session, title string, f selfForm, err error) error {
	status := 0
	if err != nil {
		switch roster.KindOf(err) {
		case roster.KindInvalid, roster.KindForbidden, roster.KindUnauthorized, roster.KindThrottled, roster.KindLimit:
		default:
			return err
		}
		var msg string
		status, msg = api.ErrorAnswer(r, err)
		errs := map[string]string{}
		if addFieldError(errs, err) {
			for i := range f.Fields {
				f.Fields[i].Error = errs[f.Fields[i].Name]
			}
		} else {
			f.Error = msg
		}
	}
	f.CSRF = c.preSession(w, r)
	c.render(w, r, s, view{Template: "self-form", Title: title, Status: status, Data: f})
	return nil
}

// signUpForm is the sign-up form with what was typed (never the password).
func signUpForm(email, name, next string) selfForm {
	return selfForm{Action: Prefix + "sign-up", Button: "Create account", Next: next,
		Fields: []inputField{
			{Name: "email", Label: "Email", Input: "email", Autocomplete: "username", Value: email},
			{Name: "display_name", Label: "Display name", Input: "text", Autocomplete: "name", Value: name},
			{Name: "password", Label: "Password", Input: "password", Autocomplete: "new-password"},
		},
		Links: []formLink{{pageURL(Prefix+"sign-in", next), "Already have an account? Sign in"}}}
}

func (c *Console) signUpPage(w http.ResponseWriter, r *http.Request, s *session) error {
	if !c.api.SignUpEnabled() {
		return api.ErrSignUpDisabled
	}
	return c.renderSelfForm(w, r, s, "Create account", signUpForm("", "", localPath(r.URL.Query().Get("next"))), nil)
}

// signUp starts a sign-up as POST /auth/signup does. Whether or not the
// address had an account, the browser goes on to the page that takes the
// mailed code: the answer tells nobody which addresses have accounts.
func (c *Console) signUp(w http.ResponseWriter, r *http.Request, s *session) error {
	email, name, next := r.PostFormValue("email"), r.PostFormValue("display_name"), localPath(r.PostFormValue("next"))
	link, err := c.api.MailLink(pageURL(Prefix+"verify-email", next))
	if err == nil {
		err = c.api.SignUp(r, email, name, r.PostFormValue("password"), link)
	}
	if err != nil {
		return c.renderSelfForm(w, r, s, "Create account", signUpForm(email, name, next), err)
	}
	http.Redirect(w, r, pageURL(Prefix+"verify-email", next, "sent", "1"), http.StatusSeeOther)
	return nil
}

// verifyForm is the form that takes a sign-up's code and password.
func verifyForm(code, next, msg string) selfForm {
	return selfForm{Action: Prefix + "verify-email", Button: "Verify email", Next: next, Message: msg,
		Fields: []inputField{
			{Name: "token", Label: "Code", Input: "text", Autocomplete: "one-time-code", Value: code},
			{Name: "password", Label: "Password", Input: "password", Autocomplete: "current-password"},
		},
		Links: []formLink{{pageURL(Prefix+"sign-up", next), "No code? Create an account"}}}
}

// sentMessages are what a code's page says when the browser comes from
// the form that mailed it.
var sentMessages = map[string]string{
	"verify-email": "Check your email: it holds a code that finishes signing up, with the password you chose.",
	"reset":        "If an account has this email, a reset code is on its way to it.",
}

func (c *Console) verifyEmailPage(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	msg := ""
	if q.Get("sent") != "" {
		msg = sentMessages["verify-email"]
	}
	return c.renderSelfForm(w, r, s, "Verify email", verifyForm(q.Get("verify_token"), localPath(q.Get("next")), msg), nil)
}

// verifyEmail finishes a sign-up as POST /auth/verify-email does, and
// signs the new account in to the console.
func (c *Console) verifyEmail(w http.ResponseWriter, r *http.Request, s *session) error {
	code, next := r.PostFormValue("token"), localPath(r.PostFormValue("next"))
	uid, sid, err := c.api.VerifyEmail(r, code, r.PostFormValue("password"))
	if err != nil {
		return c.renderSelfForm(w, r, s, "Verify email", verifyForm(code, next, ""), err)
	}
	return c.enter(w, r, s, uid, sid, next)
}

// resendVerification mails a signed-in, unverified person a new sign-up
// code, as POST /auth/verify-email/resend does.
func (c *Console) resendVerification(w http.ResponseWriter, r *http.Request, s *session) error {
	link, err := c.api.MailLink(Prefix + "verify-email")
	if err == nil {
		err = c.api.ResendVerification(r, s.p.AccountUID, link)
	}
	if err != nil {
		return c.refused(w, r, s, "account", "", err)
	}
	http.Redirect(w, r, Prefix+"account?done=resent", http.StatusSeeOther)
	return nil
}
