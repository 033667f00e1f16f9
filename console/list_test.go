package console_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"roster"
	"roster/store/storetest"
)

var (
	rowName  = regexp.MustCompile(`data-label="Name"><a href="[^"]+">([^<]+)</a>`)
	pageLink = regexp.MustCompile(`<a href="([^"]+)" rel="(prev|next)">`)
	total    = regexp.MustCompile(`<p class="total" id="total">([^<]+)</p>`)
)

// listPage is what a list page shows: its rows' names, its total and its
// links to the pages around it.
type listPage struct {
	names      []string
	total      string
	prev, next string
}

func (b *browser) list(t *testing.T, path string) listPage {
	t.Helper()
	a := b.get(path)
	if a.status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, a.status, a.body)
	}
	var p listPage
	for _, m := range rowName.FindAllStringSubmatch(a.body, -1) {
		p.names = append(p.names, html.UnescapeString(m[1]))
	}
	if m := total.FindStringSubmatch(a.body); m != nil {
		p.total = html.UnescapeString(m[1])
	}
	for _, m := range pageLink.FindAllStringSubmatch(a.body, -1) {
		if m[2] == "prev" {
			p.prev = html.UnescapeString(m[1])
		} else {
			p.next = html.UnescapeString(m[1])
		}
	}
	return p
}

// TestListPaging: the list walks 45 clients by keyset, 20 a page, with
// their total, to the end and back; a search pages by number; bad
// parameters are the API's kind of 400 on the page.
func TestListPaging(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i := 1; i <= 45; i++ {
			e.addClient(e.org, fmt.Sprintf("runner%02d@example.com", i), fmt.Sprintf("Runner %02d", i))
		}
		e.addClient(e.other, "runner99@example.com", "Runner 99") // another organization's
		b := e.browser()
		b.signIn(e.org)

		seen := map[string]bool{}
		var sizes []int
		var last listPage
		for path := "/console/clients"; path != ""; path = last.next {
			last = b.list(t, path)
			if last.total != "45 clients" {
				t.Fatalf("%s: total %q", path, last.total)
			}
			if (path == "/console/clients") != (last.prev == "") {
				t.Fatalf("%s: link to newer clients %q", path, last.prev)
			}
			sizes = append(sizes, len(last.names))
			for _, n := range last.names {
				if seen[n] {
					t.Fatalf("%s lists %s again", path, n)
				}
				seen[n] = true
			}
		}
		if fmt.Sprint(sizes) != "[20 20 5]" || len(seen) != 45 || seen["Runner 99"] {
			t.Fatalf("pages of %v, %d clients", sizes, len(seen))
		}
		if last.names[len(last.names)-1] != "Runner 01" {
			t.Fatalf("the oldest client last: %v", last.names)
		}
		back := b.list(t, last.prev)
		if len(back.names) != 20 || back.names[0] != "Runner 25" {
			t.Fatalf("back from the last page: %v", back.names)
		}
		if first := b.list(t, back.prev); len(first.names) != 20 || first.names[0] != "Runner 45" || first.prev != "" {
			t.Fatalf("back at the first page: %v, newer %q", first.names, first.prev)
		}

		search := b.list(t, "/console/clients?q=runner")
		if search.total != "45 clients · page 1 of 3" || len(search.names) != 20 || search.next != "/console/clients?page=2&q=runner" {
			t.Fatalf("search: %+v", search)
		}
		if third := b.list(t, "/console/clients?page=3&q=runner"); len(third.names) != 5 || third.next != "" {
			t.Fatalf("third page of the search: %+v", third)
		}
		if none := b.list(t, "/console/clients?gender=female"); none.total != "0 clients" || len(none.names) != 0 {
			t.Fatalf("no female client: %+v", none)
		}

		for path, want := range map[string]string{
			"/console/clients?q=" + strings.Repeat("a", 101): "q: must be at most 100 characters",
			"/console/clients?q=ada&gender=male":             "gender and activity filter the active clients without a search",
			"/console/clients?gender=other":                  "gender: must be male or female",
			"/console/clients?activity=Knitting":             `activity: unknown activity "Knitting"`,
			"/console/clients?after=not%20a%20uid":           "after: not a valid uid",
			"/console/clients?q=a&page=501":                  "page: must be a whole number from 1 to 500",
		} {
			a := b.get(path)
			if a.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(a.body), want) {
				t.Errorf("%s: %d; want 400 and %q in %s", path, a.status, want, a.body)
			}
		}
	})
}

// TestNotStaff: an account that is not staff of an organization may sign
// in, lands on its account, and is told why it sees no clients, in the
// API's words; staff land on the clients.
func TestNotStaff(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for email, home := range map[string]string{"athlete@example.com": "/console/account", e.org.OwnerEmail: "/console/clients"} {
			if email != e.org.OwnerEmail {
				e.addAccount(t, email)
			}
			b := e.browser()
			b.signIn(storetest.Org{OwnerEmail: email})
			if a := b.get("/console/"); a.status != http.StatusSeeOther || a.header.Get("Location") != home {
				t.Errorf("%s's home: %d to %q; want %s", email, a.status, a.header.Get("Location"), home)
			}
		}
		b := e.browser()
		b.signIn(storetest.Org{OwnerEmail: "athlete@example.com"})
		a := b.get("/console/clients")
		want := roster.Principal{}.Forbidden(roster.PermClients).Error()
		if a.status != http.StatusForbidden || !strings.Contains(html.UnescapeString(a.body), want) {
			t.Fatalf("not staff: %d %s; want 403 and %q", a.status, a.body, want)
		}
	})
}
