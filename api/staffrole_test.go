package api_test

import (
	"testing"
)

// TestStaffRole: the Owner makes an Admin an Owner with PUT
// /admin-management/sub-admins/, whose tokens then act as one; an Owner
// becomes an Admin while another Owner remains, and the last Owner cannot;
// a bad role, another organization's member and an Admin are refused.
func TestStaffRole(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.subAdmin("ad@example.com")
		const path = "/admin-management/sub-admins/"
		badWant(t, e.as(admin.Token, "PUT", path, map[string]any{"user_uid": admin.UID, "role": "Owner"}), 403, "super admin privileges")
		for _, role := range []any{"owner", "", 5, nil} {
			badWant(t, e.json("PUT", path, map[string]any{"user_uid": admin.UID, "role": role}), 400, "role: must be Owner or Admin")
		}
		badWant(t, e.json("PUT", path, map[string]any{"user_uid": e.other.OwnerUID, "role": "Admin"}), 404, "sub-admin not found")
		badWant(t, e.json("PUT", path, map[string]any{"user_uid": e.org.OwnerUID, "role": "Admin"}), 400, "last Owner")
		// A refused role takes the sessions limit of the same request
		// with it: nothing of the change is stored, nor audited.
		badWant(t, e.json("PUT", path, map[string]any{"user_uid": e.org.OwnerUID, "role": "Admin", "sessions_limit": 1}), 400, "last Owner")
		if n := len(e.audit(e.org.APIKey, "action=staff.update").Entries); n != 0 {
			t.Fatalf("refused updates left %d staff.update entries", n)
		}

		expect(t, e.json("PUT", path, map[string]any{"user_uid": admin.UID, "role": "Owner"}), 200)
		expect(t, e.as(admin.Token, "GET", "/admin-management/audit-log/", nil), 200)
		// The first Owner, whose key the env uses, becomes an Admin: the
		// key then acts as one.
		expect(t, e.as(admin.Token, "PUT", path, map[string]any{"user_uid": e.org.OwnerUID, "role": "Admin", "sessions_limit": 3}), 200)
		badWant(t, e.json("GET", "/admin-management/audit-log/", nil), 403, "super admin privileges")
		badWant(t, e.as(admin.Token, "PUT", path, map[string]any{"user_uid": admin.UID, "role": "Admin"}), 400, "last Owner")
		list := e.staff(e.org.APIKey, path)
		roles := map[string]string{}
		for _, u := range list.Users {
			roles[u.UID] = u.Role
		}
		if roles[admin.UID] != "Owner" || roles[e.org.OwnerUID] != "Admin" {
			t.Fatalf("roles after the changes: %+v", list.Users)
		}
	})
}
