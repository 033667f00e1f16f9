package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// linkInvitation is the answer to POST .../link/ and an item of
// GET /auth/me/link-invitations.
type linkInvitation struct {
	LinkUID         string `json:"link_uid"`
	OrganizationUID string `json:"organization_uid"`
	CompanyName     string `json:"company_name"`
	UserUID         string `json:"user_uid"`
	Email           string `json:"email"`
	PlatformLink    string `json:"platform_link"`
}

// inviteLink has the organization of key ask the person with the client's
// email to link their account.
func (e *env) inviteLink(key, clientUID string) linkInvitation {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: prefixes[0] + "/link/", Key: key, ContentType: "application/json",
		Body: []byte(`{"user_uid":"` + clientUID + `"}`)})
	return decodeAs[linkInvitation](e.t, r, 201)
}

// link links a client of the organization of key to the account signed in
// with token, as the person would: the organization asks, they accept.
func (e *env) link(key, clientUID, token string) {
	e.t.Helper()
	inv := e.inviteLink(key, clientUID)
	expect(e.t, e.as(token, "POST", "/auth/me/link-invitations/respond",
		map[string]string{"link_uid": inv.LinkUID, "user_response": "accept"}), 200)
}

// unsentMail counts the mail waiting in the outbox: a refused request
// queues none.
func unsentMail(e *env) string {
	e.t.Helper()
	mails, err := e.st.UnsentMail(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return fmt.Sprintf(" %d mails", len(mails))
}

// TestBadLinkRequests sends malformed link requests, for another
// organization's clients and by callers who may not: each fails with its
// message and changes nothing (no link, no invitation, no mail).
func TestBadLinkRequests(t *testing.T) {
	staff := []badCase{
		{name: "no body", ct: badNoCT, status: 400, want: "user_uid: required (or external_id)"},
		{name: "both", body: `{"user_uid":"{A}","external_id":"x"}`, status: 400, want: "not both"},
		{name: "user_uid a number", body: `{"user_uid":5}`, status: 400, want: "user_uid: must be a string"},
		{name: "unknown field", body: `{"user_uid":"{A}","reason":"x"}`, status: 400, want: "reason: unknown field"},
		{name: "unknown uid", body: `{"user_uid":"` + badUnknownUID + `"}`, status: 404, want: badNotFound},
		{name: "malformed uid", body: `{"user_uid":"a.b"}`, status: 404, want: badNotFound},
		{name: "other organization's client", body: `{"user_uid":"{O}"}`, status: 404, want: badNotFound},
		{name: "other organization's external_id", body: `{"external_id":"theirs"}`, status: 404, want: badNotFound},
		{name: "body over 1 MiB", body: `{"user_uid":"{A}","pad":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	staff = append(staff, badBodyCases(`{"user_uid":"{A}"}`)...)
	invite := append([]badCase{
		{name: "platform_link a number", body: `{"user_uid":"{A}","platform_link":5}`, status: 400, want: "platform_link: must be a string"},
		{name: "platform_link elsewhere", body: `{"user_uid":"{A}","platform_link":"https://evil.example/"}`, status: 400, want: "platform_link: https://evil.example is not an origin"},
		{name: "platform_link not http", body: `{"user_uid":"{A}","platform_link":"data:text/html,x"}`, status: 400, want: "platform_link: must be an absolute http"},
		{name: "deactivated client", body: `{"user_uid":"{D}"}`, status: 400, want: "deactivated"},
	}, staff...)
	respond := []badCase{
		{name: "no link_uid", body: `{"user_response":"accept"}`, status: 400, want: "link_uid: required"},
		{name: "no user_response", body: `{"link_uid":"{L}"}`, status: 400, want: "user_response: required"},
		{name: "bad user_response", body: `{"link_uid":"{L}","user_response":"yes"}`, status: 400, want: "user_response: must be accept or decline"},
		{name: "link_uid a number", body: `{"link_uid":5,"user_response":"accept"}`, status: 400, want: "link_uid: must be a string"},
		{name: "unknown link_uid", body: `{"link_uid":"` + badUnknownUID + `","user_response":"accept"}`, status: 404, want: "link invitation not found"},
		{name: "malformed link_uid", body: `{"link_uid":"../x","user_response":"accept"}`, status: 404, want: "link invitation not found"},
		{name: "someone else's", body: `{"link_uid":"{LO}","user_response":"accept"}`, status: 404, want: "link invitation not found"},
		{name: "unknown field", body: `{"link_uid":"{L}","user_response":"accept","x":1}`, status: 400, want: "x: unknown field"},
		{name: "body over 1 MiB", body: `{"link_uid":"{L}","pad":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	respond = append(respond, badBodyCases(`{"link_uid":"{L}","user_response":"accept"}`)...)
	unlink := []badCase{
		{name: "unknown uid", path: badUnknownUID, status: 404, want: badNotFound},
		{name: "malformed uid", path: "a.b", status: 404, want: badNotFound},
		{name: "a profile not linked", path: "{A}", status: 404, want: badNotFound},
		{name: "someone else's linked profile", path: "{O}", status: 404, want: badNotFound},
	}
	each(t, func(t *testing.T, e *env) {
		a := e.create(prefixes[0], map[string]any{"email": "a@example.com", "display_name": "A"})
		d := e.create(prefixes[0], map[string]any{"email": "d@example.com", "display_name": "D"})
		expect(t, e.json("POST", prefixes[0]+"/deactivate/", map[string]string{"user_uid": d.UserUID}), 200)
		o := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "o@example.com", "display_name": "O", "external_id": "theirs"})
		person := e.signup("a@example.com")
		linked := e.signup("o@example.com")
		e.link(e.other.APIKey, o.UserUID, linked.Token)
		mine := e.inviteLink(e.org.APIKey, a.UserUID)
		theirs := e.inviteLink(e.org.APIKey, e.create(prefixes[0], map[string]any{"email": "t@example.com", "display_name": "T"}).UserUID)
		vars := strings.NewReplacer("{A}", a.UserUID, "{O}", o.UserUID, "{D}", d.UserUID, "{L}", mine.LinkUID, "{LO}", theirs.LinkUID)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, prefixes[0]+"/") + badSnap(e, e.other.APIKey, prefixes[0]+"/") +
				string(e.as(person.Token, "GET", "/auth/me/link-invitations", nil).Body) +
				string(e.as(linked.Token, "GET", "/auth/me", nil).Body) + unsentMail(e)
		}
		key := map[string]string{"API-KEY": e.org.APIKey}
		for _, prefix := range prefixes {
			badRunWith(t, e, "POST", prefix+"/link/", key, vars, state, invite)
			badRunWith(t, e, "DELETE", prefix+"/link/", key, vars, state, staff)
		}
		badRunWith(t, e, "POST", "/auth/me/link-invitations/respond", bearer(person.Token), vars, state, respond)
		badRunRequests(t, e, "DELETE", state, unlink, func(c badCase) req {
			return req{Method: "DELETE", Path: "/auth/me/clients/" + vars.Replace(c.path) + "/link", Header: bearer(person.Token)}
		})
		// People answer for themselves: an API key may not.
		for _, r := range []req{
			{Method: "GET", Path: "/auth/me/link-invitations"},
			{Method: "POST", Path: "/auth/me/link-invitations/respond", ContentType: "application/json",
				Body: []byte(`{"link_uid":"` + mine.LinkUID + `","user_response":"accept"}`)},
			{Method: "DELETE", Path: "/auth/me/clients/" + a.UserUID + "/link"},
		} {
			r.Key = e.org.APIKey
			badWant(t, e.do(r), 403, "send a bearer token")
		}
	})
}

