package api_test

// Claim links (issue 14, part 5): a create with send_claim_link, or an
// import with claim_links=true, mails each new client the link invitation
// that POST .../clients/link/ sends, in the transaction that makes the
// client, within the same limits.

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/store/storetest"
)

// claimPublicURL is the test server's public URL, the host claim links
// point to; app.example.com, where a caller's platform_link may point,
// is another.
const claimPublicURL = "https://roster.example.com"

var claimOrigins, _ = roster.NewLinkOrigins("https://app.example.com", claimPublicURL)

func withPublicURL(c *api.Config) { c.PublicURL, c.LinkOrigins = claimPublicURL+"/", claimOrigins }

// claimLink is the link of a claim mail: the console's page where the
// person answers, on the public URL, naming the invitation.
var claimLink = regexp.MustCompile(`https://[^/\s]+/console/account\?link_invitation=([0-9A-Za-z]{20})`)

// claimMails returns the bodies of the unsent link invitation mails, by
// recipient.
func (e *env) claimMails() map[string][]string {
	e.t.Helper()
	mails, err := e.st.UnsentMail(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, m := range mails {
		if strings.HasSuffix(m.Subject, "asks to link your Roster account") {
			out[m.To] = append(out[m.To], m.Body)
		}
	}
	return out
}

// claimAnswer is an import's result with its claim link count.
type claimAnswer struct {
	Imported       int
	Skipped        int
	ClaimLinksSent *int `json:"claim_links_sent"`
}

// checkClaimMail checks that email got exactly one claim mail, linking to
// the public URL, and that the person, signed up with email, finds the
// invitation it names and can accept it: the client is then theirs.
func (e *env) checkClaimMail(email, clientUID string) {
	e.t.Helper()
	mails := e.claimMails()[email]
	if len(mails) != 1 {
		e.t.Fatalf("%s got %d claim mails, want 1: %q", email, len(mails), mails)
	}
	link := claimLink.FindStringSubmatch(mails[0])
	if link == nil || !strings.HasPrefix(link[0], claimPublicURL+"/") {
		e.t.Fatalf("the claim mail to %s links nowhere or elsewhere than %s: %q", email, claimPublicURL, mails[0])
	}
	person := e.signup(email)
	var list struct {
		LinkInvitations []linkInvitation `json:"link_invitations"`
	}
	decodeAsInto(e.t, e.as(person.Token, "GET", "/auth/me/link-invitations", nil), 200, &list)
	if len(list.LinkInvitations) != 1 || list.LinkInvitations[0].LinkUID != link[1] ||
		list.LinkInvitations[0].UserUID != clientUID || list.LinkInvitations[0].PlatformLink != claimPublicURL+api.AccountPage {
		e.t.Fatalf("the person's link invitations %+v; want the mailed %s for client %s", list.LinkInvitations, link[1], clientUID)
	}
	expect(e.t, e.as(person.Token, "POST", "/auth/me/link-invitations/respond",
		map[string]string{"link_uid": link[1], "user_response": "accept"}), 200)
	if m := e.me(person.Token); len(m.Clients) != 1 || m.Clients[0].Profile.UserUID != clientUID {
		e.t.Errorf("after accepting, the person's profiles are %+v", m.Clients)
	}
}

// TestCreateWithClaimLink: a create with send_claim_link mails the new
// client once, a link to the server's own page; without it, or false, no
// mail goes out. JSON, form and multipart bodies alike, on both prefixes.
func TestCreateWithClaimLink(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i, prefix := range prefixes {
			email := fmt.Sprintf("json%d@example.com", i)
			r := e.json("POST", prefix+"/", map[string]any{"email": email, "display_name": "J", "send_claim_link": true})
			e.checkClaimMail(email, decodeAs[struct{ UserData client }](t, r, 201).UserData.UserUID)

			email = fmt.Sprintf("form%d@example.com", i)
			r = e.do(req{Method: "POST", Path: prefix + "/", Key: e.org.APIKey, ContentType: "application/x-www-form-urlencoded",
				Body: []byte("email=" + email + "&display_name=F&send_claim_link=true")})
			e.checkClaimMail(email, decodeAs[struct{ UserData client }](t, r, 201).UserData.UserUID)

			email = fmt.Sprintf("multipart%d@example.com", i)
			ct, body := badMultipart(strings.NewReplacer(), badField("email", email), badField("display_name", "M"),
				badField("send_claim_link", "1"))
			r = e.do(req{Method: "POST", Path: prefix + "/", Key: e.org.APIKey, ContentType: ct, Body: body})
			e.checkClaimMail(email, decodeAs[struct{ UserData client }](t, r, 201).UserData.UserUID)

			for j, v := range []any{false, "false", nil} {
				email := fmt.Sprintf("none%d-%d@example.com", i, j)
				e.create(prefix, map[string]any{"email": email, "display_name": "N", "send_claim_link": v})
				if got := e.claimMails()[email]; len(got) != 0 {
					t.Errorf("send_claim_link %v mailed %q", v, got)
				}
			}
		}
	}, withPublicURL)
}

