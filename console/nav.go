package console

import (
	"net/http"
	"strings"

	"roster"
)

// may serves h to a signed-in staff member whose role grants perm, the
// permission the API's routes for the same thing ask for; others get the
// API's 403 and its words.
func (c *Console) may(perm roster.Permission, h handler) http.Handler {
	return c.signedIn(func(w http.ResponseWriter, r *http.Request, s *session) error {
		if err := permitted(s, perm); err != nil {
			return err
		}
		return h(w, r, s)
	})
}

// permitted refuses s unless it is signed in with a role that grants perm.
func permitted(s *session, perm roster.Permission) error {
	switch {
	case !s.signedIn:
		return errSignedOut
	case !s.p.Can(perm):
		return s.p.Forbidden(perm)
	}
	return nil
}

// navLink is a page of the main navigation.
type navLink struct {
	Path, Label string
	Perm        roster.Permission
	Anyone      bool // every signed-in person may open it, staff or not
	Current     bool
}

// navPages are the pages of the main navigation, each with the
// permission its page asks for.
var navPages = []navLink{
	{Path: Prefix + "clients", Label: "Clients", Perm: roster.PermClients},
	{Path: Prefix + "import-export", Label: "Import and export", Perm: roster.PermClients},
	{Path: Prefix + "organization", Label: "Organization", Perm: roster.PermReadStaff},
	{Path: Prefix + "staff", Label: "Staff", Perm: roster.PermReadStaff},
	{Path: Prefix + "api-keys", Label: "API keys", Perm: roster.PermOwnAPIKeys},
	{Path: Prefix + "audit", Label: "Audit log", Perm: roster.PermAuditLog},
	{Path: Prefix + "account", Label: "My account", Anyone: true},
}

// menu is the navigation s is offered: only the pages its role may open,
// so that nobody is shown a link to a refusal.
func menu(s *session, path string) []navLink {
	var out []navLink
	for _, l := range navPages {
		if s.signedIn && (l.Anyone || s.p.Can(l.Perm)) {
			// A page is current on its own path and on those under it (a
			// client's page is under the clients).
			l.Current = path == l.Path || strings.HasPrefix(path, l.Path+"/")
			out = append(out, l)
		}
	}
	return out
}
