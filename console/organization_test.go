package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store/storetest"
)

var shownFieldRow = regexp.MustCompile(`<div><dt>([^<]+)</dt><dd[^>]*>([^<]*)</dd></div>`)

// shownFields are the label and value pairs of a page's field list.
func shownFieldsOf(body string) map[string]string {
	out := map[string]string{}
	for _, m := range shownFieldRow.FindAllStringSubmatch(body, -1) {
		out[html.UnescapeString(m[1])] = html.UnescapeString(m[2])
	}
	return out
}

// TestOrganization: the owner and an Admin see the plan, its client limit
// and the clients that count against it (deactivated ones too), the
// analysis sessions left and recorded, and the activities, of their own
// organization only.
func TestOrganization(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		five := int64(5)
		if _, err := e.st.UpdateOrganization(ctx, e.org.UID, roster.OrganizationUpdate{SessionNumber: &five}); err != nil {
			t.Fatal(err)
		}
		ada := e.addClient(e.org, "ada@example.com", "Ada")
		gone := e.addClient(e.org, "gone@example.com", "Gone")
		if _, err := e.st.SetClientActive(ctx, e.org.ID, roster.ClientRef{UID: gone.UID}, false); err != nil {
			t.Fatal(err)
		}
		e.addClient(e.other, "theirs@example.com", "Theirs")
		now := e.clock.Now()
		if _, err := e.st.RecordAnalysisSession(ctx, e.org.ID, ada.UID, &roster.AnalysisSession{UID: roster.NewUID(now),
			Activity: "Running", Time: now.Add(-time.Hour), Duration: 60, CreatedBy: e.org.OwnerUID, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		admin := e.addAdmin(t, e.org, "admin@example.com")

		for role, org := range map[string]storetest.Org{roster.RoleOwner: e.org, roster.RoleAdmin: admin} {
			b := e.browser()
			b.signIn(org)
			a := b.get("/console/organization")
			want := map[string]string{
				"Plan": "Pro", "Client limit": strconv.FormatInt(roster.PlanClientLimits["Pro"], 10), "Clients": "2",
				"Analysis sessions left": "4", "Analysis sessions recorded": "1", "Your role": role,
				"Activities": strings.Join(roster.Activities, ", "), "Organization uid": e.org.UID,
			}
			got := shownFieldsOf(a.body)
			if a.status != http.StatusOK || !strings.Contains(a.body, "<h1>Club "+e.org.OwnerEmail+"</h1>") {
				t.Fatalf("%s: %d %s", role, a.status, a.body)
			}
			for label, v := range want {
				if got[label] != v {
					t.Errorf("%s sees %s %q; want %q", role, label, got[label], v)
				}
			}
		}
	})
}

// TestOrganizationUnlimited: a plan without a client limit says so.
func TestOrganizationUnlimited(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		plan := "Enterprise" // roster.PlanClientLimits: no limit
		if _, err := e.st.UpdateOrganization(t.Context(), e.org.UID, roster.OrganizationUpdate{PaymentType: &plan}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(e.org)
		if got := shownFieldsOf(b.get("/console/organization").body); got["Plan"] != plan || got["Client limit"] != "unlimited" {
			t.Fatalf("an unlimited plan shows %v", got)
		}
	})
}

// TestNewPagesGuards: signed out, the new pages send the browser to sign
// in and back; an account that is not staff is refused them in the API's
// words and offered none of them.
func TestNewPagesGuards(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		paths := []string{"/console/api-keys", "/console/audit", "/console/organization"}
		for _, path := range paths {
			a := e.browser().get(path)
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/sign-in?next="+url.QueryEscape(path) {
				t.Errorf("signed out, %s: %d to %q", path, a.status, a.header.Get("Location"))
			}
		}
		e.addAccount(t, "athlete@example.com")
		b := e.browser()
		token := b.signIn(storetest.Org{OwnerEmail: "athlete@example.com"})
		want := roster.Principal{}.Forbidden(roster.PermOwnAPIKeys).Error()
		for _, path := range paths {
			a := b.get(path)
			if a.status != http.StatusForbidden || !strings.Contains(html.UnescapeString(a.body), want) {
				t.Errorf("not staff, %s: %d %s; want 403 and %q", path, a.status, a.body, want)
			}
			if strings.Contains(a.body, `href="`+path+`"`) {
				t.Errorf("not staff, %s is offered", path)
			}
		}
		if a := b.post("/console/api-keys", url.Values{"csrf": {token}, "name": {"mine"}}); a.status != http.StatusForbidden {
			t.Errorf("not staff, creating a key: %d; want 403", a.status)
		}
	})
}