// TestCreateWithClaimLinkWithoutPublicURL: without a public URL the mail
// carries no link, as a link invitation without platform_link does.
func TestCreateWithClaimLinkWithoutPublicURL(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.json("POST", prefixes[0]+"/", map[string]any{"email": "a@example.com", "display_name": "A", "send_claim_link": true})
		mails := e.claimMails()["a@example.com"]
		if len(mails) != 1 || strings.Contains(mails[0], "http") ||
			!strings.Contains(mails[0], "sign in to Roster with this email address and look at your link invitations") {
			t.Errorf("claim mails %q", mails)
		}
	})
}

// claimCSV is a CSV body of clients with the given emails.
func claimCSV(emails ...string) io.Reader {
	var b strings.Builder
	b.WriteString("email,display_name,age\n")
	for _, m := range emails {
		age := "30"
		if strings.HasPrefix(m, "bad") {
			age = "151" // out of range: a bad row with a good email
		}
		fmt.Fprintf(&b, "%s,Athlete,%s\n", m, age)
	}
	return strings.NewReader(b.String())
}

// TestImportWithClaimLinks: claim_links=true mails each new client once and
// counts the mails, plain and streamed, on both prefixes; a bad row and a
// row whose email an existing client has get none, nor does the existing
// client; without claim_links the answer has no count and nothing is
// mailed.
func TestImportWithClaimLinks(t *testing.T) {
	accept := map[string]string{"Accept": ndjsonType}
	each(t, func(t *testing.T, e *env) {
		e.create(prefixes[0], map[string]any{"email": "taken@example.com", "display_name": "Taken"})
		for i, prefix := range prefixes {
			for _, header := range []map[string]string{nil, accept} {
				tag := fmt.Sprintf("p%d-%d", i, len(header))
				good := []string{tag + "a@example.com", tag + "b@example.com", tag + "c@example.com"}
				r := e.importAs(e.org.APIKey, prefix, "mode=skip&claim_links=true", csvType,
					claimCSV(good[0], "bad"+tag+"@example.com", good[1], "taken@example.com", good[2]), header)
				var a claimAnswer
				if header == nil {
					decodeAsInto(t, r, 201, &a)
				} else {
					expect(t, r, 201)
					var line struct{ Result claimAnswer }
					r.decode(t, &line)
					a = line.Result
				}
				if a.Imported != 3 || a.Skipped != 2 || a.ClaimLinksSent == nil || *a.ClaimLinksSent != 3 {
					t.Fatalf("import answered %s", r.Body)
				}
				uids := map[string]string{}
				for _, c := range e.export(e.org.APIKey, prefix) {
					uids[c["email"].(string)] = c["user_uid"].(string)
				}
				for _, m := range good {
					e.checkClaimMail(m, uids[m])
				}
				for _, m := range []string{"bad" + tag + "@example.com", "taken@example.com"} {
					if got := e.claimMails()[m]; len(got) != 0 {
						t.Errorf("%s, a skipped row's, got claim mails %q", m, got)
					}
				}
			}
		}
		r := e.importAs(e.org.APIKey, prefixes[1], "claim_links=false", csvType, claimCSV("quiet@example.com"), nil)
		if expect(t, r, 201); strings.Contains(string(r.Body), "claim_links_sent") || len(e.claimMails()["quiet@example.com"]) != 0 {
			t.Errorf("an import without claim links answered %s and mailed %v", r.Body, e.claimMails()["quiet@example.com"])
		}
	}, withPublicURL)
}

