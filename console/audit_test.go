package console_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
)

var (
	auditRowAction = regexp.MustCompile(`<td data-label="Action">([^<]+)</td>`)
	olderLink      = regexp.MustCompile(`<a href="([^"]+)" rel="next">Older`)
	newestLink     = regexp.MustCompile(`<a href="([^"]+)" rel="first">`)
)

var auditRowID = regexp.MustCompile(`<tr id="entry-([0-9A-Za-z]+)">`)

// idsShown are the ids of the entries the audit page lists, in its order.
func idsShown(body string) []string {
	var out []string
	for _, m := range auditRowID.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// actionsShown are the actions of the entries the audit page lists, in its
// order.
func actionsShown(body string) []string {
	var out []string
	for _, m := range auditRowAction.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestAuditLog: the owner reads the organization's log, newest first,
// filtered by action, actor, target and time, a keyset page at a time;
// another organization's entries never show.
func TestAuditLog(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		first := e.addClient(e.org, "first@example.com", "First")
		for i := range 55 {
			e.addClient(e.org, fmt.Sprintf("c%d@example.com", i), "Client")
		}
		theirs := e.addClient(e.other, "theirs@example.com", "Theirs")
		b := e.browser()
		b.signIn(e.org)

		a := b.get("/console/audit?action=client.create")
		if a.status != http.StatusOK || len(actionsShown(a.body)) != 50 || strings.Contains(a.body, theirs.UID) {
			t.Fatalf("the first page: %d, %d entries; want 200 and 50 of this organization's", a.status, len(actionsShown(a.body)))
		}
		if strings.Contains(a.body, `rel="first"`) {
			t.Error("the first page links to the first page")
		}
		m := olderLink.FindStringSubmatch(a.body)
		if m == nil {
			t.Fatalf("no Older link on a full page: %s", a.body)
		}
		older := html.UnescapeString(m[1])
		if !strings.Contains(older, "action=client.create") || !strings.Contains(older, "before=") {
			t.Fatalf("the Older link %q loses the filter or the cursor", older)
		}
		a = b.get(older)
		if got := actionsShown(a.body); len(got) != 6 || olderLink.MatchString(a.body) || !strings.Contains(a.body, first.UID) {
			t.Fatalf("the last page: %v; want the 6 oldest creates, the first client's among them, and no Older link", got)
		}
		if m := newestLink.FindStringSubmatch(a.body); m == nil || html.UnescapeString(m[1]) != "/console/audit?action=client.create" {
			t.Fatalf("the last page's link to the newest: %v", m)
		}

		// By target: the first client's entries only.
		if got := actionsShown(b.get("/console/audit?target=" + first.UID).body); strings.Join(got, ",") != "client.create" {
			t.Fatalf("by target: %v", got)
		}
		// By time: the audit log is stamped by the system clock, so the
		// range is cut between entries the store holds, at their own times.
		all, err := e.st.AuditLog(t.Context(), e.org.ID, roster.AuditFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		since, until := all[40].At, all[10].At
		var want []string
		for _, en := range all {
			if !en.At.Before(since) && en.At.Before(until) {
				want = append(want, en.ID)
			}
		}
		a = b.get("/console/audit?" + url.Values{"since": {since.Format(time.RFC3339Nano)}, "until": {until.Format(time.RFC3339Nano)}}.Encode())
		if got := idsShown(a.body); len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("between %s and %s: %v; want %v", since, until, got, want)
		}
		from := all[0].At.UTC().Truncate(time.Minute)
		if got := actionsShown(b.get("/console/audit?since=" + from.Add(time.Minute).Format("2006-01-02T15:04")).body); len(got) != 0 {
			t.Fatalf("since the minute after the newest entry: %v", got)
		}

		// By actor: the owner's own change from the console is the only one
		// made by an account; the test's creates are the operator's.
		token := b.csrf(b.get("/console/api-keys"))
		b.post("/console/api-keys", url.Values{"csrf": {token}, "name": {"audited"}})
		a = b.get("/console/audit?actor=" + e.org.OwnerUID)
		if got := actionsShown(a.body); strings.Join(got, ",") != "api_key.create" || !strings.Contains(a.body, "token") {
			t.Fatalf("by actor: %v in %s", got, a.body)
		}
		if got := actionsShown(b.get("/console/audit?actor=" + e.other.OwnerUID).body); len(got) != 0 {
			t.Fatalf("another organization's owner's entries: %v", got)
		}
	})
}

// TestAuditLogBadFilters: a filter that cannot be read is the API's 400,
// in words that say what to type, with the form kept.
func TestAuditLogBadFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		for query, want := range map[string]string{
			"before=not-an-id":                              "before: must be an entry's id",
			"since=yesterday&action=client.create":          "From: must be a date and time such as 2026-01-31T08:00 (UTC)",
			"until=2026-13-01T00:00":                        "Until: must be a date and time",
			"since=2026-02-01T00:00&until=2026-01-01T00:00": "Until: must be after From",
		} {
			a := b.get("/console/audit?" + query)
			if a.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(a.body), want) ||
				len(actionsShown(a.body)) != 0 {
				t.Errorf("%s: %d %s; want 400 and %q", query, a.status, a.body, want)
			}
		}
		if a := b.get("/console/audit?since=yesterday&action=client.create"); !strings.Contains(a.body, `value="client.create"`) ||
			!strings.Contains(a.body, `value="yesterday"`) {
			t.Errorf("the refused filter is not kept: %s", a.body)
		}
	})
}

// TestAdminRefused: what the API refuses an Admin (the audit log) the
// console neither offers nor serves; what it allows is offered.
func TestAdminRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addAdmin(t, e.org, "admin@example.com")
		b := e.browser()
		b.signIn(admin)
		page := b.get("/console/clients")
		if strings.Contains(page.body, "/console/audit") || !strings.Contains(page.body, `href="/console/api-keys"`) ||
			!strings.Contains(page.body, `href="/console/organization"`) {
			t.Errorf("an Admin's navigation: %s; want API keys and Organization, no Audit log", page.body)
		}
		want := roster.Principal{Role: roster.RoleAdmin, OrgID: 1}.Forbidden(roster.PermAuditLog).Error()
		for _, path := range []string{"/console/audit", "/console/audit?action=client.create"} {
			a := b.get(path)
			if a.status != http.StatusForbidden || !strings.Contains(html.UnescapeString(a.body), want) || len(actionsShown(a.body)) != 0 {
				t.Errorf("an Admin at %s: %d %s; want 403 and %q", path, a.status, a.body, want)
			}
		}
		owner := e.browser()
		owner.signIn(e.org)
		if page := owner.get("/console/clients"); !strings.Contains(page.body, `href="/console/audit"`) {
			t.Errorf("the owner is not offered the audit log: %s", page.body)
		}
	})
}
