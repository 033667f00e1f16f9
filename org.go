package roster

import "time"

// OrgID identifies an organization inside the store. Every store method on
// an organization's data takes one, and only authentication produces it.
type OrgID int64

// Roles of a staff membership.
const (
	RoleOwner = "Owner"
	RoleAdmin = "Admin"
)

// Plans and the number of clients each allows; 0 means unlimited.
var PlanClientLimits = map[string]int64{
	"Free":       25,
	"Pro":        1000,
	"Enterprise": 0,
}

// Organization is a coaching business, clinic or club.
type Organization struct {
	ID            OrgID
	UID           string
	CompanyName   string
	PaymentType   string
	SessionNumber int64
	Activities    []string
	ClientLimit   int64 // 0: unlimited
	CreatedAt     time.Time
}

// Account is a person who can sign in.
type Account struct {
	UID         string
	Email       string
	DisplayName string
	CreatedAt   time.Time
}

// Principal is the authenticated caller of a request: the staff member an
// API key acts for, and that member's organization.
type Principal struct {
	OrgID      OrgID
	OrgUID     string
	AccountUID string
	Role       string
}
