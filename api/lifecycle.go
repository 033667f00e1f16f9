package api

import (
	"fmt"
	"net/http"

	"roster"
)

// readClientRef reads the body of the lifecycle requests on clients:
// exactly one of user_uid and external_id.
func readClientRef(w http.ResponseWriter, r *http.Request) (roster.ClientRef, error) {
	ref, _, err := readClientRefWith(w, r)
	return ref, err
}

// readClientRefWith reads a client reference and the optional fields named.
func readClientRefWith(w http.ResponseWriter, r *http.Request, optional ...string) (roster.ClientRef, map[string]string, error) {
	f, err := readStrings(w, r, nil, append([]string{"user_uid", "external_id"}, optional...)...)
	if err != nil {
		return roster.ClientRef{}, nil, err
	}
	ref, err := clientRef(f)
	return ref, f, err
}

func clientRef(f map[string]string) (roster.ClientRef, error) {
	ref := roster.ClientRef{UID: f["user_uid"], ExternalID: f["external_id"]}
	switch {
	case ref.UID == "" && ref.ExternalID == "":
		return ref, invalid("user_uid: required (or external_id)")
	case ref.UID != "" && ref.ExternalID != "":
		return ref, invalid("give user_uid or external_id, not both")
	case ref.UID != "" && !roster.ValidUID(ref.UID):
		return ref, roster.ErrClientNotFound
	}
	return ref, nil
}

func (s *Server) deactivateClient(w http.ResponseWriter, r *http.Request) error {
	return s.setClientActive(w, r, false)
}

func (s *Server) reactivateClient(w http.ResponseWriter, r *http.Request) error {
	return s.setClientActive(w, r, true)
}

func (s *Server) setClientActive(w http.ResponseWriter, r *http.Request, active bool) error {
	ref, err := readClientRef(w, r)
	if err != nil {
		return err
	}
	uid, err := s.store.SetClientActive(r.Context(), principal(r).OrgID, ref, active)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("User with UID %s %s.", uid, activeWord(active))})
	return nil
}

func activeWord(active bool) string {
	if active {
		return "reactivated"
	}
	return "deactivated"
}

func (s *Server) forceLogoutClient(w http.ResponseWriter, r *http.Request) error {
	ref, err := readClientRef(w, r)
	if err != nil {
		return err
	}
	n, err := s.store.ForceLogoutClient(r.Context(), principal(r).OrgID, ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, signedOut(n))
	return nil
}

type signedOutJSON struct {
	Message  string `json:"message"`
	Sessions int64  `json:"sessions"`
}

func signedOut(n int64) signedOutJSON {
	return signedOutJSON{Message: "Signed out of " + roster.Count(n, "session") + ".", Sessions: n}
}

// readStaffUID reads the body of the lifecycle requests on staff.
func readStaffUID(w http.ResponseWriter, r *http.Request) (string, error) {
	f, err := readStrings(w, r, []string{"user_uid"})
	if err != nil {
		return "", err
	}
	if !roster.ValidUID(f["user_uid"]) {
		return "", roster.ErrStaffNotFound
	}
	return f["user_uid"], nil
}

func (s *Server) deactivateStaff(w http.ResponseWriter, r *http.Request) error {
	return s.setStaffActive(w, r, false)
}

func (s *Server) reactivateStaff(w http.ResponseWriter, r *http.Request) error {
	return s.setStaffActive(w, r, true)
}

func (s *Server) setStaffActive(w http.ResponseWriter, r *http.Request, active bool) error {
	uid, err := readStaffUID(w, r)
	if err != nil {
		return err
	}
	if err := s.store.SetStaffActive(r.Context(), principal(r).OrgID, uid, active); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Account %s %s.", uid, activeWord(active))})
	return nil
}

func (s *Server) forceLogoutStaff(w http.ResponseWriter, r *http.Request) error {
	uid, err := readStaffUID(w, r)
	if err != nil {
		return err
	}
	n, err := s.store.ForceLogoutStaff(r.Context(), principal(r).OrgID, uid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, signedOut(n))
	return nil
}

// updateStaff sets what the owner may set of a staff account: its
// sessions_limit and its role, which the organization's last Owner keeps.
func (s *Server) updateStaff(w http.ResponseWriter, r *http.Request) error {
	in, err := readInput(w, r, false, false)
	if err != nil {
		return err
	}
	uid, err := takeString(in.fields, "user_uid")
	if err != nil {
		return err
	}
	rawLimit, hasLimit := in.fields["sessions_limit"]
	rawRole, hasRole := in.fields["role"]
	rawScope, hasScope := in.fields["scope"]
	delete(in.fields, "sessions_limit")
	delete(in.fields, "role")
	delete(in.fields, "scope")
	for k := range in.fields {
		return invalid("%s: unknown field; accepted: user_uid, sessions_limit, role, scope", k)
	}
	if !hasLimit && !hasRole && !hasScope {
		return invalid("sessions_limit: required (null removes the limit), unless role or scope is given")
	}
	u := roster.StaffUpdate{SetRole: hasRole, SetSessionsLimit: hasLimit, SetScope: hasScope}
	if hasRole {
		if u.Role, err = roster.ParseRole(rawRole); err != nil {
			return err
		}
	}
	if hasScope {
		if u.Scope, err = roster.ParseScope(rawScope); err != nil {
			return err
		}
	}
	if hasLimit {
		if u.SessionsLimit, err = roster.ParseSessionsLimit(rawLimit); err != nil {
			return err
		}
	}
	if !roster.ValidUID(uid) {
		return roster.ErrStaffNotFound
	}
	if err := s.store.UpdateStaff(r.Context(), principal(r).OrgID, uid, u); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Sub-admin updated."})
	return nil
}

// inviteLink asks the person with a client's email to link their account
// to it; until they accept, the client gives the organization no power
// over any account.
func (s *Server) inviteLink(w http.ResponseWriter, r *http.Request) error {
	ref, f, err := readClientRefWith(w, r, "platform_link")
	if err != nil {
		return err
	}
	link, err := s.linkOrigins.Check("platform_link", f["platform_link"])
	if err != nil {
		return err
	}
	p := principal(r)
	inv, err := s.store.InviteLink(r.Context(), p.OrgID, roster.LinkRequest{Client: ref, InviterUID: p.AccountUID,
		PlatformLink: link, TTL: s.invitationTTL}, s.limits)
	if err != nil {
		return err
	}
	s.mail.Notify()
	writeJSON(w, http.StatusCreated, toLinkInvitationJSON(inv))
	return nil
}

func (s *Server) unlinkClient(w http.ResponseWriter, r *http.Request) error {
	ref, err := readClientRef(w, r)
	if err != nil {
		return err
	}
	uid, err := s.store.Unlink(r.Context(), principal(r).OrgID, ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("User with UID %s is not linked to an account.", uid)})
	return nil
}
