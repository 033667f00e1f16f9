package console_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// The staff page's scopes, and the client page's coaches and note
// history, as Owner, Admin whose scope is all and Admin whose scope is
// assigned.

// errFormExpired is the console's refusal of a form without the session's
// CSRF token.
const errFormExpired = "this form has expired or did not come from this console: reload the page and try again"

// coachFixture is an organization with an Admin of each scope, and two
// clients: one assigned to the scoped Admin, one to nobody.
type coachFixture struct {
	scoped, all      storetest.Org // the Admins, as Orgs that sign in
	assigned, others roster.Client
}

func newCoachFixture(t *testing.T, e *env) coachFixture {
	t.Helper()
	f := coachFixture{scoped: e.addAdmin(t, e.org, "scoped@example.com"), all: e.addAdmin(t, e.org, "all@example.com")}
	if err := e.st.UpdateStaff(t.Context(), e.org.ID, f.scoped.OwnerUID, roster.StaffUpdate{SetScope: true, Scope: roster.ScopeAssigned}); err != nil {
		t.Fatal(err)
	}
	f.assigned = e.addClient(e.org, "assigned@example.com", "Assigned Athlete")
	f.others = e.addClient(e.org, "others@example.com", "Others Athlete")
	if _, err := e.st.SetCoach(t.Context(), e.org.ID, f.assigned.UID, f.scoped.OwnerUID, true); err != nil {
		t.Fatal(err)
	}
	return f
}

// coachUIDs are the uids of the client's coaches as stored, sorted.
func (e *env) coachUIDs(t *testing.T, clientUID string) []string {
	t.Helper()
	coaches, err := e.st.ClientCoaches(t.Context(), e.org.ID, clientUID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range coaches {
		out = append(out, m.UID)
	}
	return out
}

func sorted(uids ...string) []string {
	slices.Sort(uids)
	return uids
}

// TestStaffScopeForm: the Owner sees each Admin's scope and changes it
// through the page's form, which needs the CSRF token; an Admin may not;
// a bad scope and another organization's member change nothing.
func TestStaffScopeForm(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		f := newCoachFixture(t, e)
		theirs := e.addAdmin(t, e.other, "theirs@example.com")
		scopeOf := func(uid string) string {
			m, err := e.member(t, e.org, uid)
			if err != nil {
				t.Fatal(err)
			}
			return m.Scope
		}
		b := e.browser()
		token := b.signIn(e.org)
		page := b.get("/console/staff")
		for _, want := range []string{`<th scope="col">Scope</th>`, `<td data-label="Scope" class="word">assigned clients</td>`,
			`action="/console/staff/members/` + f.scoped.OwnerUID + `/scope"`, `<input type="hidden" name="scope" value="all">`,
			`action="/console/staff/members/` + f.all.OwnerUID + `/scope"`, `<input type="hidden" name="scope" value="assigned">`,
			`aria-label="Let scoped@example.com see all clients">Let see all clients</button>`,
			`aria-label="Let all@example.com see assigned clients">Limit to assigned clients</button>`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the staff page lacks %s", want)
			}
		}
		if strings.Contains(page.body, "/console/staff/members/"+e.org.OwnerUID+"/scope") {
			t.Error("the Owner is offered a scope")
		}
		path := "/console/staff/members/" + f.all.OwnerUID + "/scope"
		wantError(t, "no CSRF token", b.post(path, url.Values{"scope": {"assigned"}}), http.StatusForbidden, errFormExpired)
		wantError(t, "bad scope", b.post(path, url.Values{"csrf": {token}, "scope": {"some"}}), http.StatusBadRequest,
			"scope: must be all or assigned")
		wantError(t, "another organization's member", b.post("/console/staff/members/"+theirs.OwnerUID+"/scope",
			url.Values{"csrf": {token}, "scope": {"assigned"}}), http.StatusNotFound, roster.ErrStaffNotFound.Error())
		if got := scopeOf(f.all.OwnerUID); got != roster.ScopeAll {
			t.Fatalf("refused changes changed the scope: %s", got)
		}
		if m, err := e.member(t, e.other, theirs.OwnerUID); err != nil || m.Scope != roster.ScopeAll {
			t.Errorf("another organization's member: %+v %v", m, err)
		}
		a := b.post(path, url.Values{"csrf": {token}, "scope": {"assigned"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/staff?done=scope" || scopeOf(f.all.OwnerUID) != roster.ScopeAssigned {
			t.Fatalf("scope change: %d %s, stored %s", a.status, a.header.Get("Location"), scopeOf(f.all.OwnerUID))
		}
		if page := b.get("/console/staff?done=scope"); !strings.Contains(page.body, "Scope changed.") ||
			strings.Count(page.body, "assigned clients</td>") != 2 {
			t.Errorf("after the change: %s", page.body)
		}

		// An Admin sees the scopes, is offered no change, and is refused one.
		ab := e.browser()
		atoken := ab.signIn(f.scoped)
		page = ab.get("/console/staff")
		if !strings.Contains(page.body, `<td data-label="Scope" class="word">assigned clients</td>`) || strings.Contains(page.body, "/scope\"") {
			t.Errorf("an Admin's staff page: %s", page.body)
		}
		wantError(t, "an Admin's scope change", ab.post("/console/staff/members/"+f.scoped.OwnerUID+"/scope",
			url.Values{"csrf": {atoken}, "scope": {"all"}}), http.StatusForbidden,
			roster.Principal{OrgID: e.org.ID, Role: roster.RoleAdmin}.Forbidden(roster.PermManageStaff).Error())
	})
}

