package console_test

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/auth"
	"roster/store/storetest"
)

// addAdmin makes a new account, with the test password, an Admin of org by
// an accepted invitation, as the API's invitation routes do; it returns the
// Admin as an Org whose OwnerEmail signs in.
func (e *env) addAdmin(t *testing.T, org storetest.Org, email string) storetest.Org {
	t.Helper()
	hash, err := auth.HashPassword(password, testPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	uid, err := e.st.CreateAccount(t.Context(), roster.NewAccount{Email: email, DisplayName: "Admin",
		PasswordHash: hash, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := e.st.CreateInvitation(t.Context(), org.ID, org.OwnerUID, email, "", roster.DefaultInvitationTTL, roster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.RespondInvitation(t.Context(), uid, inv.Token, true); err != nil {
		t.Fatal(err)
	}
	return storetest.Org{ID: org.ID, UID: org.UID, OwnerUID: uid, OwnerEmail: email}
}

// keys are the unrevoked API keys of an account, as the store lists them.
func (e *env) keys(t *testing.T, accountUID string) []roster.APIKeyInfo {
	t.Helper()
	keys, err := e.st.APIKeys(t.Context(), accountUID)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// apiStatus is the status the API answers GET path with key.
func (e *env) apiStatus(t *testing.T, key, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("API-KEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

var shownSecret = regexp.MustCompile(`<code id="secret">([^<]+)</code>`)

// TestAPIKeys: the owner lists their keys, makes one whose secret is shown
// once and works on the API, is refused a bad name with the API's words,
// and revokes the key after a confirmation, after which the API refuses it.
func TestAPIKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		boot := e.keys(t, e.org.OwnerUID)
		if len(boot) != 1 {
			t.Fatalf("the owner has %d keys; want the bootstrap key", len(boot))
		}
		a := b.get("/console/api-keys")
		if a.status != http.StatusOK || !strings.Contains(a.body, boot[0].KeyID) || !strings.Contains(a.body, "never") ||
			!strings.Contains(a.body, `<a href="/console/api-keys" aria-current="page">API keys</a>`) {
			t.Fatalf("the keys page: %d %s; want 200 listing the bootstrap key, never used", a.status, a.body)
		}
		// The bootstrap key's use on the API shows as its last use, a
		// minute on, when the API records uses again.
		e.clock.Advance(2 * time.Minute)
		if s := e.apiStatus(t, e.org.APIKey, "/client-management/clients/"); s != http.StatusOK {
			t.Fatalf("the bootstrap key on the API: %d", s)
		}
		used := e.clock.Now().UTC().Format("2006-01-02 15:04 UTC")
		if a := b.get("/console/api-keys"); strings.Contains(a.body, "never") || !strings.Contains(a.body, `<td data-label="Last use">`+used+`</td>`) {
			t.Errorf("the used bootstrap key does not show its use at %s: %s", used, a.body)
		}

		long := strings.Repeat("k", 101)
		a = b.post("/console/api-keys", url.Values{"csrf": {token}, "name": {long}})
		want := roster.CheckAPIKeyName(long).Error()
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, want) || !strings.Contains(a.body, `value="`+long+`"`) ||
			shownSecret.MatchString(a.body) {
			t.Fatalf("a long name: %d %s; want 400, %q and the name kept", a.status, a.body, want)
		}
		if n := len(e.keys(t, e.org.OwnerUID)); n != 1 {
			t.Fatalf("a refused name stored a key: %d keys", n)
		}

		a = b.post("/console/api-keys", url.Values{"csrf": {token}, "name": {"Nightly <export>"}})
		m := shownSecret.FindStringSubmatch(a.body)
		if a.status != http.StatusCreated || m == nil || !strings.Contains(a.body, "Nightly &lt;export&gt;") {
			t.Fatalf("create: %d %s; want 201 and the secret", a.status, a.body)
		}
		secret := html.UnescapeString(m[1])
		keys := e.keys(t, e.org.OwnerUID)
		if len(keys) != 2 || keys[0].Name != "Nightly <export>" || !strings.Contains(secret, keys[0].KeyID) {
			t.Fatalf("stored %+v for the secret %q", keys, secret)
		}
		if s := e.apiStatus(t, secret, "/client-management/clients/"); s != http.StatusOK {
			t.Fatalf("the new key on the API: %d; want 200", s)
		}
		if a := b.get("/console/api-keys"); strings.Contains(a.body, secret) || shownSecret.MatchString(a.body) {
			t.Fatalf("the secret is shown again: %s", a.body)
		}

		path := "/console/api-keys/" + keys[0].KeyID + "/revoke"
		a = b.get(path)
		if a.status != http.StatusOK || !strings.Contains(a.body, "Revoke Nightly &lt;export&gt;?") {
			t.Fatalf("the confirmation: %d %s", a.status, a.body)
		}
		if n := len(e.keys(t, e.org.OwnerUID)); n != 2 {
			t.Fatal("the confirmation page revoked the key")
		}
		a = b.post(path, url.Values{"csrf": {token}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/api-keys?done=revoked" {
			t.Fatalf("revoke: %d %s; want 303 back to the list", a.status, a.body)
		}
		if keys := e.keys(t, e.org.OwnerUID); len(keys) != 1 || keys[0].KeyID != boot[0].KeyID {
			t.Fatalf("after revoking, keys %+v; want only the bootstrap key", keys)
		}
		if s := e.apiStatus(t, secret, "/client-management/clients/"); s != http.StatusUnauthorized {
			t.Fatalf("the revoked key on the API: %d; want 401", s)
		}
		if a := b.get("/console/api-keys?done=revoked"); !strings.Contains(a.body, "API key revoked.") || strings.Contains(a.body, keys[0].KeyID) {
			t.Fatalf("after revoking: %s", a.body)
		}
		entries, err := e.st.AuditLog(t.Context(), e.org.ID, roster.AuditFilter{Action: "api_key.revoke", Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].ObjectUID != keys[0].KeyID || entries[0].Actor.UID != e.org.OwnerUID ||
			entries[0].Actor.Kind != roster.ActorToken {
			t.Fatalf("audit of the revocation: %+v", entries)
		}
		// Revoked is gone: a second revocation is the API's 404.
		if a := b.post(path, url.Values{"csrf": {token}}); a.status != http.StatusNotFound || !strings.Contains(a.body, "API key not found") {
			t.Fatalf("revoking again: %d %s; want 404", a.status, a.body)
		}
	})
}

// TestAPIKeysCSRF: creating or revoking a key without the session's CSRF
// token is refused and changes nothing.
func TestAPIKeysCSRF(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		other := e.browser().signIn(e.org)
		boot := e.keys(t, e.org.OwnerUID)[0]
		for name, form := range map[string]url.Values{
			"no token":          {"name": {"k"}},
			"another session's": {"name": {"k"}, "csrf": {other}},
		} {
			for _, path := range []string{"/console/api-keys", "/console/api-keys/" + boot.KeyID + "/revoke"} {
				a := b.post(path, form)
				if a.status != http.StatusForbidden || !strings.Contains(a.body, "this form has expired or did not come from this console") {
					t.Errorf("%s to %s: %d %s; want 403 and the CSRF refusal", name, path, a.status, a.body)
				}
			}
		}
		if keys := e.keys(t, e.org.OwnerUID); len(keys) != 1 || keys[0].KeyID != boot.KeyID {
			t.Fatalf("refused forms changed the keys: %+v", keys)
		}
	})
}

// TestAPIKeysOfOthers: another organization's key, and another member's
// of one's own organization, are the API's 404 and stay unrevoked.
func TestAPIKeysOfOthers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addAdmin(t, e.org, "admin@example.com")
		theirs := e.keys(t, e.other.OwnerUID)[0]
		owners := e.keys(t, e.org.OwnerUID)[0]
		apiMsg := e.apiDelete(t, "/auth/api-keys/"+theirs.KeyID)

		for who, org := range map[string]storetest.Org{"owner": e.org, "admin": admin} {
			b := e.browser()
			token := b.signIn(org)
			ids := []string{theirs.KeyID, "00000000000000000000", "no-such-key"}
			if who == "admin" {
				ids = append(ids, owners.KeyID)
			}
			for _, id := range ids {
				path := "/console/api-keys/" + id + "/revoke"
				for name, a := range map[string]answer{"page": b.get(path), "revoke": b.post(path, url.Values{"csrf": {token}})} {
					if a.status != http.StatusNotFound || !strings.Contains(a.body, apiMsg) {
						t.Errorf("%s, %s of %s: %d %s; want 404 and the API's %q", who, name, id, a.status, a.body, apiMsg)
					}
				}
			}
			if a := b.get("/console/api-keys"); strings.Contains(a.body, theirs.KeyID) || (who == "admin" && strings.Contains(a.body, owners.KeyID)) {
				t.Errorf("%s's list shows another's key: %s", who, a.body)
			}
		}
		if e.apiStatus(t, e.other.APIKey, "/client-management/clients/") != http.StatusOK ||
			e.apiStatus(t, e.org.APIKey, "/client-management/clients/") != http.StatusOK {
			t.Fatal("a key of another was revoked")
		}
	})
}

