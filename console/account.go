package console

import (
	"net/http"

	"roster"
	"roster/api"
)

// My account is the API's /auth/me for a person signed in to the console:
// their email and display name, their password, the client profiles
// linked to their account and the organizations' requests to link more
// (ownclients.go), and deleting the account. It changes them
// through the same calls as the API's /auth/me handlers (the display
// name's parsing and store call, and the API's ChangePassword and
// DeleteAccount, which confirm the password under the sign-in throttle),
// so that no rule of the API's is kept here.

// accountData is what the account page and its delete page show.
type accountData struct {
	Account     roster.Account
	Clients     []ownClientRow
	Invitations []linkInvitationRow
	Name        string            // the display name in the form: typed when refused, else stored
	Errors      map[string]string // the API's message about each field at fault
	Error       string            // a refusal about no one field (the last-owner rule, the throttle)
	Message     string
}

// ownClientRow is one of the person's own client profiles.
type ownClientRow struct {
	UID, Company, DisplayName, Email string
}

// linkInvitationRow is an organization's request to link its client
// profile of the person to their account.
type linkInvitationRow struct {
	UID, Company, Email, Expires string
}

// accountMessages are what the page says after a change, by the word the
// change's redirect carries.
var accountMessages = map[string]string{
	"name":     "Display name saved.",
	"password": "Password changed: your other sessions were signed out.",
	"resent":   "Verification mail sent: follow its link, or enter its code, with your password.",
	"profile":  "Profile saved.",
	"unlinked": "Unlinked: the organization keeps its profile but no longer reaches your account.",
	"deleted":  "Your profile was deleted.",
	"accepted": "Linked: the profile is yours to see and edit, and the organization may sign you out.",
	"declined": "Link declined.",
}

func (c *Console) account(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showAccount(w, r, s, "account", accountData{Message: accountMessages[r.URL.Query().Get("done")]}, 0)
}

// showAccount renders page (the account page or its delete page) with
// the person's account and d's form state.
func (c *Console) showAccount(w http.ResponseWriter, r *http.Request, s *session, page string, d accountData, status int) error {
	a, _, err := c.st.Me(r.Context(), s.p.AccountUID)
	if err != nil {
		return err
	}
	own, err := c.st.OwnClients(r.Context(), s.p.AccountUID)
	if err != nil {
		return err
	}
	invs, err := c.st.LinkInvitations(r.Context(), s.p.AccountUID)
	if err != nil {
		return err
	}
	d.Account = a
	if _, refused := d.Errors["display_name"]; !refused {
		d.Name = a.DisplayName
	}
	for _, oc := range own {
		d.Clients = append(d.Clients, ownClientRow{UID: oc.Client.UID, Company: oc.CompanyName,
			DisplayName: oc.Client.DisplayName, Email: oc.Client.Email})
	}
	for _, inv := range invs {
		d.Invitations = append(d.Invitations, linkInvitationRow{UID: inv.UID, Company: inv.CompanyName,
			Email: inv.Email, Expires: when(&inv.ExpiresAt)})
	}
	title := "My account"
	if page == "account-delete" {
		title = "Delete your account?"
	}
	c.render(w, r, s, view{Template: page, Title: title, Status: status, Data: d})
	return nil
}

// refused shows a refusal the person can act on on page, next to its field
// when it names one, above the form otherwise; any other error goes to the
// error page. name is the display name typed, kept in its form.
func (c *Console) refused(w http.ResponseWriter, r *http.Request, s *session, page, name string, err error) error {
	switch roster.KindOf(err) {
	case roster.KindInvalid, roster.KindForbidden, roster.KindThrottled:
	default:
		return err
	}
	status, msg := api.ErrorAnswer(r, err)
	d := accountData{Errors: map[string]string{}, Name: name}
	if !addFieldError(d.Errors, err) {
		d.Error = msg
	}
	return c.showAccount(w, r, s, page, d, status)
}

// setDisplayName changes the display name as PUT /auth/me does.
func (c *Console) setDisplayName(w http.ResponseWriter, r *http.Request, s *session) error {
	typed := r.PostFormValue("display_name")
	name, err := roster.ParseDisplayName("display_name", typed)
	if err == nil {
		err = c.st.SetDisplayName(r.Context(), s.p.AccountUID, name)
	}
	if err != nil {
		return c.refused(w, r, s, "account", typed, err)
	}
	http.Redirect(w, r, Prefix+"account?done=name", http.StatusSeeOther)
	return nil
}

// changePassword changes the password as POST /auth/me/password does,
// keeping this console session and ending the account's others.
func (c *Console) changePassword(w http.ResponseWriter, r *http.Request, s *session) error {
	err := c.api.ChangePassword(r, s.p.AccountUID, s.p.SignInSessionUID,
		r.PostFormValue("current_password"), r.PostFormValue("new_password"))
	if err != nil {
		return c.refused(w, r, s, "account", "", err)
	}
	http.Redirect(w, r, Prefix+"account?done=password", http.StatusSeeOther)
	return nil
}

func (c *Console) confirmDeleteAccount(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showAccount(w, r, s, "account-delete", accountData{}, 0)
}

// deleteAccount deletes the account as DELETE /auth/me does. Its sign-in
// sessions go with it, so the browser is signed out.
func (c *Console) deleteAccount(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.api.DeleteAccount(r, s.p.AccountUID, r.PostFormValue("password")); err != nil {
		return c.refused(w, r, s, "account-delete", "", err)
	}
	c.clearCookie(w, r, sessionCookie)
	c.render(w, r, &session{}, view{Template: "account-deleted", Title: "Account deleted"})
	return nil
}

// inputField is one text or password field of a small form, with the
// API's message about it, for the "input" template.
type inputField struct {
	Name, Label, Input, Autocomplete, Value, Error string
}

func newInputField(name, label, input, autocomplete, value string, errs map[string]string) inputField {
	return inputField{Name: name, Label: label, Input: input, Autocomplete: autocomplete, Value: value, Error: errs[name]}
}