// TestClientCoachForms: the client page names its coaches; the Owner and
// an Admin whose scope is all may assign a staff member and unassign a
// coach, with the CSRF token; a scoped Admin sees the coaches but no form,
// is refused an assignment, and finds an unassigned client's page missing.
func TestClientCoachForms(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		f := newCoachFixture(t, e)
		page := "/console/clients/" + f.assigned.UID
		assign, unassign := page+"/coaches/assign", page+"/coaches/unassign"

		owner := e.browser()
		token := owner.signIn(e.org)
		a := owner.get(page)
		for _, want := range []string{`<h2 id="coaches">Coaches</h2>`, "Admin (scoped@example.com)",
			`action="` + unassign + `"`, `<input type="hidden" name="coach_uid" value="` + f.scoped.OwnerUID + `">`,
			`aria-label="Unassign scoped@example.com"`, `action="` + assign + `"`, `<label for="coach-uid">Staff member</label>`,
			`<option value="` + f.all.OwnerUID + `">Admin (all@example.com)</option>`,
			`<option value="` + e.org.OwnerUID + `">`} {
			if !strings.Contains(a.body, want) {
				t.Errorf("the Owner's client page lacks %s", want)
			}
		}
		if strings.Contains(a.body, `<option value="`+f.scoped.OwnerUID+`">`) {
			t.Error("a coach is offered again")
		}
		wantError(t, "no CSRF token", owner.post(assign, url.Values{"coach_uid": {f.all.OwnerUID}}), http.StatusForbidden, errFormExpired)
		wantError(t, "another organization's coach", owner.post(assign, url.Values{"csrf": {token}, "coach_uid": {e.other.OwnerUID}}),
			http.StatusNotFound, store.ErrCoachNotFound.Error())
		wantError(t, "no coach", owner.post(assign, url.Values{"csrf": {token}}), http.StatusNotFound, store.ErrCoachNotFound.Error())
		theirs := e.addClient(e.other, "theirs@example.com", "Theirs")
		wantError(t, "another organization's client", owner.post("/console/clients/"+theirs.UID+"/coaches/assign",
			url.Values{"csrf": {token}, "coach_uid": {f.all.OwnerUID}}), http.StatusNotFound, roster.ErrClientNotFound.Error())
		if got := e.coachUIDs(t, f.assigned.UID); !slices.Equal(got, []string{f.scoped.OwnerUID}) {
			t.Fatalf("refused assignments changed the coaches: %v", got)
		}
		a = owner.post(assign, url.Values{"csrf": {token}, "coach_uid": {f.all.OwnerUID}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=coach-assigned#coaches" {
			t.Fatalf("assign: %d %s %s", a.status, a.header.Get("Location"), a.body)
		}
		if got := e.coachUIDs(t, f.assigned.UID); !slices.Equal(got, sorted(f.scoped.OwnerUID, f.all.OwnerUID)) {
			t.Fatalf("after assigning: %v", got)
		}
		if a := owner.get(page + "?done=coach-assigned"); !strings.Contains(a.body, "Coach assigned.") ||
			!strings.Contains(a.body, `aria-label="Unassign all@example.com"`) {
			t.Errorf("after assigning, the page: %s", a.body)
		}

		// An Admin whose scope is all may unassign, as the Owner.
		all := e.browser()
		atoken := all.signIn(f.all)
		if a := all.get(page); !strings.Contains(a.body, `action="`+assign+`"`) || !strings.Contains(a.body, `action="`+unassign+`"`) {
			t.Errorf("an unscoped Admin is offered no form: %s", a.body)
		}
		a = all.post(unassign, url.Values{"csrf": {atoken}, "coach_uid": {f.all.OwnerUID}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=coach-unassigned#coaches" {
			t.Fatalf("unassign: %d %s", a.status, a.body)
		}
		if got := e.coachUIDs(t, f.assigned.UID); !slices.Equal(got, []string{f.scoped.OwnerUID}) {
			t.Fatalf("after unassigning: %v", got)
		}

		// A scoped Admin sees their client's coaches, and no form.
		scoped := e.browser()
		stoken := scoped.signIn(f.scoped)
		a = scoped.get(page)
		if a.status != http.StatusOK || !strings.Contains(a.body, "Admin (scoped@example.com)") ||
			strings.Contains(a.body, "/coaches/") || strings.Contains(a.body, "Unassign") {
			t.Errorf("the scoped Admin's client page: %d %s", a.status, a.body)
		}
		wantError(t, "a scoped Admin's assignment", scoped.post(assign, url.Values{"csrf": {stoken}, "coach_uid": {f.all.OwnerUID}}),
			http.StatusForbidden, "an Admin whose scope is assigned may not assign coaches: ask the Owner or an Admin whose scope is all")
		wantError(t, "a scoped Admin's unassignment", scoped.post(unassign, url.Values{"csrf": {stoken}, "coach_uid": {f.scoped.OwnerUID}}),
			http.StatusForbidden, "an Admin whose scope is assigned may not assign coaches: ask the Owner or an Admin whose scope is all")
		for _, a := range []answer{scoped.get("/console/clients/" + f.others.UID),
			scoped.post("/console/clients/"+f.others.UID+"/coaches/assign", url.Values{"csrf": {stoken}, "coach_uid": {f.scoped.OwnerUID}})} {
			wantError(t, "a scoped Admin and an unassigned client", a, http.StatusNotFound, roster.ErrClientNotFound.Error())
		}
		if got := e.coachUIDs(t, f.assigned.UID); !slices.Equal(got, []string{f.scoped.OwnerUID}) {
			t.Errorf("a scoped Admin changed the coaches: %v", got)
		}
		if got := e.coachUIDs(t, f.others.UID); len(got) != 0 {
			t.Errorf("a scoped Admin assigned themselves: %v", got)
		}
	})
}

