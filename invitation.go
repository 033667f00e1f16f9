package roster

import (
	"fmt"
	"time"
)

// Invitation statuses.
const (
	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationDeclined = "declined"
	InvitationExpired  = "expired"
)

// DefaultInvitationTTL is how long an invitation can be answered.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// Invitation asks someone by email to become an Admin of an organization.
type Invitation struct {
	Token        string
	OrgUID       string
	CompanyName  string
	InviterUID   string
	InviterEmail string
	InviterName  string
	InviteeEmail string
	Status       string
	PlatformLink string // empty when none was given
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// ErrInvitationNotFound is the seed's 404 for an unknown or answered
// invitation.
var ErrInvitationNotFound = Errorf(KindNotFound, "invitation not found or already responded to")

// InvitationScope is which pending invitations someone may see: those
// addressed to the email of InviteeUID's account, once the account proved
// it owns the address, and those that SentBy sent (0: none). The store
// applies it; this package decides it.
type InvitationScope struct {
	InviteeUID string
	SentBy     OrgID
}

// InvitationScopeOf decides which invitations p may see: everyone the
// ones addressed to them, and whoever manages an organization's staff the
// ones it sent.
func InvitationScopeOf(p Principal) InvitationScope {
	scope := InvitationScope{InviteeUID: p.AccountUID}
	if p.Can(PermManageStaff) {
		scope.SentBy = p.OrgID
	}
	return scope
}

// CheckInvitationOpen reports whether an invitation with this status that
// expires at expires can still be answered at now. An answered invitation
// is as unknown as one that never existed.
func CheckInvitationOpen(status string, expires, now time.Time) error {
	switch {
	case status != InvitationPending:
		return ErrInvitationNotFound
	case !expires.After(now):
		return Errorf(KindNotFound, "invitation has expired: ask for a new one")
	}
	return nil
}

// State is the invitation's status as of now: a pending one past its
// expiry is expired, whether or not the store has recorded it yet (it
// does so only when the address is invited again).
func (inv Invitation) State(now time.Time) string {
	if inv.Status == InvitationPending && !inv.ExpiresAt.After(now) {
		return InvitationExpired
	}
	return inv.Status
}

// ParseResponse reads the answer to an invitation, the user_response
// field: accept (true) or decline.
func ParseResponse(v string) (accept bool, err error) {
	switch v {
	case "accept":
		return true, nil
	case "decline":
		return false, nil
	}
	return false, Errorf(KindInvalid, "user_response: must be accept or decline")
}

// Respondent is an account answering an invitation, as the decision needs
// it: the key of its email (EmailKey) and whether it proved it owns it.
type Respondent struct {
	EmailKey      string
	EmailVerified bool
}

// CheckRespondent reports whether r may answer an invitation addressed to
// the email whose key is inviteeKey: only the invitee may, and only once
// it proved it owns the address, since anyone can sign up with any
// address.
func CheckRespondent(inviteeKey string, r Respondent) error {
	switch {
	case r.EmailKey != inviteeKey:
		return Errorf(KindForbidden, "this invitation is addressed to another email address")
	case !r.EmailVerified:
		return Errorf(KindForbidden, "verify your email address first: see the mail sent when you signed up")
	}
	return nil
}

// InvitationLink is the link an invitation email carries: the platform
// link with the token added as invite_token, or, without a platform link,
// the bare token for the invitee to paste.
func InvitationLink(platformLink, token string) string {
	if platformLink == "" {
		return token
	}
	return withParam(platformLink, "invite_token", token)
}

// InvitationMail is the email that tells the invitee about inv. It names
// the inviter by email, not by display name: a name is whatever its
// account typed, and a mail must not carry a link or text a caller chose
// (a name such as "Security team: confirm at https://…").
func InvitationMail(inv Invitation) Mail {
	link := InvitationLink(inv.PlatformLink, inv.Token)
	return Mail{
		To:      inv.InviteeEmail,
		Subject: fmt.Sprintf("You are invited to join %s on Roster", inv.CompanyName),
		Body: fmt.Sprintf("%s invites you to become an admin of %s.\n\n"+
			"Accept the invitation here: %s\n\n"+
			"Sign in or sign up with this email address (%s) to answer it. "+
			"The invitation expires on %s.\n",
			inv.InviterEmail, inv.CompanyName, link, inv.InviteeEmail,
			inv.ExpiresAt.UTC().Format("2 January 2006 at 15:04 UTC")),
	}
}
