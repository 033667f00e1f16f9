package roster

import "time"

// Account is a person who can sign in.
type Account struct {
	UID           string
	Email         string
	DisplayName   string
	HasPassword   bool
	EmailVerified bool // the account proved it reads its email
	CreatedAt     time.Time
}

// NewAccount is an account to create.
type NewAccount struct {
	Email, DisplayName string
	PasswordHash       string // "" for none
	// EmailVerified says the email is proven: by a code mailed to it, an
	// identity provider or the operator. An unverified account can sign
	// in but not act on its email: see invitations or link profiles.
	EmailVerified bool
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
	Scope       string // ScopeAll or ScopeAssigned
	Status      string // the membership's, "Active", or StaffDeactivated; StaffRemoved in a staff.removed event
	Deactivated bool   // the organization deactivated the account: it cannot sign in
}

// Statuses of a staff member beside their membership's, as the staff lists
// and webhooks show them.
const (
	// StaffDeactivated is a member whose account the organization
	// deactivated: they stay staff, and their membership Active, so that
	// reactivating gives everything back; the lists tell them apart.
	StaffDeactivated = "Deactivated"
	// StaffRemoved is a member who left, in the staff.removed event only:
	// no list shows them any more.
	StaffRemoved = "Removed"
)

// StaffUpdate is a change to a staff member, made whole or not at all: the
// cap on their simultaneous sign-in sessions (nil removes it), and their
// role, Owner or Admin; their scope, all or assigned; each only when its Set flag is.
type StaffUpdate struct {
	SetSessionsLimit bool
	SessionsLimit    *int64
	SetRole          bool
	Role             string
	SetScope         bool
	Scope            string
}

// ErrStaffNotFound is the answer for a staff uid that is not of the
// caller's organization, whether it is another's or nobody's.
var ErrStaffNotFound = Errorf(KindNotFound, "sub-admin not found in this organization")

// ParseEmail validates a required email field.
func ParseEmail(name string, v any) (string, error) {
	s, err := emailValue(v)
	if err != nil {
		return "", FieldErrorf(name, "%v", err)
	}
	return s, nil
}

// ParseDisplayName validates a required display name field.
func ParseDisplayName(name string, v any) (string, error) {
	s, err := displayName(v)
	if err != nil {
		return "", FieldErrorf(name, "%v", err)
	}
	return s, nil
}
