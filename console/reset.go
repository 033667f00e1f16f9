package console

import "net/http"

// resetForm is the form that asks for a reset code.
func resetForm(email string) selfForm {
	return selfForm{Action: Prefix + "password-reset", Button: "Send reset link", Next: Prefix,
		Fields: []inputField{{Name: "email", Label: "Email", Input: "email", Autocomplete: "username", Value: email}},
		Links:  []formLink{{Prefix + "password-reset/confirm", "Have a code already? Enter it"}, {Prefix + "sign-in", "Back to sign in"}}}
}

func (c *Console) passwordResetPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.renderSelfForm(w, r, s, "Forgot password", resetForm(""), nil)
}

// passwordReset mails a reset code as POST /auth/password-reset does, and
// goes on to the page that takes it whether or not the address has an
// account: the answer tells nobody which addresses have accounts.
func (c *Console) passwordReset(w http.ResponseWriter, r *http.Request, s *session) error {
	email := r.PostFormValue("email")
	link, err := c.api.MailLink(Prefix + "password-reset/confirm")
	if err == nil {
		err = c.api.StartPasswordReset(r, email, link)
	}
	if err != nil {
		return c.renderSelfForm(w, r, s, "Forgot password", resetForm(email), err)
	}
	http.Redirect(w, r, pageURL(Prefix+"password-reset/confirm", Prefix, "sent", "1"), http.StatusSeeOther)
	return nil
}

// confirmResetForm is the form that takes a reset code and the new
// password.
func confirmResetForm(code, msg string) selfForm {
	return selfForm{Action: Prefix + "password-reset/confirm", Button: "Set password", Next: Prefix, Message: msg,
		Fields: []inputField{
			{Name: "token", Label: "Code", Input: "text", Autocomplete: "one-time-code", Value: code},
			{Name: "new_password", Label: "New password", Input: "password", Autocomplete: "new-password"},
		},
		Links: []formLink{{Prefix + "password-reset", "No code? Ask for one"}}}
}

func (c *Console) confirmResetPage(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	msg := ""
	if q.Get("sent") != "" {
		msg = sentMessages["reset"]
	}
	return c.renderSelfForm(w, r, s, "Set a new password", confirmResetForm(q.Get("reset_token"), msg), nil)
}

// confirmReset sets the new password as POST /auth/password-reset/confirm
// does, which ends every other session of the account, and signs the
// person in to the console.
func (c *Console) confirmReset(w http.ResponseWriter, r *http.Request, s *session) error {
	code := r.PostFormValue("token")
	uid, sid, err := c.api.ResetPassword(r, code, r.PostFormValue("new_password"))
	if err != nil {
		return c.renderSelfForm(w, r, s, "Set a new password", confirmResetForm(code, ""), err)
	}
	return c.enter(w, r, s, uid, sid, Prefix)
}
