package console

import (
	"net/http"
	"net/url"
	"strconv"

	"roster"
	"roster/api"
)

// The staff page is the API's /admin-management/ for a person: the
// organization's members and the invitations it sent, read and changed
// through the same store calls and api.Server methods, under the same
// permissions (the guards in routes). The rules (the last Owner stays,
// who may be invited, the limits on mail) are the store's and the
// domain's: the page only leaves out what they would refuse.

// maxShown caps the members and the invitations the page lists: an
// organization's staff are few, and its oldest invitations matter least.
const maxShown = 200

// staffData is what the staff page shows.
type staffData struct {
	Members     []memberRow
	Total       int64 // members in all, when more than the page lists
	Invitations []invitationRow
	Manage      bool   // the viewer may invite and change staff
	Email       string // typed into the invitation form, kept when it was refused
	Error       string
	Message     string
}

// memberRow is one member of the list, with the changes it is offered.
type memberRow struct {
	roster.StaffMember
	You       bool
	LastOwner bool   // the organization's only Owner, whose role, status and place stay
	NewRole   string // the role the member can be given
	// NewScope is the scope an Admin can be given; "" for an Owner, who
	// sees every client whatever their scope.
	NewScope string
}

// invitationRow is one invitation of the list.
type invitationRow struct {
	Token, Email, State, Inviter, Sent, Expires string
	Pending                                     bool
}

// staffMessages are what the page says after a change, by the word the
// change's redirect carries; a member's deactivation, reactivation and
// force logout say what a client's do (doneMessage).
var staffMessages = map[string]string{
	"invited": "Invitation sent.",
	"resent":  "Invitation sent again.",
	"revoked": "Invitation revoked.",
	"role":    "Role changed.",
	"scope":   "Scope changed.",
	"removed": "Member removed.",
	"joined":  "You joined the organization.",
}

func staffMessage(q url.Values) string {
	if m, ok := staffMessages[q.Get("done")]; ok {
		return m
	}
	return doneMessage(q)
}

func (c *Console) staffPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showStaff(w, r, s, staffData{Message: staffMessage(r.URL.Query())}, 0)
}

// showStaff renders the page with the organization's staff and
// invitations, and d's message or refused invitation.
func (c *Console) showStaff(w http.ResponseWriter, r *http.Request, s *session, d staffData, status int) error {
	ctx := r.Context()
	members, total, err := c.st.Staff(ctx, s.p.OrgID, roster.StaffFilter{}, "", maxShown)
	if err != nil {
		return err
	}
	_, owners, err := c.st.Staff(ctx, s.p.OrgID, roster.StaffFilter{Role: roster.RoleOwner}, "", 1)
	if err != nil {
		return err
	}
	invitations, err := c.st.SentInvitations(ctx, s.p.OrgID, maxShown)
	if err != nil {
		return err
	}
	d.Manage = s.p.Can(roster.PermManageStaff)
	if total > int64(len(members)) {
		d.Total = total
	}
	for _, m := range members {
		row := memberRow{StaffMember: m, You: m.UID == s.p.AccountUID, NewRole: roster.RoleOwner,
			LastOwner: m.Role == roster.RoleOwner && owners < 2}
		switch {
		case m.Role == roster.RoleOwner:
			row.NewRole = roster.RoleAdmin
		case m.Scope == roster.ScopeAssigned:
			row.NewScope = roster.ScopeAll
		default:
			row.NewScope = roster.ScopeAssigned
		}
		d.Members = append(d.Members, row)
	}
	now := c.api.Now()
	for _, inv := range invitations {
		state := inv.State(now)
		d.Invitations = append(d.Invitations, invitationRow{Token: inv.Token, Email: inv.InviteeEmail, State: state,
			Inviter: inv.InviterEmail, Sent: when(&inv.CreatedAt), Expires: when(&inv.ExpiresAt),
			Pending: state == roster.InvitationPending})
	}
	c.render(w, r, s, view{Template: "staff", Title: "Staff", Status: status, Data: d})
	return nil
}

func staffURL(done string) string { return Prefix + "staff?done=" + done }

// invite invites the form's email as POST /admin-management/invitation/
// does, with a link to the console's invitation page when the server has
// a public URL, and the bare token otherwise. A refusal the owner can
// correct (a bad or already invited address, a limit) is shown above the
// form with the email kept.
func (c *Console) invite(w http.ResponseWriter, r *http.Request, s *session) error {
	email := r.PostFormValue("email")
	link, err := c.api.MailLink(Prefix + "invitation")
	if err != nil {
		return err
	}
	if _, err := c.api.Invite(r.Context(), s.p, email, link); err != nil {
		switch roster.KindOf(err) {
		case roster.KindInvalid, roster.KindLimit:
		default:
			return err
		}
		status, msg := api.ErrorAnswer(r, err)
		return c.showStaff(w, r, s, staffData{Email: email, Error: msg}, status)
	}
	http.Redirect(w, r, staffURL("invited"), http.StatusSeeOther)
	return nil
}

// resendInvitation mails a pending invitation again, as POST
// /admin-management/invitation/resend/ does.
func (c *Console) resendInvitation(w http.ResponseWriter, r *http.Request, s *session) error {
	if _, err := c.api.ResendInvitation(r.Context(), s.p.OrgID, r.PathValue("token")); err != nil {
		return err
	}
	http.Redirect(w, r, staffURL("resent"), http.StatusSeeOther)
	return nil
}

