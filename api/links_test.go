package api_test

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
