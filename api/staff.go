package api

import (
	"context"
	"fmt"
	"net/http"

	"roster"
)

// Staff lists are paged by account uid: 50 members a page unless asked
// otherwise, and never more than maxLimit.
const defaultStaffLimit = 50

type staffJSON struct {
	UID         string `json:"uid"`
	Email       string `json:"email"`
	DisplayName string `json:"display_name"`
	Role        string `json:"role,omitempty"`
	Scope       string `json:"scope,omitempty"` // shown with the role
	Status      string `json:"status"`
}

type staffListJSON struct {
	QueryCount int64       `json:"query_count"`
	Users      []staffJSON `json:"users"`
}

func (s *Server) adminsList(w http.ResponseWriter, r *http.Request) error {
	return s.writeStaff(w, r, false)
}

func (s *Server) subAdmins(w http.ResponseWriter, r *http.Request) error {
	return s.writeStaff(w, r, true)
}

// writeStaff answers both staff lists: the sub-admins list also names each
// member's role, as the seed's schema does.
func (s *Server) writeStaff(w http.ResponseWriter, r *http.Request, withRole bool) error {
	v, err := params(r, staffParams)
	if err != nil {
		return err
	}
	limit, err := intParam(v, "limit", defaultStaffLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	f, err := parseStaffFilter(v)
	if err != nil {
		return err
	}
	staff, total, err := s.store.Staff(r.Context(), principal(r).OrgID, f, v["start_after_id"], limit)
	if err != nil {
		return err
	}
	if len(staff) == 0 {
		return roster.Errorf(roster.KindNotFound, "no admins found after this position")
	}
	out := staffListJSON{QueryCount: total, Users: make([]staffJSON, len(staff))}
	for i, m := range staff {
		out.Users[i] = toStaffJSON(m, withRole)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// toStaffJSON is a staff member as the lists show one, with the role and
// scope as the sub-admins list has them when withRole.
func toStaffJSON(m roster.StaffMember, withRole bool) staffJSON {
	j := staffJSON{UID: m.UID, Email: m.Email, DisplayName: m.DisplayName, Status: m.Status}
	if withRole {
		j.Role, j.Scope = m.Role, m.Scope
	}
	return j
}

func (s *Server) addSubAdmin(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"user_uid"})
	if err != nil {
		return err
	}
	if !roster.ValidUID(f["user_uid"]) {
		return roster.Errorf(roster.KindNotFound, "user not found")
	}
	p := principal(r)
	inv, err := s.store.InviteClient(r.Context(), p.OrgID, p.AccountUID, f["user_uid"], s.invitationTTL, s.limits)
	if err != nil {
		return err
	}
	s.mail.Notify()
	writeJSON(w, http.StatusCreated, message{fmt.Sprintf("Invitation sent to %s: they become a sub-admin when they accept it.", inv.InviteeEmail)})
	return nil
}

func (s *Server) removeSubAdmin(w http.ResponseWriter, r *http.Request) error {
	uid, err := readStaffUID(w, r)
	if err != nil {
		return err
	}
	if err := s.store.RemoveStaff(r.Context(), principal(r).OrgID, uid); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Sub-admin removed."})
	return nil
}

type invitationJSON struct {
	InviteToken      string `json:"invite_token,omitempty"` // never empty but in webhooks, which leave it out
	AdminUID         string `json:"admin_uid"`
	AdminEmail       string `json:"admin_email,omitempty"`
	AdminDisplayName string `json:"admin_display_name,omitempty"`
	InviteeEmail     string `json:"invitee_email"`
	Status           string `json:"status"`
	CreatedAt        string `json:"created_at"`
	ExpiresAt        string `json:"expires_at"`
	PlatformLink     string `json:"platform_link,omitempty"`
	OrganizationUID  string `json:"organization_uid,omitempty"`
	CompanyName      string `json:"company_name,omitempty"`
}

func toInvitationJSON(inv roster.Invitation) invitationJSON {
	return invitationJSON{InviteToken: inv.Token, AdminUID: inv.InviterUID, AdminEmail: inv.InviterEmail,
		AdminDisplayName: inv.InviterName, InviteeEmail: inv.InviteeEmail, Status: inv.Status,
		CreatedAt: timeJSON(inv.CreatedAt), ExpiresAt: timeJSON(inv.ExpiresAt), PlatformLink: inv.PlatformLink,
		OrganizationUID: inv.OrgUID, CompanyName: inv.CompanyName}
}

func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) error {
	v, err := params(r, []string{"limit"})
	if err != nil {
		return err
	}
	limit, err := intParam(v, "limit", defaultStaffLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	list, err := s.store.Invitations(r.Context(), principal(r), limit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		return s.noInvitations(r.Context(), principal(r).AccountUID)
	}
	out := make([]invitationJSON, len(list))
	for i, inv := range list {
		out[i] = toInvitationJSON(inv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
	return nil
}

// noInvitations answers a list with none in it. An account whose email is
// not verified is shown none addressed to it, whether there are any or not
// (anyone may sign up with any address), so it is told to verify rather
// than that there are none.
func (s *Server) noInvitations(ctx context.Context, accountUID string) error {
	a, _, err := s.store.Me(ctx, accountUID)
	if err != nil {
		return err
	}
	if !a.EmailVerified {
		return roster.Errorf(roster.KindForbidden,
			"verify your email address first: the invitations addressed to it are listed once you have (see the mail sent when you signed up)")
	}
	return roster.Errorf(roster.KindNotFound, "no invitations found")
}

func (s *Server) createInvitation(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"user_email"}, "platform_link")
	if err != nil {
		return err
	}
	inv, err := s.Invite(r.Context(), principal(r), f["user_email"], f["platform_link"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toInvitationJSON(inv))
	return nil
}

// Invite invites email (the user_email field) to become an Admin of p's
// organization, within its limits, and has the mail that tells them sent:
// with platformLink, which must be on an origin links in mail may point
// to, to answer it at, or with the bare token for none.
func (s *Server) Invite(ctx context.Context, p roster.Principal, email, platformLink string) (roster.Invitation, error) {
	link, err := s.linkOrigins.Check("platform_link", platformLink)
	if err != nil {
		return roster.Invitation{}, err
	}
	email, err = roster.ParseEmail("user_email", email)
	if err != nil {
		return roster.Invitation{}, err
	}
	inv, err := s.store.CreateInvitation(ctx, p.OrgID, p.AccountUID, email, link, s.invitationTTL, s.limits)
	if err != nil {
		return inv, err
	}
	s.mail.Notify()
	return inv, nil
}

func (s *Server) deleteInvitation(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"invite_token"})
	if err != nil {
		return err
	}
	if err := s.store.DeleteInvitation(r.Context(), principal(r).OrgID, f["invite_token"]); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{"Invitation removed."})
	return nil
}

func (s *Server) respondInvitation(w http.ResponseWriter, r *http.Request) error {
	token, accept, err := readAnswer(w, r, "invite_token")
	if err != nil {
		return err
	}
	if err := s.store.RespondInvitation(r.Context(), principal(r).AccountUID, token, accept); err != nil {
		return err
	}
	msg := "Invitation declined."
	if accept {
		msg = "Invitation accepted: you are now an admin of the organization."
	}
	writeJSON(w, http.StatusOK, message{msg})
	return nil
}

// readAnswer reads the answer to an invitation: the invitation, named by
// field, and user_response.
func readAnswer(w http.ResponseWriter, r *http.Request, field string) (id string, accept bool, err error) {
	f, err := readStrings(w, r, []string{field, "user_response"})
	if err != nil {
		return "", false, err
	}
	accept, err = roster.ParseResponse(f["user_response"])
	if err != nil {
		return "", false, err
	}
	return f[field], accept, nil
}
