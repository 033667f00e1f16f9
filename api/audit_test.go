package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type auditPage struct {
	Entries      []auditEntry `json:"entries"`
	NextBeforeID string       `json:"next_before_id"`
}

type auditEntry struct {
	ID    string `json:"id"`
	At    string `json:"at"`
	Actor struct {
		UID        string `json:"uid"`
		Kind       string `json:"kind"`
		KeyID      string `json:"key_id"`
		RemoteAddr string `json:"remote_addr"`
	} `json:"actor"`
	Action     string   `json:"action"`
	ObjectType string   `json:"object_type"`
	ObjectUID  string   `json:"object_uid"`
	Fields     []string `json:"fields"`
}

func (e *env) audit(key, query string) auditPage {
	e.t.Helper()
	return decodeAs[auditPage](e.t, e.do(req{Method: "GET", Path: "/admin-management/audit-log/?" + query, Key: key}), 200)
}

func TestAuditLog(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.subAdmin("auditor@example.com")
		c := e.create(prefixes[0], map[string]any{"email": "ath@example.com", "display_name": "Ath", "height": 170})
		expect(t, e.as(admin.Token, "PUT", "/user-management/users/", map[string]any{"user_uid": c.UserUID, "height": 171.25}), 200)
		expect(t, e.as(admin.Token, "POST", prefixes[0]+"/save-notes/"+c.UserUID, map[string]string{"note": "secret knee injury"}), 200)
		key := e.newAPIKey(admin.Token, "ci")
		keyID := key[4:16]
		expect(t, e.do(req{Method: "POST", Path: prefixes[0] + "/deactivate/", Key: key, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + c.UserUID + `"}`)}), 200)
		// A refused change leaves no entry.
		before := e.audit(e.org.APIKey, "limit=100")
		badWant(t, e.json("PUT", "/user-management/users/", map[string]any{"user_uid": c.UserUID, "height": "tall"}), 400, "height")
		if after := e.audit(e.org.APIKey, "limit=100"); len(after.Entries) != len(before.Entries) {
			t.Errorf("a refused update was logged: %d entries, then %d", len(before.Entries), len(after.Entries))
		}

		page := e.audit(e.org.APIKey, "object_uid="+c.UserUID)
		var actions []string
		for _, en := range page.Entries {
			actions = append(actions, en.Action+":"+en.Actor.Kind+":"+strings.Join(en.Fields, ","))
			if en.Actor.RemoteAddr != "127.0.0.1" || en.ObjectType != "client" {
				t.Errorf("entry %+v", en)
			}
		}
		want := []string{"client.deactivate:api_key:status", "client.note:token:notes", "client.update:token:height",
			"client.create:api_key:display_name,email,height"}
		if strings.Join(actions, " ") != strings.Join(want, " ") {
			t.Errorf("client's log:\n%v\nwant\n%v", actions, want)
		}
		if en := page.Entries[0]; en.Actor.UID != admin.UID || en.Actor.KeyID != keyID {
			t.Errorf("the API key's entry: %+v, want actor %s key %s", en, admin.UID, keyID)
		}
		if en := page.Entries[3]; en.Actor.UID != e.org.OwnerUID {
			t.Errorf("bootstrap key's entry: %+v", en)
		}

		// Filters and keyset paging.
		mine := e.audit(e.org.APIKey, "actor_uid="+admin.UID+"&action=api_key.create")
		if len(mine.Entries) != 1 || mine.Entries[0].ObjectUID != keyID || mine.Entries[0].Fields[0] != "name" {
			t.Errorf("api_key.create by the admin: %+v", mine)
		}
		all := e.audit(e.org.APIKey, "limit=100")
		for i, en := range all.Entries {
			if !auditIDShape.MatchString(en.ID) || i > 0 && en.ID >= all.Entries[i-1].ID {
				t.Errorf("entry %d: id %q, not a uid below the newer entries'", i, en.ID)
			}
		}
		first := e.audit(e.org.APIKey, "limit=2")
		next := e.audit(e.org.APIKey, "limit=2&before_id="+first.NextBeforeID)
		if len(first.Entries) != 2 || first.NextBeforeID != first.Entries[1].ID || next.Entries[0].ID != all.Entries[2].ID {
			t.Errorf("pages %+v then %+v", first, next)
		}
		// No secret and no value reaches the log.
		raw := string(e.do(req{Method: "GET", Path: "/admin-management/audit-log/?limit=100", Key: e.org.APIKey}).Body)
		for _, secret := range []string{key, testPassword, "secret knee injury", admin.Token, admin.RefreshToken, "171.25"} {
			if strings.Contains(raw, secret) {
				t.Errorf("the log shows %q", secret)
			}
		}
		// An import records each client it creates.
		csv := "email,display_name,height\nimp1@example.com,Imp One,180\nimp2@example.com,Imp Two,\n"
		expect(t, e.do(req{Method: "POST", Path: prefixes[0] + "/import/", Key: e.org.APIKey, ContentType: "text/csv", Body: []byte(csv)}), 201)
		imported := e.audit(e.org.APIKey, "action=client.import")
		if len(imported.Entries) != 2 || strings.Join(imported.Entries[0].Fields, ",")+"|"+strings.Join(imported.Entries[1].Fields, ",") !=
			"display_name,email|display_name,email,height" || imported.Entries[0].Actor.UID != e.org.OwnerUID ||
			imported.Entries[0].ID <= imported.Entries[1].ID {
			t.Errorf("import entries: %+v", imported)
		}

		// Only the Owner reads it, and only their organization's.
		badWant(t, e.as(admin.Token, "GET", "/admin-management/audit-log/", nil), 403, "super admin privileges")
		if theirs := e.audit(e.other.APIKey, "limit=100"); strings.Contains(string(mustJSON(t, theirs)), c.UserUID) {
			t.Errorf("another organization sees this one's log")
		}
		for _, q := range []string{"limit=0", "since=yesterday", "colour=red"} {
			r := e.do(req{Method: "GET", Path: "/admin-management/audit-log/?" + q, Key: e.org.APIKey})
			badWant(t, r, 400, strings.SplitN(q, "=", 2)[0])
		}
	})
}

