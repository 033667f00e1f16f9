package api

import (
	"context"
	"net/http"

	"roster"
)

type deadMailJSON struct {
	UID         string `json:"uid"`
	Kind        string `json:"kind"`
	Recipient   string `json:"recipient"`
	LastError   string `json:"last_error"`
	FailedAt    string `json:"failed_at"`
	CreatedAt   string `json:"created_at"`
	InviteToken string `json:"invite_token,omitempty"`
}

// deadMail answers the organization's dead mail, newest first, a keyset
// page at a time as the audit log is: next_before_id is the before_id of
// the next page, "" when none is left. An invitation's entry names it by
// invite_token, for POST /admin-management/invitation/resend/.
func (s *Server) deadMail(w http.ResponseWriter, r *http.Request) error {
	limit, before, err := beforePage(r, defaultAuditLimit, roster.IsNewUID, "a dead message's uid, 20 letters and digits")
	if err != nil {
		return err
	}
	// One message more than the page tells whether another page follows.
	list, err := s.store.DeadMail(r.Context(), principal(r).OrgID, before, limit+1)
	if err != nil {
		return err
	}
	list, next := nextPage(list, limit, func(d roster.DeadMail) string { return d.UID })
	out := struct {
		Mail         []deadMailJSON `json:"mail"`
		NextBeforeID string         `json:"next_before_id"`
	}{Mail: make([]deadMailJSON, len(list)), NextBeforeID: next}
	for i, d := range list {
		out.Mail[i] = deadMailJSON{UID: d.UID, Kind: d.Kind, Recipient: d.To, LastError: d.LastError,
			FailedAt: timeJSON(d.FailedAt), CreatedAt: timeJSON(d.CreatedAt), InviteToken: d.InviteToken}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// resendInvitation queues the mail of a pending invitation again, for one
// whose mail died or was lost.
func (s *Server) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	f, err := readStrings(w, r, []string{"invite_token"})
	if err != nil {
		return err
	}
	inv, err := s.ResendInvitation(r.Context(), principal(r).OrgID, f["invite_token"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toInvitationJSON(inv))
	return nil
}

// ResendInvitation has the mail of one of org's pending invitations sent
// again, within the organization's limits.
func (s *Server) ResendInvitation(ctx context.Context, org roster.OrgID, token string) (roster.Invitation, error) {
	inv, err := s.store.ResendInvitation(ctx, org, token, s.limits)
	if err != nil {
		return inv, err
	}
	s.mail.Notify()
	return inv, nil
}
