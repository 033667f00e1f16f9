package api

import (
	"errors"
	"net/http"

	"roster"
)

// Self-service: what a signed-in person may do to their own account and to
// their own client profiles (the clients they linked to their account).

type ownClientJSON struct {
	OrganizationUID string     `json:"organization_uid"`
	CompanyName     string     `json:"company_name"`
	Profile         clientJSON `json:"profile"`
}

func (s *Server) ownClients(r *http.Request) ([]ownClientJSON, error) {
	own, err := s.store.OwnClients(r.Context(), principal(r).AccountUID)
	if err != nil {
		return nil, err
	}
	photoURL := s.photoURL()
	out := make([]ownClientJSON, len(own))
	for i, oc := range own {
		out[i] = ownClientJSON{OrganizationUID: oc.OrgUID, CompanyName: oc.CompanyName, Profile: toJSON(&oc.Client, photoURL, false)}
	}
	return out, nil
}

func (s *Server) updateMe(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"display_name"})
	if err != nil {
		return err
	}
	name, err := roster.ParseDisplayName("display_name", f["display_name"])
	if err != nil {
		return err
	}
	if err := s.store.SetDisplayName(r.Context(), principal(r).AccountUID, name); err != nil {
		return err
	}
	return s.me(w, r)
}

func (s *Server) updateOwnClient(w http.ResponseWriter, r *http.Request) error {
	in, err := readInput(w, r, false, false)
	if err != nil {
		return err
	}
	if err := s.UpdateOwnClient(r, principal(r).AccountUID, r.PathValue("user_uid"), in.fields); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"User information updated successfully."})
	return nil
}

// UpdateOwnClient changes fields of a client profile linked to the
// account, as PUT /auth/me/clients/{user_uid} does for the console too:
// only the fields a person may change of their own profile.
func (s *Server) UpdateOwnClient(r *http.Request, accountUID, clientUID string, fields map[string]any) error {
	// The registry marks the fields of their own profile a person may
	// change (roster.UseOwn); the rest are the organization's.
	for k := range fields {
		if f, ok := roster.FieldNamed(k); !ok || !roster.Fields[f].Uses.Has(roster.UseOwn) {
			return invalid("%s: not a field you may change in your own profile", k)
		}
	}
	u, err := roster.NewClientUpdate(fields)
	if err != nil {
		return err
	}
	if u.Set == 0 {
		return invalid("nothing to update: give at least one field")
	}
	org, err := s.ownClientOrg(r, accountUID, clientUID)
	if err != nil {
		return err
	}
	_, err = s.store.UpdateClient(r.Context(), org, clientUID, u)
	return err
}

func (s *Server) deleteOwnClient(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteOwnClient(r, principal(r).AccountUID, r.PathValue("user_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Your profile was deleted."})
	return nil
}

// DeleteOwnClient deletes a client profile linked to the account, with
// its photo, as DELETE /auth/me/clients/{user_uid} does for the console
// too.
func (s *Server) DeleteOwnClient(r *http.Request, accountUID, clientUID string) error {
	org, err := s.ownClientOrg(r, accountUID, clientUID)
	if err != nil {
		return err
	}
	photo, err := s.store.DeleteClient(r.Context(), org, clientUID)
	if err != nil {
		return err
	}
	s.deletePhoto(r.Context(), photo)
	return nil
}

// ownClientOrg is the organization of a client profile linked to the
// account; any other client is not found.
func (s *Server) ownClientOrg(r *http.Request, accountUID, uid string) (roster.OrgID, error) {
	if !roster.ValidUID(uid) {
		return 0, roster.ErrClientNotFound
	}
	return s.store.OwnClientOrg(r.Context(), accountUID, uid)
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"current_password", "new_password"})
	if err != nil {
		return err
	}
	p := principal(r)
	if err := s.ChangePassword(r, p.AccountUID, p.SignInSessionUID, f["current_password"], f["new_password"]); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Password changed: your other sessions were signed out."})
	return nil
}

// ChangePassword changes an account's password, as POST /auth/me/password
// does for the console too: the current password confirmed, the new one
// held to the password rules, and every other sign-in session of the
// account ended but keep, the one that asked.
func (s *Server) ChangePassword(r *http.Request, accountUID, keep, current, next string) error {
	a, _, err := s.store.Me(r.Context(), accountUID)
	if err != nil {
		return err
	}
	if err := s.confirmPassword(r, a, current, "current_password"); err != nil {
		return err
	}
	hash, err := s.hashNewPassword("new_password", next, a.Email, a.DisplayName)
	if err != nil {
		return err
	}
	return s.store.ChangePassword(r.Context(), accountUID, hash, keep)
}

