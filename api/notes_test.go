package api_test

import (
	"strings"
	"testing"
)

type noteVersion struct {
	UID        string  `json:"uid"`
	Text       *string `json:"text"`
	Visibility string  `json:"visibility"`
	AuthorUID  string  `json:"author_uid"`
	CreatedAt  string  `json:"created_at"`
}

type noteHistory struct {
	Notes   []noteVersion `json:"notes"`
	LastUID string        `json:"last_uid"`
}

// texts are the texts of a history page, "" for a cleared note.
func texts(h noteHistory) string {
	var out []string
	for _, n := range h.Notes {
		t := ""
		if n.Text != nil {
			t = *n.Text
		}
		out = append(out, n.Visibility+":"+t)
	}
	return strings.Join(out, ",")
}

// TestNoteHistory: save-notes and POST notes-history keep every version
// with its author, newest first and keyset-paged; a coaches version is
// seen by the Owner, the client's coaches and its author only, and leaves
// the notes field as it was.
func TestNoteHistory(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner := e.ownerToken(e.org.OwnerEmail)
		coach := e.subAdminOf(e.org.APIKey, "coach@example.com")
		author := e.subAdminOf(e.org.APIKey, "author@example.com")
		bystander := e.subAdminOf(e.org.APIKey, "bystander@example.com")
		c := e.create(prefixes[0], map[string]any{"email": "athlete@example.com", "display_name": "Athlete"})
		expect(t, e.json("POST", prefixes[0]+"/"+c.UserUID+"/coaches/", map[string]string{"coach_uid": coach.UID}), 200)
		history := prefixes[1] + "/" + c.UserUID + "/notes-history"

		expect(t, e.as(owner, "POST", prefixes[0]+"/save-notes/"+c.UserUID, map[string]string{"note": "first"}), 200)
		expect(t, e.as(author.Token, "POST", history, map[string]string{"text": "private", "visibility": "coaches"}), 201)
		expect(t, e.as(coach.Token, "POST", prefixes[0]+"/"+c.UserUID+"/notes-history", map[string]string{"text": "shared"}), 201)
		expect(t, e.as(owner, "POST", prefixes[1]+"/save-notes/"+c.UserUID, map[string]any{"note": nil}), 200)

		if d := e.details(prefixes[0], c.UserUID); !strings.Contains(string(d.Notes), `"notes":null`) && !strings.Contains(string(d.Notes), "null") {
			t.Errorf("notes after clearing: %s", d.Notes)
		}
		all := "organization:,organization:shared,coaches:private,organization:first"
		public := "organization:,organization:shared,organization:first"
		for who, want := range map[string]string{owner: all, coach.Token: all, author.Token: all, bystander.Token: public} {
			h := decodeAs[noteHistory](t, e.as(who, "GET", history, nil), 200)
			if got := texts(h); got != want {
				t.Errorf("history: %s, want %s", got, want)
			}
		}
		h := decodeAs[noteHistory](t, e.as(owner, "GET", history, nil), 200)
		wantAuthors := []string{e.org.OwnerUID, coach.UID, author.UID, e.org.OwnerUID}
		for i, n := range h.Notes {
			if n.AuthorUID != wantAuthors[i] || n.CreatedAt == "" {
				t.Errorf("version %d: author %s at %q, want %s", i, n.AuthorUID, n.CreatedAt, wantAuthors[i])
			}
		}
		// Paged one at a time, the same versions in the same order.
		var paged []string
		after := ""
		for range 5 {
			p := decodeAs[noteHistory](t, e.as(owner, "GET", history+"?limit=1&start_after_id="+after, nil), 200)
			if len(p.Notes) == 0 {
				break
			}
			paged = append(paged, texts(p))
			after = p.LastUID
		}
		if got := strings.Join(paged, ","); got != all {
			t.Errorf("paged: %s, want %s", got, all)
		}
		// A coaches version leaves the notes field; an organization one sets it.
		expect(t, e.as(coach.Token, "POST", history, map[string]string{"text": "for coaches", "visibility": "coaches"}), 201)
		if d := e.details(prefixes[0], c.UserUID); strings.Contains(string(d.Notes), "for coaches") {
			t.Errorf("a coaches version became the note: %s", d.Notes)
		}
		expect(t, e.as(coach.Token, "POST", history, map[string]string{"text": "for all", "visibility": "organization"}), 201)
		if d := e.details(prefixes[0], c.UserUID); !strings.Contains(string(d.Notes), "for all") {
			t.Errorf("an organization version is not the note: %s", d.Notes)
		}
	})
}

// TestNoteHistoryBadInput refuses each bad version with its exact answer,
// and stores none.
func TestNoteHistoryBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "athlete@example.com", "display_name": "Athlete"})
		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "theirs@example.com", "display_name": "Theirs"})
		path := prefixes[0] + "/" + c.UserUID + "/notes-history"
		notFound := "user not found or not under this organization"
		for _, tc := range []struct {
			name, path, contentType, body string
			status                        int
			text                          string
		}{
			{"missing text", path, "application/json", `{}`, 400, "text: required"},
			{"empty text", path, "application/json", `{"text":""}`, 400, "text: required"},
			{"text not a string", path, "application/json", `{"text":5}`, 400, "text: must be a string"},
			{"oversized text", path, "application/json", `{"text":"` + strings.Repeat("a", 100_001) + `"}`, 413, "text: must be at most 100000 bytes"},
			{"bad visibility", path, "application/json", `{"text":"x","visibility":"friends"}`, 400, "visibility: must be organization or coaches"},
			{"visibility not a string", path, "application/json", `{"text":"x","visibility":1}`, 400, "visibility: must be organization or coaches"},
			{"unknown field", path, "application/json", `{"text":"x","note":"y"}`, 400, "note: unknown field; accepted: text, visibility"},
			{"unknown client", prefixes[0] + "/00000000000000000000/notes-history", "application/json", `{"text":"x"}`, 404, notFound},
			{"another organization's client", prefixes[0] + "/" + theirs.UserUID + "/notes-history", "application/json", `{"text":"x"}`, 404, notFound},
		} {
			got := e.do(req{Method: "POST", Path: tc.path, Key: e.org.APIKey, ContentType: tc.contentType, Body: []byte(tc.body)})
			if got.Status != tc.status || got.errorText(t) != tc.text {
				t.Errorf("%s: %d %s, want %d %q", tc.name, got.Status, got.Body, tc.status, tc.text)
			}
		}
		if h := decodeAs[noteHistory](t, e.get(path), 200); len(h.Notes) != 0 || h.LastUID != "" {
			t.Errorf("refused versions were stored: %+v", h)
		}
		for _, bad := range []struct{ query, text string }{{"?limit=0", ""}, {"?start_after_id=../x", ""}} {
			if got := e.get(path + bad.query); got.Status != 400 {
				t.Errorf("GET %s: %d %s", bad.query, got.Status, got.Body)
			}
		}
		expect(t, e.get(prefixes[0]+"/"+theirs.UserUID+"/notes-history"), 404)
	})
}
