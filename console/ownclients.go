package console

import (
	"maps"
	"net/http"
	"slices"

	"roster"
	"roster/api"
)

// A person's own client profiles, on My account: the profiles that
// organizations linked to their account with their consent, which they
// may edit (the fields the registry marks roster.UseOwn), unlink or
// delete, and the organizations' pending requests to link, which they
// accept or decline. Each change is the API's own call for the same
// /auth/me route.

// ownClient is the person's own client profile of the page's path; any
// other client is the API's 404.
func (c *Console) ownClient(r *http.Request, s *session) (roster.OwnClient, error) {
	own, err := c.st.OwnClients(r.Context(), s.p.AccountUID)
	if err != nil {
		return roster.OwnClient{}, err
	}
	uid := r.PathValue("uid")
	for _, oc := range own {
		if oc.Client.UID == uid {
			return oc, nil
		}
	}
	return roster.OwnClient{}, roster.ErrClientNotFound
}

// ownField reports whether a person may change the field of their own
// profile.
func ownField(name string) bool {
	f, ok := roster.FieldNamed(name)
	return ok && roster.Fields[f].Uses.Has(roster.UseOwn)
}

// ownForm is the profile form of only the fields a person may change.
func ownForm(all []formField) []formField {
	return slices.DeleteFunc(all, func(f formField) bool { return !ownField(f.Name) })
}

func ownClientURL(uid string) string { return Prefix + "account/clients/" + uid }

func ownFormData(oc roster.OwnClient) formData {
	return formData{Action: ownClientURL(oc.Client.UID), Cancel: Prefix + "account"}
}

func (c *Console) editOwnClient(w http.ResponseWriter, r *http.Request, s *session) error {
	oc, err := c.ownClient(r, s)
	if err != nil {
		return err
	}
	d := ownFormData(oc)
	d.Fields = ownForm(clientForm(&oc.Client.ClientFields, nil, nil))
	c.renderForm(w, r, s, "Your profile at "+oc.CompanyName, d, 0)
	return nil
}

// updateOwnClient saves the form's fields as PUT /auth/me/clients/{uid}
// does; a refused form is shown again with each field's error.
func (c *Console) updateOwnClient(w http.ResponseWriter, r *http.Request, s *session) error {
	oc, err := c.ownClient(r, s)
	if err != nil {
		return err
	}
	raw := rawFields(r.PostForm)
	maps.DeleteFunc(raw, func(name string, _ any) bool { return !ownField(name) })
	errs := fieldErrors(raw, clientFieldError)
	if len(errs) == 0 {
		err = c.api.UpdateOwnClient(r, s.p.AccountUID, oc.Client.UID, raw)
		if err == nil {
			http.Redirect(w, r, Prefix+"account?done=profile", http.StatusSeeOther)
			return nil
		}
		if !addFieldError(errs, err) && roster.KindOf(err) != roster.KindInvalid {
			return err
		}
	}
	d := ownFormData(oc)
	status, msg := http.StatusBadRequest, "Not saved: "+roster.Count(len(errs), "field")+" to correct."
	if len(errs) == 0 {
		status, msg = api.ErrorAnswer(r, err)
	}
	d.Error = msg
	d.Fields = ownForm(clientForm(nil, r.PostForm, errs))
	c.renderForm(w, r, s, "Your profile at "+oc.CompanyName, d, status)
	return nil
}

// ownConfirm is the page that asks before unlinking or deleting one of
// the person's own profiles.
type ownConfirm struct {
	Client         roster.OwnClient
	Action, Button string
	Text           string
}

// confirmOwnClient asks before the change of action ("unlink" or
// "delete"): a page of its own, so that it works without scripts.
func (c *Console) confirmOwnClient(action string) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		oc, err := c.ownClient(r, s)
		if err != nil {
			return err
		}
		d := ownConfirm{Client: oc, Action: ownClientURL(oc.Client.UID) + "/" + action}
		title := "Unlink your profile at " + oc.CompanyName + "?"
		d.Button, d.Text = "Unlink", oc.CompanyName+" keeps its profile of you but no longer reaches your account: "+
			"you stop seeing it here, and it can no longer sign you out."
		if action == "delete" {
			title = "Delete your profile at " + oc.CompanyName + "?"
			d.Button, d.Text = "Delete profile", "Your profile at "+oc.CompanyName+
				" is deleted with its note, photo and analysis sessions. This cannot be undone."
		}
		c.render(w, r, s, view{Template: "own-confirm", Title: title, Data: d})
		return nil
	}
}

// unlinkOwnClient unlinks the profile as DELETE /auth/me/clients/{uid}/link
// does.
func (c *Console) unlinkOwnClient(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.api.UnlinkOwnClient(r, s.p.AccountUID, r.PathValue("uid")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"account?done=unlinked", http.StatusSeeOther)
	return nil
}

// deleteOwnClient deletes the profile as DELETE /auth/me/clients/{uid}
// does.
func (c *Console) deleteOwnClient(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.api.DeleteOwnClient(r, s.p.AccountUID, r.PathValue("uid")); err != nil {
		return err
	}
	http.Redirect(w, r, Prefix+"account?done=deleted", http.StatusSeeOther)
	return nil
}

// respondLink accepts or declines an organization's request to link, as
// POST /auth/me/link-invitations/respond does: the organization gains its
// reach over the account only with the person's consent.
func (c *Console) respondLink(w http.ResponseWriter, r *http.Request, s *session) error {
	answer := r.PostFormValue("answer")
	if answer != "accept" && answer != "decline" {
		return roster.Errorf(roster.KindInvalid, "answer: must be accept or decline")
	}
	accept := answer == "accept"
	if err := c.api.RespondLink(r, s.p.AccountUID, r.PathValue("link_uid"), accept); err != nil {
		return err
	}
	done := "declined"
	if accept {
		done = "accepted"
	}
	http.Redirect(w, r, Prefix+"account?done="+done, http.StatusSeeOther)
	return nil
}
