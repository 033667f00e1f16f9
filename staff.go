package roster

import (
	"fmt"
	"time"
)

// RoleAdmin is the role of a sub-admin: an accepted invitation makes one.
const RoleAdmin = "Admin"

// Permission is something a caller may be allowed to do.
type Permission int

const (
	// PermClients: clients, notes, photos and analysis sessions.
	PermClients Permission = iota
	// PermReadStaff: the staff lists and the organization's status.
	PermReadStaff
	// PermManageStaff: invitations and adding or removing sub-admins, the
	// seeds' "super admin privileges".
	PermManageStaff
	// PermOwnAPIKeys: creating, listing and revoking one's own API keys.
	PermOwnAPIKeys
	// PermAuditLog: reading the organization's audit log.
	PermAuditLog
)

// permissions is the role table, the one place that says who may do what
// inside an organization. An account with no organization (Role "") has
// none of these: it may only read itself and list and answer the
// invitations addressed to it, which need a signed-in account and nothing
// more. API keys act as the staff member who created them.
var permissions = map[string][]Permission{
	RoleOwner: {PermClients, PermReadStaff, PermManageStaff, PermOwnAPIKeys, PermAuditLog},
	RoleAdmin: {PermClients, PermReadStaff, PermOwnAPIKeys},
}

// Can reports whether the principal's role grants perm.
func (p Principal) Can(perm Permission) bool {
	for _, have := range permissions[p.Role] {
		if have == perm {
			return true
		}
	}
	return false
}

// Forbidden explains why p may not do what perm guards.
func (p Principal) Forbidden(perm Permission) error {
	switch {
	case p.OrgID == 0:
		return Errorf(KindForbidden, "this account is not staff of an organization: accept an invitation first")
	case perm == PermManageStaff || perm == PermAuditLog:
		return Errorf(KindForbidden, "this requires super admin privileges: only the organization's Owner may manage invitations and sub-admins and read the audit log")
	}
	return Errorf(KindForbidden, "the %s role may not do this", p.Role)
}

// Account is a person who can sign in.
type Account struct {
	UID           string
	Email         string
	DisplayName   string
	HasPassword   bool
	EmailVerified bool // the account proved it reads its email
	CreatedAt     time.Time
}

// Membership is an account's place in its organization, as /auth/me shows it.
type Membership struct {
	OrgUID      string
	CompanyName string
	Role        string
}

// StaffMember is one row of the staff lists.
type StaffMember struct {
	UID         string
	Email       string
	DisplayName string
	Role        string
	Status      string // "Active"
}

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

// ParseEmail validates a required email field.
func ParseEmail(name string, v any) (string, error) {
	s, err := emailValue(v)
	if err != nil {
		return "", Errorf(KindInvalid, "%s: %v", name, err)
	}
	return s, nil
}

// ParseDisplayName validates a required display name field.
func ParseDisplayName(name string, v any) (string, error) {
	s, err := displayName(v)
	if err != nil {
		return "", Errorf(KindInvalid, "%s: %v", name, err)
	}
	return s, nil
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

// Sign-in throttling: after freeAccountFailures failed sign-ins to one
// account (or freeAddressFailures from one address) each further failure
// doubles the wait before the next try, up to maxThrottle. Failures older
// than throttleWindow are forgotten.
const (
	freeAccountFailures = 5
	freeAddressFailures = 20
	maxThrottle         = 15 * time.Minute
	ThrottleWindow      = time.Hour
)

// ThrottleDelay is how long sign-in stays blocked after the given number of
// recent failures for an account (perAddress false) or an address.
func ThrottleDelay(failures int, perAddress bool) time.Duration {
	free := freeAccountFailures
	if perAddress {
		free = freeAddressFailures
	}
	if failures < free {
		return 0
	}
	if n := failures - free; n < 10 {
		return min(time.Second<<n, maxThrottle)
	}
	return maxThrottle
}

// APIKeyInfo describes an API key without its secret.
type APIKeyInfo struct {
	KeyID      string
	Name       string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}