var moreNotes = regexp.MustCompile(`<a href="([^"]+)">More notes</a>`)

// history is the texts of the client's note history as viewer sees it,
// newest first.
func (e *env) history(t *testing.T, viewer roster.Principal, clientUID string) []string {
	t.Helper()
	versions, err := e.st.NoteHistory(store.AsStaff(t.Context(), viewer), e.org.ID, clientUID, viewer, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range versions {
		out = append(out, v.Visibility+": "+*v.Text)
	}
	return out
}

// TestClientNoteHistoryForm: the client page adds notes seen by the
// organization or by the coaches only, with the CSRF token, lists the
// history each viewer may see, newest first with authors, a page at a
// time, and shows a refused note again with the API's words, storing
// nothing.
func TestClientNoteHistoryForm(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		f := newCoachFixture(t, e)
		page := "/console/clients/" + f.assigned.UID
		add := page + "/notes"
		owner := roster.Principal{OrgID: e.org.ID, AccountUID: e.org.OwnerUID, Role: roster.RoleOwner, Scope: roster.ScopeAll}

		ob := e.browser()
		token := ob.signIn(e.org)
		a := ob.get(page)
		for _, want := range []string{`<h2 id="notes">Note history</h2>`, `<label for="add-note">New note</label>`,
			`<legend>Seen by</legend>`, `<input type="radio" name="visibility" value="organization" checked>`,
			`<input type="radio" name="visibility" value="coaches">`, "No notes."} {
			if !strings.Contains(a.body, want) {
				t.Errorf("the client page lacks %s", want)
			}
		}
		wantError(t, "no CSRF token", ob.post(add, url.Values{"text": {"lost"}}), http.StatusForbidden, errFormExpired)
		for _, bad := range []struct {
			form   url.Values
			status int
			msg    string
		}{
			{url.Values{"text": {""}, "visibility": {"coaches"}}, http.StatusBadRequest, "text: required"},
			{url.Values{"text": {"kept draft"}, "visibility": {"everyone"}}, http.StatusBadRequest, "visibility: must be organization or coaches"},
			{url.Values{"text": {strings.Repeat("x", roster.MaxNoteBytes+1)}}, http.StatusRequestEntityTooLarge,
				"text: must be at most " + strconv.Itoa(roster.MaxNoteBytes) + " bytes"},
		} {
			bad.form.Set("csrf", token)
			a := ob.post(add, bad.form)
			if a.status != bad.status || !strings.Contains(a.body, `id="add-note-error">`+html.EscapeString(bad.msg)+`<`) ||
				!strings.Contains(a.body, `name="text" rows="4" required aria-invalid="true"`) {
				t.Errorf("%v: %d; want %d and %q", bad.form, a.status, bad.status, bad.msg)
			}
			if bad.form.Get("text") == "kept draft" && !strings.Contains(a.body, ">kept draft</textarea>") {
				t.Errorf("the refused draft is not kept")
			}
		}
		if got := e.history(t, owner, f.assigned.UID); len(got) != 0 {
			t.Fatalf("refused notes were stored: %v", got)
		}

		a = ob.post(add, url.Values{"csrf": {token}, "text": {"for everyone"}, "visibility": {"organization"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=note-added#notes" {
			t.Fatalf("the Owner's note: %d %s", a.status, a.body)
		}
		e.clock.Advance(1e9)
		sb := e.browser()
		stoken := sb.signIn(f.scoped)
		a = sb.post(add, url.Values{"csrf": {stoken}, "text": {"coach\r\nonly"}, "visibility": {"coaches"}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("the coach's note: %d %s", a.status, a.body)
		}
		if got := e.history(t, owner, f.assigned.UID); !slices.Equal(got, []string{"coaches: coach\nonly", "organization: for everyone"}) {
			t.Errorf("stored history: %v", got)
		}
		if cl, err := e.st.Client(t.Context(), e.org.ID, f.assigned.UID); err != nil || cl.Note == nil || *cl.Note.Text != "for everyone" {
			t.Errorf("the client's note: %+v %v", cl.Note, err)
		}
		wantError(t, "a scoped Admin's note on an unassigned client", sb.post("/console/clients/"+f.others.UID+"/notes",
			url.Values{"csrf": {stoken}, "text": {"mine"}}), http.StatusNotFound, roster.ErrClientNotFound.Error())

		// The Owner and the coach see both, newest first, with authors; an
		// Admin who is no coach of the client sees the organization's.
		for who, b := range map[string]*browser{"owner": ob, "coach": sb} {
			a := b.get(page + "?done=note-added")
			i, j := strings.Index(a.body, "coach\nonly"), strings.Index(a.body, "for everyone</td>")
			if !strings.Contains(a.body, "Note added.") || i < 0 || j < i ||
				!strings.Contains(a.body, `<td data-label="Author">Admin (scoped@example.com)</td>`) ||
				!strings.Contains(a.body, `<td data-label="Seen by" class="word">coaches</td>`) {
				t.Errorf("%s's history: %s", who, a.body)
			}
		}
		all := e.browser()
		all.signIn(f.all)
		if a := all.get(page); !strings.Contains(a.body, "for everyone</td>") || strings.Contains(a.body, "coach\nonly") {
			t.Errorf("an Admin who is not a coach: %s", a.body)
		}

		// Older versions are a "more" link away.
		for i := range 20 {
			e.clock.Advance(1e9)
			if err := e.st.SaveNote(t.Context(), e.org.ID, f.assigned.UID, ptr("version "+strconv.Itoa(i))); err != nil {
				t.Fatal(err)
			}
		}
		a = ob.get(page)
		older := moreNotes.FindStringSubmatch(a.body)
		if !strings.Contains(a.body, "version 19</td>") || strings.Contains(a.body, "for everyone</td>") || older == nil {
			t.Fatalf("the first page: %s", a.body)
		}
		a = ob.get(html.UnescapeString(older[1]))
		if a.status != http.StatusOK || !strings.Contains(a.body, "for everyone</td>") || strings.Contains(a.body, "version 19</td>") ||
			!strings.Contains(a.body, ">Newest notes</a>") || strings.Contains(a.body, "More notes") {
			t.Errorf("the older page: %d %s", a.status, a.body)
		}
		wantError(t, "a bad cursor", ob.get(page+"?notes_after=not!a!uid"), http.StatusBadRequest, "notes_after: must be a note uid")
	})
}

// TestListCoachFilter: the list's coach filter lists the clients assigned
// to the coach (those they created as an Admin, and one assigned to them),
// alone, with a search and in another order, page by page both ways; a
// bad uid is a 400.
func TestListCoachFilter(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		all, coach, _ := listFixture(t, e)
		if _, err := e.st.SetCoach(t.Context(), e.org.ID, all[0].UID, coach, true); err != nil {
			t.Fatal(err)
		}
		var coached []roster.Client
		for _, c := range all {
			if c.CreatedBy == coach || c.UID == all[0].UID {
				coached = append(coached, c)
			}
		}
		names := map[string]string{}
		for _, c := range all {
			names[c.UID] = c.DisplayName
		}
		b := e.browser()
		b.signIn(e.org)
		for _, lc := range []listCase{
			{"coach_uid=" + coach, roster.ClientQuery{}},
			{"coach_uid=" + coach + "&q=Runner+0", roster.ClientQuery{Search: "Runner 0"}},
			{"coach_uid=" + coach + "&sort=display_name:asc", roster.ClientQuery{OrderBy: roster.OrderDisplayName, Ascending: true}},
			{"coach_uid=" + coach + "&gender=female", roster.ClientQuery{ClientFilter: roster.ClientFilter{Gender: "female"}}},
		} {
			var want []string
			for _, uid := range storetest.Listed(coached, lc.q) {
				want = append(want, names[uid])
			}
			if len(want) == 0 {
				t.Fatalf("%s: the fixture lists nobody", lc.params)
			}
			checkWalk(t, b, "/console/clients?"+lc.params, want, lc.q.Search)
		}
		page := b.get("/console/clients?coach_uid=" + coach)
		if !strings.Contains(page.body, `<label for="coach_uid">Coach</label>`) ||
			!strings.Contains(page.body, `<option value="`+coach+`" selected>`) {
			t.Errorf("the coach filter's select: %s", page.body)
		}
		wantListError := func(path, msg string) {
			t.Helper()
			a := b.get(path)
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, `id="list-error">`+msg+`<`) {
				t.Errorf("%s: %d; want 400 and %q", path, a.status, msg)
			}
		}
		wantListError("/console/clients?coach_uid=not%20a%20uid", "coach: not a valid uid")
	})
}