// TestAdminKeys: an Admin, whom the API lets manage their own keys, makes
// and revokes one in the console.
func TestAdminKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addAdmin(t, e.org, "admin@example.com")
		b := e.browser()
		token := b.signIn(admin)
		a := b.post("/console/api-keys", url.Values{"csrf": {token}, "name": {"admin's"}})
		keys := e.keys(t, admin.OwnerUID)
		if a.status != http.StatusCreated || len(keys) != 1 || keys[0].Name != "admin's" {
			t.Fatalf("an Admin's key: %d, stored %+v", a.status, keys)
		}
		secret := html.UnescapeString(shownSecret.FindStringSubmatch(a.body)[1])
		if s := e.apiStatus(t, secret, "/client-management/clients/"); s != http.StatusOK {
			t.Fatalf("the Admin's key on the API: %d", s)
		}
		a = b.post("/console/api-keys/"+keys[0].KeyID+"/revoke", url.Values{"csrf": {token}})
		if a.status != http.StatusSeeOther || len(e.keys(t, admin.OwnerUID)) != 0 {
			t.Fatalf("an Admin's revocation: %d %s", a.status, a.body)
		}
	})
}

// apiDelete sends DELETE path to the API as the organization's owner,
// signed in through the API, and returns the error message.
func (e *env) apiDelete(t *testing.T, path string) string {
	t.Helper()
	status, msg := e.apiAs(t, http.MethodDelete, path)
	if status != http.StatusNotFound {
		t.Fatalf("the API answers DELETE %s with %d", path, status)
	}
	return msg
}

// apiAs sends method path to the API as the organization's owner, signed
// in through the API's sign-in as a person (keys may not manage keys), and
// returns the status and the error message.
func (e *env) apiAs(t *testing.T, method, path string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"email": e.org.OwnerEmail, "password": password})
	resp, err := http.Post(e.srv.URL+"/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var tk struct{ Token string }
	err = json.NewDecoder(resp.Body).Decode(&tk)
	resp.Body.Close()
	if err != nil || tk.Token == "" {
		t.Fatalf("API sign-in: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+tk.Token)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msg struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&msg)
	return resp.StatusCode, msg.Error
}
