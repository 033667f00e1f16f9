package roster

// OrgID identifies an organization inside the store. Every store method on
// an organization's data takes one; the api package takes it from the
// authenticated caller, never from the request.
type OrgID int64

// RoleOwner is the role of an organization's owner (the seeds' "super
// admin"); bootstrap makes one.
const RoleOwner = "Owner"

// Plans and the number of clients each allows; 0 means unlimited.
var PlanClientLimits = map[string]int64{
	"Free":       25,
	"Pro":        1000,
	"Enterprise": 0,
}