// confirmPassword checks the password of account a, as sign-in does and
// under the same throttle, so that a stolen token cannot guess it
// quickly. An account without a password has nothing to confirm. Its
// errors name field, so that a form can show them next to it.
func (s *Server) confirmPassword(r *http.Request, a roster.Account, password, field string) error {
	if !a.HasPassword {
		return nil
	}
	if password == "" {
		return roster.FieldErrorf(field, "required")
	}
	_, err := s.throttledCheck(r, a.Email, password)
	if errors.Is(err, roster.ErrWrongCredentials) {
		return &roster.Error{Kind: roster.KindForbidden, Message: field + ": wrong password", Field: field}
	}
	return err
}

func (s *Server) deleteMe(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, nil, "password")
	if err != nil {
		return err
	}
	if err := s.DeleteAccount(r, principal(r).AccountUID, f["password"]); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Account deleted."})
	return nil
}

// DeleteAccount deletes an account, as DELETE /auth/me does for the
// console too: its password confirmed first; the store keeps the rule
// that the last Owner of an organization cannot go.
func (s *Server) DeleteAccount(r *http.Request, accountUID, password string) error {
	a, _, err := s.store.Me(r.Context(), accountUID)
	if err != nil {
		return err
	}
	if err := s.confirmPassword(r, a, password, "password"); err != nil {
		return err
	}
	return s.store.DeleteAccount(r.Context(), accountUID)
}

type linkInvitationJSON struct {
	UID             string `json:"link_uid"`
	OrganizationUID string `json:"organization_uid"`
	CompanyName     string `json:"company_name"`
	UserUID         string `json:"user_uid"`
	Email           string `json:"email"`
	PlatformLink    string `json:"platform_link,omitempty"`
	CreatedAt       string `json:"created_at"`
	ExpiresAt       string `json:"expires_at"`
}

func toLinkInvitationJSON(inv roster.LinkInvitation) linkInvitationJSON {
	return linkInvitationJSON{UID: inv.UID, OrganizationUID: inv.OrgUID, CompanyName: inv.CompanyName,
		UserUID: inv.ClientUID, Email: inv.Email, PlatformLink: inv.PlatformLink,
		CreatedAt: timeJSON(inv.CreatedAt), ExpiresAt: timeJSON(inv.ExpiresAt)}
}

// linkInvitations lists the organizations that ask to link the signed-in
// person's account to their profile of them.
func (s *Server) linkInvitations(w http.ResponseWriter, r *http.Request) error {
	list, err := s.store.LinkInvitations(r.Context(), principal(r).AccountUID)
	if err != nil {
		return err
	}
	out := make([]linkInvitationJSON, len(list))
	for i, inv := range list {
		out[i] = toLinkInvitationJSON(inv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"link_invitations": out})
	return nil
}

func (s *Server) respondLink(w http.ResponseWriter, r *http.Request) error {
	uid, accept, err := readAnswer(w, r, "link_uid")
	if err != nil {
		return err
	}
	if err := s.RespondLink(r, principal(r).AccountUID, uid, accept); err != nil {
		return err
	}
	msg := "Link declined."
	if accept {
		msg = "Linked: the profile is yours to see and edit, and the organization may sign you out."
	}
	writeJSON(w, http.StatusOK, message{msg})
	return nil
}

// RespondLink accepts or declines an invitation to link the account to an
// organization's client profile, as POST /auth/me/link-invitations/respond
// does for the console too: only the invitations to the account's own
// address are found.
func (s *Server) RespondLink(r *http.Request, accountUID, linkUID string, accept bool) error {
	if !roster.ValidUID(linkUID) {
		return roster.ErrLinkInvitationNotFound
	}
	return s.store.RespondLink(r.Context(), accountUID, linkUID, accept)
}

func (s *Server) unlinkOwnClient(w http.ResponseWriter, r *http.Request) error {
	if err := s.UnlinkOwnClient(r, principal(r).AccountUID, r.PathValue("user_uid")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Unlinked: the organization keeps its profile but no longer reaches your account."})
	return nil
}

// UnlinkOwnClient unlinks a client profile from the account, as DELETE
// /auth/me/clients/{user_uid}/link does for the console too: the
// organization keeps the profile.
func (s *Server) UnlinkOwnClient(r *http.Request, accountUID, clientUID string) error {
	if !roster.ValidUID(clientUID) {
		return roster.ErrClientNotFound
	}
	return s.store.UnlinkOwn(r.Context(), accountUID, clientUID)
}
