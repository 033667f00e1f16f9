package api_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

type auditPage struct {
	Entries []struct {
		ID    int64  `json:"id"`
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
	} `json:"entries"`
	NextBeforeID int64 `json:"next_before_id"`
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
		first := e.audit(e.org.APIKey, "limit=2")
		next := e.audit(e.org.APIKey, "limit=2&before_id="+itoa(first.NextBeforeID))
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
			"display_name,email|display_name,email,height" || imported.Entries[0].Actor.UID != e.org.OwnerUID {
			t.Errorf("import entries: %+v", imported)
		}

		// Only the Owner reads it, and only their organization's.
		badWant(t, e.as(admin.Token, "GET", "/admin-management/audit-log/", nil), 403, "super admin privileges")
		if theirs := e.audit(e.other.APIKey, "limit=100"); strings.Contains(string(mustJSON(t, theirs)), c.UserUID) {
			t.Errorf("another organization sees this one's log")
		}
		for _, q := range []string{"limit=0", "before_id=x", "since=yesterday", "colour=red"} {
			r := e.do(req{Method: "GET", Path: "/admin-management/audit-log/?" + q, Key: e.org.APIKey})
			badWant(t, r, 400, strings.SplitN(q, "=", 2)[0])
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