// TestBadPasswordResets sends malformed reset requests: each fails with
// its message, mails nothing and changes no password.
func TestBadPasswordResets(t *testing.T) {
	request := []badCase{
		{name: "no email", body: `{}`, status: 400, want: "email: required"},
		{name: "bad email", body: `{"email":"nobody"}`, status: 400, want: "email: must be a valid email address"},
		{name: "email a number", body: `{"email":5}`, status: 400, want: "email: must be a string"},
		{name: "platform_link elsewhere", body: `{"email":"r@example.com","platform_link":"https://evil.example/"}`, status: 400, want: "platform_link: https://evil.example is not an origin"},
		{name: "unknown field", body: `{"email":"r@example.com","password":"x"}`, status: 400, want: "password: unknown field"},
		{name: "body over 1 MiB", body: `{"email":"r@example.com","pad":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	request = append(request, badBodyCases(`{"email":"r@example.com"}`)...)
	confirm := []badCase{
		{name: "no token", body: `{"new_password":"a fine new password"}`, status: 400, want: "token: required"},
		{name: "no new_password", body: `{"token":"{T}"}`, status: 400, want: "new_password: required"},
		{name: "unknown token", body: `{"token":"rvt_unknown","new_password":"a fine new password"}`, status: 400, want: "token: invalid, used or expired code"},
		{name: "short password", body: `{"token":"{T}","new_password":"short"}`, status: 400, want: "new_password: must be at least 8 characters"},
		{name: "common password", body: `{"token":"{T}","new_password":"iloveyou2"}`, status: 400, want: "new_password: is one of the most common passwords"},
		{name: "the email in it", body: `{"token":"{T}","new_password":"reset4me r@example.com"}`, status: 400, want: "new_password: must not contain your email"},
		{name: "new_password a number", body: `{"token":"{T}","new_password":12345678}`, status: 400, want: "new_password: must be a string"},
		{name: "unknown field", body: `{"token":"{T}","new_password":"a fine new password","x":1}`, status: 400, want: "x: unknown field"},
	}
	confirm = append(confirm, badBodyCases(`{"token":"{T}","new_password":"a fine new password"}`)...)
	each(t, func(t *testing.T, e *env) {
		e.signup("r@example.com")
		expect(t, e.post("/auth/password-reset", map[string]string{"email": "r@example.com"}), 202)
		code := e.verificationCode("r@example.com")
		vars := strings.NewReplacer("{T}", code)
		state := func(e *env) string {
			_, hash, _, _ := e.st.PasswordHash(context.Background(), "r@example.com")
			return hash + unsentMail(e)
		}
		badRunWith(t, e, "POST", "/auth/password-reset", nil, vars, state, request)
		badRunWith(t, e, "POST", "/auth/password-reset/confirm", nil, vars, state, confirm)
		// After all that, the code still works once.
		expect(t, e.post("/auth/password-reset/confirm", map[string]string{"token": code, "new_password": "a fine new password"}), 200)
	})
}
