package roster

// Principal is the authenticated caller of a request: the account signed
// in (or the staff member an API key acts for) and that account's
// organization. OrgID is 0 and Role "" for an account that is not staff.
type Principal struct {
	OrgID            OrgID
	OrgUID           string
	AccountUID       string
	Role             string
	Scope            string // the staff member's scope: ScopeAll or ScopeAssigned
	SignInSessionUID string // the sign-in session of a Roster bearer token; "" otherwise
	KeyID            string // the public id of the API key that authenticated the request; "" for a person
}

// RoleAdmin is the role of a sub-admin: an accepted invitation makes one.
const RoleAdmin = "Admin"

// ParseRole validates a staff member's role, the role field: Owner or
// Admin.
func ParseRole(v any) (string, error) {
	if s, _ := v.(string); s == RoleOwner || s == RoleAdmin {
		return s, nil
	}
	return "", FieldErrorf("role", "must be %s or %s", RoleOwner, RoleAdmin)
}

// A staff member's scope: which of the organization's clients they see
// and change. An Owner sees all whatever their scope says.
const (
	ScopeAll      = "all"
	ScopeAssigned = "assigned"
)

// ParseScope validates a staff member's scope, the scope field.
func ParseScope(v any) (string, error) {
	if s, _ := v.(string); s == ScopeAll || s == ScopeAssigned {
		return s, nil
	}
	return "", FieldErrorf("scope", "must be %s or %s", ScopeAll, ScopeAssigned)
}

// Coach is the account uid p's scope limits them to, the clients assigned
// to it; "" when p sees every client of the organization.
func (p Principal) Coach() string {
	if p.Role == RoleAdmin && p.Scope == ScopeAssigned {
		return p.AccountUID
	}
	return ""
}

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
	// PermWebhooks: managing the organization's webhook endpoints, which
	// see every change and hold signing secrets.
	PermWebhooks
)

// permissions is the role table, the one place that says who may do what
// inside an organization. An account with no organization (Role "") has
// none of these: it may only read itself and list and answer the
// invitations addressed to it, which need a signed-in account and nothing
// more. API keys act as the staff member who created them.
var permissions = map[string][]Permission{
	RoleOwner: {PermClients, PermReadStaff, PermManageStaff, PermOwnAPIKeys, PermAuditLog, PermWebhooks},
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
	case perm == PermManageStaff || perm == PermAuditLog || perm == PermWebhooks:
		return Errorf(KindForbidden, "this requires super admin privileges: only the organization's Owner may manage invitations, sub-admins and webhooks and read the audit log")
	}
	return Errorf(KindForbidden, "the %s role may not do this", p.Role)
}
