package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster/api"
)

// claimMailsTo counts the unsent claim mails to email that link to the
// console's account page on the public URL.
func (e *env) claimMailsTo(email string) int {
	e.t.Helper()
	mails, err := e.st.UnsentMail(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range mails {
		if m.To == email && strings.Contains(m.Body, publicURL+api.AccountPage+"?link_invitation=") {
			n++
		}
	}
	return n
}

var claimsShown = regexp.MustCompile(`<div id="claim-links"><dt>Claim links sent</dt><dd id="claim-links-sent">([^<]*)</dd></div>`)

// TestConsoleClaimLinks: the new client form and the import form offer to
// mail claim links; checked, each new client gets one, and the import's
// page says how many went out.
func TestConsoleClaimLinks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		// Claim links point to this page, where the person answers them.
		if page := b.get(api.AccountPage); page.status != http.StatusOK || !strings.Contains(page.body, "<h1>My account</h1>") {
			t.Errorf("%s: %d %s", api.AccountPage, page.status, page.body)
		}
		if page := b.get("/console/clients/new"); !strings.Contains(page.body, `name="send_claim_link" type="checkbox" value="true"`) {
			t.Errorf("the new client form offers no claim link: %s", page.body)
		}
		for _, c := range []struct {
			email string
			claim []string
			want  int
		}{{"claimed@example.com", []string{"true"}, 1}, {"unclaimed@example.com", nil, 0}} {
			a := b.post("/console/clients", url.Values{"csrf": {token}, "email": {c.email}, "display_name": {"A"},
				"send_claim_link": c.claim})
			if a.status != http.StatusSeeOther {
				t.Fatalf("create: %d %s", a.status, a.body)
			}
			if n := e.claimMailsTo(c.email); n != c.want {
				t.Errorf("%s got %d claim mails, want %d", c.email, n, c.want)
			}
		}

		rows := "email,display_name\nimp1@example.com,I\nimp2@example.com,J\n"
		page := b.uploadForm(uploadForm{token: token, mode: "all", filename: "club.csv", file: strings.NewReader(rows), claimLinks: true})
		if m := claimsShown.FindStringSubmatch(page.body); page.status != http.StatusCreated || m == nil || m[1] != "2" {
			t.Fatalf("import with claim links: %d %s", page.status, page.body)
		}
		for _, email := range []string{"imp1@example.com", "imp2@example.com"} {
			if n := e.claimMailsTo(email); n != 1 {
				t.Errorf("%s got %d claim mails, want 1", email, n)
			}
		}
		page = b.upload(token, "all", "", "more.csv", strings.NewReader("email,display_name\nimp3@example.com,K\n"))
		if page.status != http.StatusCreated || !strings.Contains(page.body, `<div id="claim-links" hidden>`) || e.claimMailsTo("imp3@example.com") != 0 {
			t.Errorf("import without claim links: %d %s", page.status, page.body)
		}
	}, withPublicURL)
}