// claimState is what a refused create or import must leave as it was: the
// organization's clients and counters, and the mail waiting to go out.
func claimState(e *env) string { return e.state(e.org) + unsentMail(e) }

// TestImportWithClaimLinksAllOrNothing: an import that fails, for bad rows
// (mode=all) or at the plan's limit after its rows were validated, mails
// no one.
func TestImportWithClaimLinksAllOrNothing(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		before := claimState(e)
		r := e.importAs(e.org.APIKey, prefixes[0], "claim_links=true", csvType, claimCSV("a@example.com", "bad@example.com"), nil)
		rejected(t, r, "1 of 2 rows is invalid, so nothing was imported", bulkRowError{2, "age", "must be between 0 and 150"})
		if after := claimState(e); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}

		free := storetest.NewOrg(t, e.st, "Free") // 25 clients
		emails := make([]string, 26)
		for i := range emails {
			emails[i] = fmt.Sprintf("f%d@example.com", i)
		}
		mailBefore := unsentMail(e)
		r = e.importAs(free.APIKey, prefixes[1], "claim_links=true", csvType, claimCSV(emails...), nil)
		badWant(t, r, 404, "client limit of 25 for the Free plan")
		if n, after := e.count(free.APIKey, ""), unsentMail(e); n != 0 || after != mailBefore {
			t.Errorf("a refused import left %d clients and%s (before:%s)", n, after, mailBefore)
		}
	}, withPublicURL)
}

// TestClaimLinkLimits: claim links count against the organization's limit
// of link invitations as POST .../clients/link/ does. An import with more
// new clients than the room left is refused up front with a 429 and
// imports nothing; a create that would exceed it is refused and not made.
// The mail-per-address limit counts each claim link too.
func TestClaimLinkLimits(t *testing.T) {
	limits := testLimits
	limits.LinkInvitationsPerOrg = roster.Rate{Count: 3, Per: time.Hour}
	limits.MailPerAddress = roster.Rate{Count: 1, Per: time.Hour}
	each(t, func(t *testing.T, e *env) {
		before := claimState(e)
		r := e.importAs(e.org.APIKey, prefixes[0], "claim_links=true", csvType,
			claimCSV("a@example.com", "b@example.com", "c@example.com", "d@example.com"), nil)
		badWant(t, r, 429, "claim_links: this import has more new clients than the 3 link invitations this organization may "+
			"still send (at most 3 per 1h0m0s); import it in parts, or without claim_links and send the links later: "+
			"try again in 3600 seconds")
		if got := r.Header.Get("Retry-After"); got != "3600" {
			t.Errorf("Retry-After %q", got)
		}
		if after := claimState(e); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}

		r = e.importAs(e.org.APIKey, prefixes[1], "claim_links=true", csvType, claimCSV("a@example.com", "b@example.com"), nil)
		var a claimAnswer
		if decodeAsInto(t, r, 201, &a); a.ClaimLinksSent == nil || *a.ClaimLinksSent != 2 {
			t.Errorf("import answered %s", r.Body)
		}
		e.clock.Advance(10 * time.Minute)
		before = claimState(e)
		r = e.importAs(e.org.APIKey, prefixes[0], "claim_links=true", csvType, claimCSV("c@example.com", "d@example.com"), nil)
		badWant(t, r, 429, "more new clients than the 1 link invitation this organization may still send "+
			"(at most 3 per 1h0m0s); import it in parts, or without claim_links and send the links later: try again in 3000 seconds")
		if after := claimState(e); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}

		// The last one left goes to a create; the next create is refused,
		// and not made, with POST .../clients/link/'s words.
		e.create(prefixes[0], map[string]any{"email": "c@example.com", "display_name": "C", "send_claim_link": true})
		before = claimState(e)
		r = e.json("POST", prefixes[1]+"/", map[string]any{"email": "d@example.com", "display_name": "D", "send_claim_link": true})
		badWant(t, r, 429, "too many link invitations from this organization (at most 3 per 1h0m0s): try again in 3000 seconds")
		if after := claimState(e); after != before {
			t.Errorf("a refused create changed the data: %s", badChange(before, after))
		}
		if got := len(e.claimMails()); got != 3 {
			t.Errorf("%d addresses got claim mails, want 3", got)
		}
		imported(t, e.importAs(e.org.APIKey, prefixes[0], "", csvType, claimCSV("d@example.com"), nil), 1, 0)

		// A new window; an address mailed within the hour is not mailed
		// again, and the import that would is refused whole.
		e.clock.Advance(time.Hour)
		x := e.create(prefixes[0], map[string]any{"email": "x@example.com", "display_name": "X", "send_claim_link": true})
		expect(t, e.json("DELETE", prefixes[0]+"/", map[string]string{"user_uid": x.UserUID}), 200)
		before = claimState(e)
		r = e.importAs(e.org.APIKey, prefixes[1], "claim_links=true", csvType, claimCSV("y@example.com", "x@example.com"), nil)
		badWant(t, r, 429, "too many mails from this organization to x@example.com (at most 1 per 1h0m0s): try again in 3600 seconds")
		if after := claimState(e); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}
	}, withPublicURL, func(c *api.Config) { c.Limits = limits })
}

