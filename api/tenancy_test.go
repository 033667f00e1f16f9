package api_test

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
)

// TestOtherOrganizationIsNotFound sends every client request, on both
// prefixes, for a client of another organization: each is a 404 with the
// same message as an unknown uid, and the client is unchanged.
func TestOtherOrganizationIsNotFound(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "theirs@example.com", "display_name": "Theirs"})
		before := e.do(req{Method: "GET", Path: prefixes[0] + "/" + theirs.UserUID, Key: e.other.APIKey})
		expect(t, before, 200)
		const unknown = "00000000000000000000"
		for _, prefix := range prefixes {
			ct, photoBody := multipartBody(t, map[string]string{"user_uid": theirs.UserUID}, testPNG(t))
			requests := []req{
				{Method: "GET", Path: prefix + "/" + theirs.UserUID},
				{Method: "PUT", Path: prefix + "/", ContentType: "application/json", Body: []byte(`{"user_uid":"` + theirs.UserUID + `","display_name":"Mine"}`)},
				{Method: "PUT", Path: prefix + "/?" + url.Values{"user_uid": {theirs.UserUID}, "display_name": {"Mine"}}.Encode()},
				{Method: "PUT", Path: prefix + "/", ContentType: ct, Body: photoBody},
				{Method: "DELETE", Path: prefix + "/", ContentType: "application/json", Body: []byte(`{"user_uid":"` + theirs.UserUID + `"}`)},
				{Method: "POST", Path: prefix + "/save-notes/" + theirs.UserUID, ContentType: "application/json", Body: []byte(`{"note":"mine"}`)},
			}
			for _, r := range requests {
				r.Key = e.org.APIKey
				got := e.do(r)
				expect(t, got, 404)
				// The same request for a uid that does not exist reads the same.
				r.Path = strings.ReplaceAll(r.Path, theirs.UserUID, unknown)
				r.Body = bytes.ReplaceAll(r.Body, []byte(theirs.UserUID), []byte(unknown))
				if r.ContentType == ct {
					r.ContentType, r.Body = multipartBody(t, map[string]string{"user_uid": unknown}, testPNG(t))
				}
				if missing := e.do(r); missing.Status != 404 || missing.errorText(t) != got.errorText(t) {
					t.Errorf("%s %s: other organization's client answers %s, unknown uid %d %s", r.Method, r.Path, got.Body, missing.Status, missing.Body)
				}
			}
			// Their client cannot be found through the filter either.
			page := e.get(prefix + "/filter/?limit=100")
			if bytes.Contains(page.Body, []byte(theirs.UserUID)) {
				t.Errorf("filter lists another organization's client")
			}
			if list := e.get(prefix + "/"); bytes.Contains(list.Body, []byte(theirs.UserUID)) {
				t.Errorf("list shows another organization's client")
			}
		}
		after := e.do(req{Method: "GET", Path: prefixes[0] + "/" + theirs.UserUID, Key: e.other.APIKey})
		if !bytes.Equal(before.Body, after.Body) {
			t.Errorf("the other organization's client changed:\n%s\n%s", before.Body, after.Body)
		}
	})
}

// TestAPIKeyHeaderForms accepts the three forms the seeds use.
func TestAPIKeyHeaderForms(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, h := range []map[string]string{
			{"API-KEY": e.org.APIKey},
			{"Authorization": "API-KEY " + e.org.APIKey},
			{"Authorization": e.org.APIKey},
			{"Authorization": "Bearer " + e.org.APIKey}, // as SCIM clients send it
		} {
			r := e.do(req{Method: "GET", Path: "/client-management/clients/", Header: h})
			expect(t, r, 200)
		}
		r := e.do(req{Method: "GET", Path: "/client-management/clients/"})
		expect(t, r, 401)
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
	})
}