// An entry's id is a uid: anything else as before_id is refused, the old
// integer ids included; any uid works, whether or not an entry has it.
func TestAuditBeforeID(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.create(prefixes[0], map[string]any{"email": "b1@example.com", "display_name": "B1"})
		e.create(prefixes[1], map[string]any{"email": "b2@example.com", "display_name": "B2"})
		for _, id := range []string{"x", "12", strings.Repeat("a", 19), strings.Repeat("a", 21), "0000000000000000000-", "000000000000000000%C3%A9"} {
			r := e.do(req{Method: "GET", Path: "/admin-management/audit-log/?before_id=" + id, Key: e.org.APIKey})
			badWant(t, r, 400, "before_id: must be an entry's id, 20 letters and digits")
		}
		all := e.audit(e.org.APIKey, "limit=100")
		if n := len(all.Entries); n < 3 || all.NextBeforeID != "" {
			t.Fatalf("the whole log: %d entries, next_before_id %q", n, all.NextBeforeID)
		}
		if p := e.audit(e.org.APIKey, "before_id=zzzzzzzzzzzzzzzzzzzz"); !slices.Equal(ids(p.Entries), ids(all.Entries)) {
			t.Errorf("before the last possible uid: %v, want the whole log %v", ids(p.Entries), ids(all.Entries))
		}
		if p := e.audit(e.org.APIKey, "before_id=00000000000000000000"); len(p.Entries) != 0 || p.NextBeforeID != "" {
			t.Errorf("before the first possible uid: %+v, want an empty last page", p)
		}
		// next_before_id is empty exactly when no older entry is left, even
		// when the last page is full.
		n := len(all.Entries)
		if p := e.audit(e.org.APIKey, fmt.Sprintf("limit=%d", n)); p.NextBeforeID != "" {
			t.Errorf("a page of all %d entries says more follow: %q", n, p.NextBeforeID)
		}
		if p := e.audit(e.org.APIKey, fmt.Sprintf("limit=%d", n-1)); p.NextBeforeID != all.Entries[n-2].ID {
			t.Errorf("a page of %d of %d entries: next_before_id %q, want %q", n-1, n, p.NextBeforeID, all.Entries[n-2].ID)
		}
	})
}

// The attack: with the INTEGER key as id, an organization saw its
// consecutive entries' ids jump by the number of changes every other
// organization made in between. Ids are now uids: A's answers stay the same
// byte for byte while B writes, and carry no number at all.
func TestAuditIDsTellNothingOfOtherOrganizations(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		first := e.create(prefixes[0], map[string]any{"email": "a1@example.com", "display_name": "A1"})
		before := e.get("/admin-management/audit-log/?limit=100")
		expect(t, before, 200)

		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "b@example.com", "display_name": "B"})
		for i := range 9 {
			r := e.do(req{Method: "PUT", Path: "/user-management/users/", Key: e.other.APIKey, ContentType: "application/json",
				Body: mustJSON(t, map[string]any{"user_uid": theirs.UserUID, "height": 150 + i})})
			expect(t, r, 200)
		}
		if n := len(e.audit(e.other.APIKey, "action=client.update").Entries); n != 9 {
			t.Fatalf("B's log has %d updates, want 9", n)
		}
		if after := e.get("/admin-management/audit-log/?limit=100"); !bytes.Equal(after.Body, before.Body) {
			t.Errorf("A's log changed while B wrote:\n%s\nthen\n%s", before.Body, after.Body)
		}

		second := e.create(prefixes[0], map[string]any{"email": "a2@example.com", "display_name": "A2"})
		raw := e.get("/admin-management/audit-log/?limit=2")
		var page auditPage
		raw.decode(t, &page)
		if len(page.Entries) != 2 || page.Entries[0].ObjectUID != second.UserUID || page.Entries[1].ObjectUID != first.UserUID {
			t.Fatalf("A's two newest entries: %+v", page.Entries)
		}
		newer, older := page.Entries[0].ID, page.Entries[1].ID
		if !auditIDShape.MatchString(newer) || !auditIDShape.MatchString(older) || newer <= older {
			t.Errorf("ids %q after %q: not uids in time order", newer, older)
		}
		if n := jsonNumbers(t, raw.Body); len(n) > 0 {
			t.Errorf("A's log carries numbers %v, which may count B's changes: %s", n, raw.Body)
		}
		if strings.Contains(string(e.get("/admin-management/audit-log/?limit=100").Body), theirs.UserUID) {
			t.Errorf("A's log shows B's client")
		}
	})
}

