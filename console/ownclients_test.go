package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"roster"
	"roster/store/storetest"
)

// athlete is a person staff of no organization, whose profile e's
// organization linked to their account with their consent, and who has
// a pending link request from the other organization.
type athlete struct {
	uid     string
	email   string
	profile roster.Client         // e.org's, linked
	pending roster.LinkInvitation // from e.other
	other   roster.Client         // e.other's profile of them, not linked
}

const athleteEmail = "athlete@example.com"

// inviteLink has org ask the person with c's email to link c.
func (e *env) inviteLink(t *testing.T, org storetest.Org, c roster.Client) roster.LinkInvitation {
	t.Helper()
	inv, err := e.st.InviteLink(t.Context(), org.ID, roster.LinkRequest{Client: roster.ClientRef{UID: c.UID},
		InviterUID: org.OwnerUID, TTL: roster.DefaultInvitationTTL}, roster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (e *env) addAthlete(t *testing.T) athlete {
	t.Helper()
	a := athlete{uid: e.addAccount(t, athleteEmail), email: athleteEmail}
	a.profile = e.addClient(e.org, athleteEmail, "Ada at the club")
	if err := e.st.RespondLink(t.Context(), a.uid, e.inviteLink(t, e.org, a.profile).UID, true); err != nil {
		t.Fatal(err)
	}
	a.other = e.addClient(e.other, athleteEmail, "Ada at the gym")
	a.pending = e.inviteLink(t, e.other, a.other)
	return a
}

// ownClientUIDs are the uids of the account's own client profiles, as the
// store has them.
func (e *env) ownClientUIDs(t *testing.T, uid string) []string {
	t.Helper()
	own, err := e.st.OwnClients(t.Context(), uid)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, oc := range own {
		out = append(out, oc.Client.UID)
	}
	return out
}

// TestOwnClientEdit: My account lists the person's own profile with its
// actions; its form offers only the fields a person may change of their
// own profile, refuses a bad value next to its field, and saves a good
// one through the store; a profile not linked to the person is the API's
// 404, and a post without the CSRF token is refused.
func TestOwnClientEdit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.addAthlete(t)
		b := e.browser()
		token := b.signInAs(a.email)
		acc := b.get("/console/account")
		for _, want := range []string{
			`href="/console/account/clients/` + a.profile.UID + `/edit"`,
			`href="/console/account/clients/` + a.profile.UID + `/unlink"`,
			`href="/console/account/clients/` + a.profile.UID + `/delete"`,
		} {
			if !strings.Contains(acc.body, want) {
				t.Errorf("account page lacks %s", want)
			}
		}
		edit := b.get("/console/account/clients/" + a.profile.UID + "/edit")
		if edit.status != http.StatusOK || !strings.Contains(edit.body, `value="Ada at the club"`) {
			t.Fatalf("edit: %d %s", edit.status, edit.body)
		}
		for i := range roster.Fields {
			spec := &roster.Fields[i]
			offered := strings.Contains(edit.body, `name="`+spec.Name+`"`)
			if own := spec.Uses.Has(roster.UseOwn); offered != own {
				t.Errorf("field %s offered %v; a person may change it: %v", spec.Name, offered, own)
			}
		}
		path := "/console/account/clients/" + a.profile.UID
		form := url.Values{"csrf": {token}, "display_name": {"Ada Lovelace"}, "age": {"200"}, "phone": {"+44 1"}}
		bad := b.post(path, form)
		if bad.status != http.StatusBadRequest || fieldError(bad.body, "age") == "" || !strings.Contains(bad.body, `value="Ada Lovelace"`) {
			t.Errorf("a bad age: %d %q", bad.status, fieldError(bad.body, "age"))
		}
		form.Set("age", "36")
		form.Set("email", "taken.over@example.com")
		if got := b.post(path, url.Values{"display_name": {"X"}}); got.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", got.status)
		}
		ok := b.post(path, form)
		if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/console/account?done=profile" {
			t.Fatalf("save: %d %q %s", ok.status, ok.header.Get("Location"), ok.body)
		}
		c, err := e.st.Client(t.Context(), e.org.ID, a.profile.UID)
		if err != nil {
			t.Fatal(err)
		}
		if c.DisplayName != "Ada Lovelace" || c.Age == nil || *c.Age != 36 || c.Email != athleteEmail {
			t.Errorf("stored: %q %v %q", c.DisplayName, c.Age, c.Email)
		}
		for _, p := range []string{a.other.UID, e.addClient(e.org, "someone@example.com", "Someone").UID, "00000000000000000000"} {
			if got := b.get("/console/account/clients/" + p + "/edit"); got.status != http.StatusNotFound {
				t.Errorf("edit %s: %d", p, got.status)
			}
			if got := b.post("/console/account/clients/"+p, url.Values{"csrf": {token}, "display_name": {"Mine"}}); got.status != http.StatusNotFound {
				t.Errorf("save %s: %d", p, got.status)
			}
		}
		if c, err := e.st.Client(t.Context(), e.other.ID, a.other.UID); err != nil || c.DisplayName != "Ada at the gym" {
			t.Errorf("the other organization's profile: %q %v", c.DisplayName, err)
		}
	})
}