// confirmation is a page that asks before a change that cannot be undone
// from the staff page.
type confirmation struct {
	Text, Action, Button string
}

func (c *Console) confirmRevokeInvitation(w http.ResponseWriter, r *http.Request, s *session) error {
	inv, err := c.st.SentInvitation(r.Context(), s.p.OrgID, r.PathValue("token"))
	if err != nil {
		return err
	}
	c.render(w, r, s, view{Template: "staff-confirm", Title: "Revoke the invitation to " + inv.InviteeEmail + "?",
		Data: confirmation{Text: "The invitation's link and code stop working at once. " +
			"To invite " + inv.InviteeEmail + " again, send a new invitation.",
			Action: r.URL.Path, Button: "Revoke"}})
	return nil
}

// revokeInvitation deletes the invitation, as DELETE
// /admin-management/invitation/ does.
func (c *Console) revokeInvitation(w http.ResponseWriter, r *http.Request, s *session) error {
	if err := c.st.DeleteInvitation(r.Context(), s.p.OrgID, r.PathValue("token")); err != nil {
		return err
	}
	http.Redirect(w, r, staffURL("revoked"), http.StatusSeeOther)
	return nil
}

// memberUID is the staff uid of the page's path; one that cannot be a uid
// is the API's 404, as one of another organization is.
func memberUID(r *http.Request) (string, error) {
	uid := r.PathValue("uid")
	if !roster.ValidUID(uid) {
		return "", roster.ErrStaffNotFound
	}
	return uid, nil
}

// setRole gives the member the form's role, as PUT
// /admin-management/sub-admins/ with a role does. The store keeps the last
// Owner's role, in the API's words.
func (c *Console) setRole(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.updateMember(w, r, s, roster.StaffUpdate{SetRole: true, Role: r.PostFormValue("role")}, "role")
}

// setScope gives the member the form's scope, as PUT
// /admin-management/sub-admins/ with a scope does.
func (c *Console) setScope(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.updateMember(w, r, s, roster.StaffUpdate{SetScope: true, Scope: r.PostFormValue("scope")}, "scope")
}

// updateMember makes u's change to the page's member through the store
// call the API's PUT /admin-management/sub-admins/ makes, and says done.
func (c *Console) updateMember(w http.ResponseWriter, r *http.Request, s *session, u roster.StaffUpdate, done string) error {
	uid, err := memberUID(r)
	if err != nil {
		return err
	}
	if err := c.st.UpdateStaff(r.Context(), s.p.OrgID, uid, u); err != nil {
		return err
	}
	http.Redirect(w, r, staffURL(done), http.StatusSeeOther)
	return nil
}

// memberChanges are the changes to a member that the page asks about
// first, by the last word of their path: what each does, in the words of
// its confirmation.
var memberChanges = map[string]struct{ button, text string }{
	"deactivate": {"Deactivate", "cannot sign in until reactivated: their sessions and API keys stop working at once."},
	"remove": {"Remove", "leaves the organization: the API keys they made for it are revoked, " +
		"and only a new invitation brings them back."},
}

func (c *Console) confirmMemberChange(w http.ResponseWriter, r *http.Request, s *session) error {
	change, ok := memberChanges[r.PathValue("change")]
	if !ok {
		return errNoPage
	}
	uid, err := memberUID(r)
	if err != nil {
		return err
	}
	m, err := c.st.StaffMember(r.Context(), s.p.OrgID, uid)
	if err != nil {
		return err
	}
	c.render(w, r, s, view{Template: "staff-confirm", Title: change.button + " " + m.DisplayName + "?",
		Data: confirmation{Text: m.DisplayName + " (" + m.Email + ") " + change.text, Action: r.URL.Path, Button: change.button}})
	return nil
}

// setMemberActive deactivates or reactivates the member, as POST
// /admin-management/sub-admins/deactivate/ and .../reactivate/ do.
func (c *Console) setMemberActive(active bool) handler {
	return func(w http.ResponseWriter, r *http.Request, s *session) error {
		uid, err := memberUID(r)
		if err != nil {
			return err
		}
		if err := c.st.SetStaffActive(r.Context(), s.p.OrgID, uid, active); err != nil {
			return err
		}
		http.Redirect(w, r, staffURL(activeDone(active)), http.StatusSeeOther)
		return nil
	}
}

func activeDone(active bool) string {
	if active {
		return "reactivated"
	}
	return "deactivated"
}

// forceLogoutMember ends the member's sign-in sessions, as POST
// /admin-management/sub-admins/force-logout/ does.
func (c *Console) forceLogoutMember(w http.ResponseWriter, r *http.Request, s *session) error {
	uid, err := memberUID(r)
	if err != nil {
		return err
	}
	n, err := c.st.ForceLogoutStaff(r.Context(), s.p.OrgID, uid)
	if err != nil {
		return err
	}
	http.Redirect(w, r, staffURL("signed-out")+"&sessions="+strconv.FormatInt(n, 10), http.StatusSeeOther)
	return nil
}

// removeMember removes the member, as DELETE /admin-management/sub-admins/
// does.
func (c *Console) removeMember(w http.ResponseWriter, r *http.Request, s *session) error {
	uid, err := memberUID(r)
	if err != nil {
		return err
	}
	if err := c.st.RemoveStaff(r.Context(), s.p.OrgID, uid); err != nil {
		return err
	}
	http.Redirect(w, r, staffURL("removed"), http.StatusSeeOther)
	return nil
}
