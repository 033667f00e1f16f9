package api_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"roster"
	"roster/auth"
)

const orgStatusPath = "/user-management/organization-status/"

// orgStatusOf reads the organization status as key, decoded as a plain map
// so that the test sees exactly the fields sent.
func orgStatusOf(e *env, key string) map[string]any {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: orgStatusPath, Key: key})
	expect(e.t, r, 200)
	var m map[string]any
	r.decode(e.t, &m)
	return m
}

func TestOrganizationStatus(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		key, keyID, hash := auth.NewAPIKey()
		orgUID, ownerUID, err := e.st.CreateOrganization(ctx, roster.NewOrganization{
			CompanyName: "Apple", PaymentType: "Enterprise", SessionNumber: 50, ClientLimit: 0,
			Activities: []string{"Running", "Weightlifting"}, OwnerEmail: "olivia@example.com", OwnerName: "Olivia Owner",
			Key: roster.NewAPIKey{KeyID: keyID, SecretHash: hash, Name: "test"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]any{
			"session_number": 50.0, "uid": ownerUID, "role": "Owner", "payment_type": "Enterprise",
			"activity": []any{"Running", "Weightlifting"}, "companyName": "Apple", "name": "Olivia Owner",
			"organization_uid": orgUID,
		}
		if got := orgStatusOf(e, key); !reflect.DeepEqual(got, want) {
			t.Errorf("status:\n got %v\nwant %v", got, want)
		}

		// The operator's changes show at once; every organization sees its own.
		none := []string{}
		plan, n := "Free", int64(7)
		if _, err := e.st.UpdateOrganization(ctx, orgUID, roster.OrganizationUpdate{PaymentType: &plan, SessionNumber: &n, Activities: &none}); err != nil {
			t.Fatal(err)
		}
		want["payment_type"], want["session_number"], want["activity"] = "Free", 7.0, []any{}
		if got := orgStatusOf(e, key); !reflect.DeepEqual(got, want) {
			t.Errorf("status after the change:\n got %v\nwant %v", got, want)
		}
		other := orgStatusOf(e, e.other.APIKey)
		if other["organization_uid"] != e.other.UID || other["uid"] != e.other.OwnerUID || other["session_number"] != 0.0 ||
			other["payment_type"] != "Pro" || len(other["activity"].([]any)) != len(roster.Activities) {
			t.Errorf("the other organization's status: %v", other)
		}

		// With no activity enabled nothing can be recorded; once one is, a
		// recording shows in session_number.
		c := e.createAs(key, prefixes[0], map[string]any{"email": "a@example.com", "display_name": "A"})
		badWant(t, e.record(key, prefixes[0], c.UserUID, `{"activity":"Running","duration":60}`), 400,
			"activity: this organization has no activity enabled")
		running := []string{"Running"}
		if _, err := e.st.UpdateOrganization(ctx, orgUID, roster.OrganizationUpdate{Activities: &running}); err != nil {
			t.Fatal(err)
		}
		e.recorded(key, prefixes[1], c.UserUID, `{"activity":"Running","duration":60}`)
		want["session_number"], want["activity"] = 6.0, []any{"Running"}
		if got := orgStatusOf(e, key); !reflect.DeepEqual(got, want) {
			t.Errorf("status after a recording:\n got %v\nwant %v", got, want)
		}
	})
}

func TestOrganizationStatusNeedsCredentials(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, h := range []map[string]string{nil, {"API-KEY": "rst_nonsense"}} {
			r := e.do(req{Method: "GET", Path: orgStatusPath, Header: h})
			expect(t, r, 401)
			var body map[string]string
			if json.Unmarshal(r.Body, &body) != nil || body["error"] == "" {
				t.Errorf("401 body %s", r.Body)
			}
		}
	})
}
