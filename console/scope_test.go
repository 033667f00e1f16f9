package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
)

// TestScopedAdminClientPages: an Admin whose scope is assigned finds in
// the console only the clients assigned to them: the list leaves the
// others out, and their pages and forms are the 404 of an unknown client.
func TestScopedAdminClientPages(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addAdmin(t, e.org, "coach@example.com")
		if err := e.st.UpdateStaff(t.Context(), e.org.ID, admin.OwnerUID, roster.StaffUpdate{SetScope: true, Scope: roster.ScopeAssigned}); err != nil {
			t.Fatal(err)
		}
		mine := e.addClient(e.org, "mine@example.com", "Mine Athlete")
		other := e.addClient(e.org, "other@example.com", "Other Athlete")
		if _, err := e.st.SetCoach(t.Context(), e.org.ID, mine.UID, admin.OwnerUID, true); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		token := b.signIn(admin)
		list := b.get("/console/clients")
		if list.status != http.StatusOK || !strings.Contains(list.body, "Mine Athlete") || strings.Contains(list.body, "Other Athlete") {
			t.Errorf("list: %d, mine shown %v, other shown %v", list.status, strings.Contains(list.body, "Mine Athlete"),
				strings.Contains(list.body, "Other Athlete"))
		}
		if a := b.get("/console/clients/" + mine.UID); a.status != http.StatusOK {
			t.Errorf("assigned client's page: %d", a.status)
		}
		for _, a := range []answer{
			b.get("/console/clients/" + other.UID),
			b.post("/console/clients/"+other.UID+"/note", url.Values{"csrf": {token}, "note": {"mine now"}}),
		} {
			if a.status != http.StatusNotFound || !strings.Contains(a.body, "user not found or not under this organization") {
				t.Errorf("unassigned client: %d %s", a.status, a.body)
			}
		}
		if got, err := e.st.Client(t.Context(), e.org.ID, other.UID); err != nil || got.Note != nil {
			t.Errorf("the unassigned client changed: %+v %v", got.Note, err)
		}
	})
}
