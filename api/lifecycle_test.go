package api_test

import (
	"context"
	"testing"
)

func TestExternalIDAndSessionsLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, prefix := range prefixes {
			tag := prefix[1:5]
			c := e.create(prefix, map[string]any{"email": tag + "-ext@example.com", "display_name": "Ext",
				"external_id": "crm-" + tag, "sessions_limit": 2})
			got, err := e.st.Client(context.Background(), e.org.ID, c.UserUID)
			if err != nil || got.ExternalID == nil || *got.ExternalID != "crm-"+tag || got.SessionsLimit == nil || *got.SessionsLimit != 2 {
				t.Fatalf("stored %+v, %v", got, err)
			}
			// Unique within the organization, free in another one.
			r := e.json("POST", prefix+"/", map[string]any{"email": tag + "-dup@example.com", "display_name": "Dup", "external_id": "crm-" + tag})
			badWant(t, r, 400, "external_id: a client with this external_id already exists")
			e.createAs(e.other.APIKey, prefix, map[string]any{"email": tag + "-o@example.com", "display_name": "O", "external_id": "crm-" + tag})

			for body, want := range map[string]string{
				`{"user_uid":"` + c.UserUID + `","sessions_limit":0}`:       "sessions_limit: must be between 1 and 999999",
				`{"user_uid":"` + c.UserUID + `","sessions_limit":1000000}`: "and 999999",
				`{"user_uid":"` + c.UserUID + `","sessions_limit":1.5}`:     "sessions_limit: must be an integer",
				`{"user_uid":"` + c.UserUID + `","external_id":5}`:          "external_id: must be a string",
			} {
				badWant(t, e.do(req{Method: "PUT", Path: "/user-management/users/", Key: e.org.APIKey,
					ContentType: "application/json", Body: []byte(body)}), 400, want)
			}
			// null clears both.
			expect(t, e.json("PUT", "/user-management/users/", map[string]any{"user_uid": c.UserUID, "external_id": nil, "sessions_limit": nil}), 200)
			got, err = e.st.Client(context.Background(), e.org.ID, c.UserUID)
			if err != nil || got.ExternalID != nil || got.SessionsLimit != nil {
				t.Errorf("after clearing: %+v, %v", got, err)
			}
		}
	})
}
