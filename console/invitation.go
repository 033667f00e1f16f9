package console

import (
	"net/http"

	"roster"
)

// The invitation page is where an invitation's mail links to, with its
// token as invite_token: the invitee, signed in, sees what they are
// invited to and answers as POST /admin-management/invitation/respond/
// does. The store checks, for the page as for the answer, that the
// invitation is open and addressed to the person's verified email.

// invitationData is what the invitation page shows.
type invitationData struct {
	Invitation roster.Invitation
	Role       string
	Expires    string
	Answer     string // what the answer did, once given
}

// invitationToken is the token of the page's query or form; none is as
// unknown as a wrong one.
func invitationToken(r *http.Request) (string, error) {
	token := r.FormValue("invite_token")
	if token == "" {
		return "", roster.ErrInvitationNotFound
	}
	return token, nil
}

func (c *Console) invitationPage(w http.ResponseWriter, r *http.Request, s *session) error {
	token, err := invitationToken(r)
	if err != nil {
		return err
	}
	inv, err := c.st.InvitationToAnswer(r.Context(), s.p.AccountUID, token)
	if err != nil {
		return err
	}
	c.render(w, r, s, view{Template: "invitation", Title: "Join " + inv.CompanyName,
		Data: invitationData{Invitation: inv, Role: roster.RoleAdmin, Expires: when(&inv.ExpiresAt)}})
	return nil
}

// answerInvitation accepts or declines the invitation. Accepting makes the
// person an Admin, whose console is the organization's: its staff page
// shows them among the members.
func (c *Console) answerInvitation(w http.ResponseWriter, r *http.Request, s *session) error {
	token, err := invitationToken(r)
	if err != nil {
		return err
	}
	accept, err := roster.ParseResponse(r.PostFormValue("user_response"))
	if err != nil {
		return err
	}
	if err := c.st.RespondInvitation(r.Context(), s.p.AccountUID, token, accept); err != nil {
		return err
	}
	if accept {
		http.Redirect(w, r, staffURL("joined"), http.StatusSeeOther)
		return nil
	}
	c.render(w, r, s, view{Template: "invitation", Title: "Invitation declined",
		Data: invitationData{Answer: "You declined the invitation. Whoever sent it can invite you again."}})
	return nil
}