// TestBadClaimLinks: a claim_links or send_claim_link that is no boolean is
// a 400 naming it, and creates and mails nothing.
func TestBadClaimLinks(t *testing.T) {
	const rows = "email,display_name\nnew@example.com,New\n"
	imports := []badCase{
		{name: "claim_links maybe", query: "claim_links=maybe", ct: csvType, body: rows, status: 400,
			want: "claim_links: must be true or false"},
		{name: "claim_links twice", query: "claim_links=true&claim_links=false", ct: csvType, body: rows, status: 400,
			want: "claim_links: given more than once"},
		{name: "claim_links in another case", query: "claim_links=TRUE", ct: csvType, body: rows, status: 400,
			want: "claim_links: must be true or false"},
	}
	for i := range imports {
		imports[i].path = "/import/"
	}
	creates := []badCase{
		{name: "yes", body: `{"email":"new@example.com","display_name":"New","send_claim_link":"yes"}`, status: 400,
			want: "send_claim_link: must be true or false"},
		{name: "a number", body: `{"email":"new@example.com","display_name":"New","send_claim_link":1}`, status: 400,
			want: "send_claim_link: must be true or false"},
		{name: "an object", body: `{"email":"new@example.com","display_name":"New","send_claim_link":{}}`, status: 400,
			want: "send_claim_link: must be true or false"},
		{name: "twice", body: `{"email":"new@example.com","display_name":"New","send_claim_link":true,"send_claim_link":false}`,
			status: 400, want: "send_claim_link: given more than once"},
		{name: "form yes", ct: "application/x-www-form-urlencoded", body: "email=new@example.com&display_name=New&send_claim_link=yes",
			status: 400, want: "send_claim_link: must be true or false"},
		{name: "multipart on", parts: []badPart{badField("email", "new@example.com"), badField("display_name", "New"),
			badField("send_claim_link", "on")}, status: 400, want: "send_claim_link: must be true or false"},
		{name: "no email", body: `{"display_name":"New","send_claim_link":true}`, status: 400, want: "email: required"},
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		state := func(e *env) string { return claimState(e) }
		badRun(t, e, "POST", prefix, strings.NewReplacer(), state, imports)
		badRun(t, e, "POST", prefix, strings.NewReplacer(), state, creates)
	})
}