// TestOwnClientUnlinkDelete: unlinking and deleting ask first, need the
// CSRF token and reach only the person's own profiles; unlinking leaves
// the organization its profile, deleting removes it.
func TestOwnClientUnlinkDelete(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.addAthlete(t)
		b := e.browser()
		token := b.signInAs(a.email)
		for _, action := range []string{"unlink", "delete"} {
			page := b.get("/console/account/clients/" + a.profile.UID + "/" + action)
			if page.status != http.StatusOK || !strings.Contains(page.body, `action="/console/account/clients/`+a.profile.UID+`/`+action+`"`) {
				t.Errorf("%s asks: %d %s", action, page.status, page.body)
			}
			for _, p := range []string{a.other.UID, "00000000000000000000"} {
				if got := b.get("/console/account/clients/" + p + "/" + action); got.status != http.StatusNotFound {
					t.Errorf("%s page of %s: %d", action, p, got.status)
				}
				if got := b.post("/console/account/clients/"+p+"/"+action, url.Values{"csrf": {token}}); got.status != http.StatusNotFound {
					t.Errorf("%s %s: %d", action, p, got.status)
				}
			}
			if got := b.post("/console/account/clients/"+a.profile.UID+"/"+action, url.Values{}); got.status != http.StatusForbidden {
				t.Errorf("%s without CSRF token: %d", action, got.status)
			}
		}
		if got := e.ownClientUIDs(t, a.uid); len(got) != 1 {
			t.Fatalf("own profiles after refusals: %v", got)
		}
		got := b.post("/console/account/clients/"+a.profile.UID+"/delete", url.Values{"csrf": {token}})
		if got.status != http.StatusSeeOther || got.header.Get("Location") != "/console/account?done=deleted" {
			t.Fatalf("delete: %d %s", got.status, got.body)
		}
		if _, err := e.st.Client(t.Context(), e.org.ID, a.profile.UID); roster.KindOf(err) != roster.KindNotFound {
			t.Errorf("the deleted profile: %v", err)
		}

		if err := e.st.RespondLink(t.Context(), a.uid, a.pending.UID, true); err != nil {
			t.Fatal(err)
		}
		got = b.post("/console/account/clients/"+a.other.UID+"/unlink", url.Values{"csrf": {token}})
		if got.status != http.StatusSeeOther || got.header.Get("Location") != "/console/account?done=unlinked" {
			t.Fatalf("unlink: %d %s", got.status, got.body)
		}
		if own := e.ownClientUIDs(t, a.uid); len(own) != 0 {
			t.Errorf("still own after unlinking: %v", own)
		}
		if _, err := e.st.Client(t.Context(), e.other.ID, a.other.UID); err != nil {
			t.Errorf("the organization lost its profile on unlinking: %v", err)
		}
	})
}

// TestLinkInvitationAnswer: My account lists an organization's pending
// request to link; accepting links the profile, declining does not, and
// another person's request or an answer without the CSRF token is refused.
func TestLinkInvitationAnswer(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.addAthlete(t)
		b := e.browser()
		token := b.signInAs(a.email)
		acc := b.get("/console/account")
		if !strings.Contains(acc.body, `action="/console/account/link-invitations/`+a.pending.UID+`"`) ||
			!strings.Contains(acc.body, `<td data-label="Organization">Club `+e.other.OwnerEmail+`</td>`) {
			t.Fatalf("the pending request is not listed: %s", acc.body)
		}
		path := "/console/account/link-invitations/" + a.pending.UID
		if got := b.post(path, url.Values{"answer": {"accept"}}); got.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", got.status)
		}
		if got := b.post(path, url.Values{"csrf": {token}, "answer": {"maybe"}}); got.status != http.StatusBadRequest {
			t.Errorf("a bad answer: %d", got.status)
		}
		stranger := e.addClient(e.other, "stranger@example.com", "Stranger")
		theirs := e.inviteLink(t, e.other, stranger)
		for _, uid := range []string{theirs.UID, "00000000000000000000", "nonsense"} {
			if got := b.post("/console/account/link-invitations/"+uid, url.Values{"csrf": {token}, "answer": {"accept"}}); got.status != http.StatusNotFound {
				t.Errorf("accept %s: %d", uid, got.status)
			}
		}
		if own := e.ownClientUIDs(t, a.uid); len(own) != 1 {
			t.Fatalf("own profiles after refusals: %v", own)
		}
		got := b.post(path, url.Values{"csrf": {token}, "answer": {"accept"}})
		if got.status != http.StatusSeeOther || got.header.Get("Location") != "/console/account?done=accepted" {
			t.Fatalf("accept: %d %s", got.status, got.body)
		}
		if own := e.ownClientUIDs(t, a.uid); len(own) != 2 {
			t.Errorf("own profiles after accepting: %v", own)
		}
		if acc := b.get("/console/account?done=accepted"); !strings.Contains(acc.body, "Ada at the gym") ||
			strings.Contains(acc.body, `action="`+path+`"`) {
			t.Errorf("the account page after accepting: %s", acc.body)
		}

		third := storetest.NewOrg(t, e.st, "Pro")
		declined := e.inviteLink(t, third, e.addClient(third, athleteEmail, "Ada twice"))
		got = b.post("/console/account/link-invitations/"+declined.UID, url.Values{"csrf": {token}, "answer": {"decline"}})
		if got.status != http.StatusSeeOther || got.header.Get("Location") != "/console/account?done=declined" {
			t.Fatalf("decline: %d %s", got.status, got.body)
		}
		if own := e.ownClientUIDs(t, a.uid); len(own) != 2 {
			t.Errorf("own profiles after declining: %v", own)
		}
	})
}
