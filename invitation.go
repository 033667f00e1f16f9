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