// Each filter pages through the keyset: the pages of every filter, read
// two entries at a time, are that filter's entries of the whole log, each
// once, newest first, while another organization writes in between.
func TestAuditPagingWithFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.subAdmin("pager@example.com")
		var mine []client
		for i := range 4 {
			c := e.create(prefixes[i%2], map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "display_name": "P"})
			e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": fmt.Sprintf("o%d@example.com", i), "display_name": "O"})
			expect(t, e.as(admin.Token, "PUT", "/user-management/users/", map[string]any{"user_uid": c.UserUID, "height": 170 + i}), 200)
			expect(t, e.json("PUT", "/user-management/users/", map[string]any{"user_uid": c.UserUID, "weight": 60 + i}), 200)
			mine = append(mine, c)
		}
		whole := e.audit(e.org.APIKey, "limit=100")
		all := whole.Entries
		if whole.NextBeforeID != "" {
			t.Fatalf("more than 100 entries: %q", whole.NextBeforeID)
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].ID <= all[i].ID || all[i-1].At < all[i].At {
				t.Fatalf("not newest first: %+v then %+v", all[i-1], all[i])
			}
		}
		since, until := all[len(all)*2/3].At, all[len(all)/3].At
		for _, c := range []struct {
			query string
			match func(auditEntry) bool
		}{
			{"", func(auditEntry) bool { return true }},
			{"actor_uid=" + admin.UID, func(a auditEntry) bool { return a.Actor.UID == admin.UID }},
			{"actor_uid=" + e.org.OwnerUID, func(a auditEntry) bool { return a.Actor.UID == e.org.OwnerUID }},
			{"object_uid=" + mine[1].UserUID, func(a auditEntry) bool { return a.ObjectUID == mine[1].UserUID }},
			{"action=client.update", func(a auditEntry) bool { return a.Action == "client.update" }},
			{"action=client.update&actor_uid=" + admin.UID, func(a auditEntry) bool {
				return a.Action == "client.update" && a.Actor.UID == admin.UID
			}},
			// Times are shown to the millisecond and kept to the microsecond:
			// a bound of a shown time splits the log where the shown times do.
			{"since=" + since, func(a auditEntry) bool { return a.At >= since }},
			{"until=" + until, func(a auditEntry) bool { return a.At < until }},
			{"since=" + since + "&until=" + until, func(a auditEntry) bool { return a.At >= since && a.At < until }},
		} {
			var want []string
			for _, a := range all {
				if c.match(a) {
					want = append(want, a.ID)
				}
			}
			if len(want) < 3 {
				t.Fatalf("%q: %d entries, too few to page through", c.query, len(want))
			}
			if got := e.pageThrough(c.query, 2); !slices.Equal(got, want) {
				t.Errorf("%q, two at a time:\n%v\nwant\n%v", c.query, got, want)
			}
		}
	})
}

// pageThrough reads the log with query, limit entries a page, following
// next_before_id to the end, and returns the ids it saw.
func (e *env) pageThrough(query string, limit int) []string {
	e.t.Helper()
	var seen []string
	before := ""
	for range 100 {
		page := e.audit(e.org.APIKey, fmt.Sprintf("%s&limit=%d&before_id=%s", query, limit, before))
		seen = append(seen, ids(page.Entries)...)
		if page.NextBeforeID == "" {
			if len(page.Entries) > limit {
				e.t.Errorf("%q: a page of %d entries", query, len(page.Entries))
			}
			return seen
		}
		if len(page.Entries) != limit || page.NextBeforeID != page.Entries[limit-1].ID {
			e.t.Fatalf("%q: a page of %d entries says next_before_id %q: %+v", query, len(page.Entries), page.NextBeforeID, page)
		}
		before = page.NextBeforeID
	}
	e.t.Fatalf("%q: 100 pages and no end", query)
	return nil
}

// auditIDShape is what roster.NewUID makes.
var auditIDShape = regexp.MustCompile(`^[0-9A-Za-z]{20}$`)

func ids(entries []auditEntry) []string {
	out := make([]string, len(entries))
	for i, en := range entries {
		out[i] = en.ID
	}
	return out
}

// jsonNumbers returns every number in a JSON document.
func jsonNumbers(t testing.TB, body []byte) []json.Number {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var numbers []json.Number
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return numbers
		}
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if n, ok := tok.(json.Number); ok {
			numbers = append(numbers, n)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
