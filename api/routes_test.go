package api_test

// Tests generated from the route table, api.Routes: every route is an
// operation of the OpenAPI documents and every operation a route; each
// route's guard answers every kind of caller as its row says; and every id
// a route takes, when it is another organization's, reads as an unknown id
// and changes nothing. A route added to the table without its operation,
// its guard or a probe for its ids fails them.

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/openapi/openapitest"
	"roster/scim"
	"roster/store/storetest"
)

// routeCall is one of a route's paths: a client route has one per prefix.
type routeCall struct {
	rt           api.Route
	method, path string // path as ServeMux's pattern has it
}

func (c routeCall) String() string { return c.method + " " + c.path }

func routeCalls() []routeCall {
	var out []routeCall
	for _, rt := range api.Routes {
		for _, pattern := range rt.Patterns() {
			method, path, _ := strings.Cut(pattern, " ")
			out = append(out, routeCall{rt: rt, method: method, path: path})
		}
	}
	return out
}

var wildcardRE = regexp.MustCompile(`\{(\w+)(\.\.\.)?\}`)

// operation is the OpenAPI operation of the call: "{$}" is a trailing
// slash there, and "{key...}" a parameter "{key}".
func (c routeCall) operation() string {
	return c.method + " " + wildcardRE.ReplaceAllString(strings.ReplaceAll(c.path, "{$}", ""), "{$1}")
}

// url fills the call's path wildcards from values, the others with
// placeholders, and adds query.
func (c routeCall) url(values map[string]string, query url.Values) string {
	path := wildcardRE.ReplaceAllStringFunc(strings.ReplaceAll(c.path, "{$}", ""), func(w string) string {
		name := wildcardRE.FindStringSubmatch(w)[1]
		return cmp.Or(values[name], placeholders[name], badUnknownUID)
	})
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	return path
}

func (c routeCall) wildcards() []string {
	var names []string
	for _, m := range wildcardRE.FindAllStringSubmatch(c.path, -1) {
		names = append(names, m[1])
	}
	return names
}

// idNames are the request fields that always name something to look up,
// wherever an operation documents them. external_id is not among them:
// creating or updating a client sets it.
var idNames = []string{"user_uid", "link_uid", "invite_token", "key_id", "admin_uid", "coach_uid", "actor_uid", "object_uid"}

// TestRoutesAreDocumented checks the table against the document the
// server serves and the seed's: every route is an operation, in the seed's
// exactly when its row says so, public exactly when the document needs no
// credentials for it, and taking the ids the document names; and every
// documented operation is routed. The document is the same on every
// engine, so one server on SQLite serves it.
func TestRoutesAreDocumented(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	r := e.do(req{Method: "GET", Path: "/openapi.json"})
	expect(t, r, 200)
	doc, err := openapi3.NewLoader().LoadFromData(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	documented := operations(doc)
	seeds := openapitest.Seeds(t)
	inSeed := map[string]*openapi3.Operation{}
	for _, seed := range seeds {
		maps.Copy(inSeed, operations(seed))
	}
	if seeds == nil {
		t.Logf("the seed is not beside the repository (set %s): only Roster's document is checked", openapitest.EnvDir)
	}
	routed := map[string]bool{}
	for _, c := range routeCalls() {
		name := c.operation()
		routed[name] = true
		op := documented[name]
		if op == nil {
			t.Errorf("%s: routed, but not an operation of the OpenAPI document", name)
			continue
		}
		if public := op.Security != nil && len(*op.Security) == 0; public != (c.rt.Guard.Access == api.Public) {
			t.Errorf("%s: public in the document: %v; guard %+v in the table", name, public, c.rt.Guard)
		}
		if g := c.rt.Guard; (g.Access == api.Permitted || g.Person) && op.Responses.Status(403) == nil {
			t.Errorf("%s: its guard can answer 403, which the document does not list", name)
		}
		if seeds != nil && (inSeed[name] != nil) != c.rt.Seed {
			t.Errorf("%s: in the seed's documents: %v; the table says %v", name, inSeed[name] != nil, c.rt.Seed)
		}
		checkDocumentedIDs(t, c, op)
	}
	for _, name := range slices.Sorted(maps.Keys(documented)) {
		if !routed[name] {
			t.Errorf("%s: in the OpenAPI document, but not routed", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(inSeed)) {
		if !routed[name] {
			t.Errorf("%s: in the seed's documents, but not routed", name)
		}
	}
}

// operations maps "METHOD /path" to the document's operations, each with
// the parameters of its path added to its own.
func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			withPath := *op
			withPath.Parameters = append(slices.Clip(item.Parameters), op.Parameters...)
			out[method+" "+path] = &withPath
		}
	}
	return out
}

// checkDocumentedIDs checks that the route's ids are fields the document
// names, and that its path parameters and the fields of idNames it names
// are among the route's ids.
func checkDocumentedIDs(t *testing.T, c routeCall, op *openapi3.Operation) {
	t.Helper()
	named := map[string]bool{} // every parameter and body property, by name
	var ids []string           // those that must be among the route's ids
	for _, p := range op.Parameters {
		named[p.Value.Name] = true
		if p.Value.In == "path" || slices.Contains(idNames, p.Value.Name) {
			ids = append(ids, p.Value.Name)
		}
	}
	if op.RequestBody != nil {
		for _, mt := range op.RequestBody.Value.Content {
			for _, name := range properties(mt.Schema) {
				named[name] = true
				if slices.Contains(idNames, name) {
					ids = append(ids, name)
				}
			}
		}
	}
	for _, id := range c.rt.IDs {
		if !named[id.Name] {
			t.Errorf("%s: takes the id %s, which the document does not name", c.operation(), id.Name)
		}
	}
	for _, name := range ids {
		if !slices.ContainsFunc(c.rt.IDs, func(id api.ID) bool { return id.Name == name }) {
			t.Errorf("%s: the document names %s, which is not among the route's ids", c.operation(), name)
		}
	}
}

// properties lists the property names of a schema and of its allOf, oneOf
// and anyOf.
func properties(ref *openapi3.SchemaRef) []string {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	names := slices.Collect(maps.Keys(s.Properties))
	for _, subs := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, sub := range subs {
			names = append(names, properties(sub)...)
		}
	}
	return names
}

// caller is a kind of principal the role test sends every route's request as.
type caller struct {
	name        string
	role        string // its role in the organization; "" for none
	key         bool   // it calls with an API key
	anonymous   bool
	deactivated bool
	// creds are fresh for every request: the route before may have ended
	// a sign-in session (POST /auth/logout).
	creds func() map[string]string
}

// callers makes one principal of each kind in the organization.
func (e *env) callers() []caller {
	e.t.Helper()
	e.ownerToken(e.org.OwnerEmail)
	admin := e.subAdmin("admin@example.com")
	e.signup("person@example.com")
	gone := e.subAdmin("gone@example.com")
	goneKey := e.newAPIKey(gone.Token, "gone's key")
	expect(e.t, e.json("POST", "/admin-management/sub-admins/deactivate/", map[string]string{"user_uid": gone.UID}), 200)
	signIn := func(email string) func() map[string]string {
		return func() map[string]string { return bearer(e.login(email).Token) }
	}
	send := func(h map[string]string) func() map[string]string { return func() map[string]string { return h } }
	key := func(k string) func() map[string]string { return send(map[string]string{"API-KEY": k}) }
	return []caller{
		{name: "anonymous", anonymous: true, creds: send(nil)},
		{name: "Owner", role: roster.RoleOwner, creds: signIn(e.org.OwnerEmail)},
		{name: "Owner's API key", role: roster.RoleOwner, key: true, creds: key(e.org.APIKey)},
		{name: "Admin", role: roster.RoleAdmin, creds: signIn("admin@example.com")},
		{name: "Admin's API key", role: roster.RoleAdmin, key: true, creds: key(e.newAPIKey(admin.Token, "admin's key"))},
		{name: "person of no organization", creds: signIn("person@example.com")},
		{name: "deactivated Admin", role: roster.RoleAdmin, deactivated: true, creds: send(bearer(gone.Token))},
		{name: "deactivated Admin's API key", role: roster.RoleAdmin, key: true, deactivated: true, creds: key(goneKey)},
	}
}

// refusal is the answer a guard gives c, derived from the guard alone, or
// status 0 when it lets c in. A deactivated account's credentials are
// refused with a 401 whatever its message.
func refusal(t *testing.T, name string, g api.Guard, c caller) (status int, text string) {
	t.Helper()
	switch g.Access {
	case api.Public:
		return 0, ""
	case api.SignedIn, api.Permitted:
	default:
		t.Fatalf("%s: no guard in the route table", name)
	}
	switch {
	case c.anonymous:
		return 401, api.NoCredentials
	case c.deactivated:
		return 401, ""
	}
	p := roster.Principal{Role: c.role}
	if c.role != "" {
		p.OrgID = 1
	}
	if g.Access == api.Permitted && !p.Can(g.Perm) {
		return 403, p.Forbidden(g.Perm).Error()
	}
	if g.Person && c.key {
		return 403, api.PersonOnly
	}
	return 0, ""
}

// guardTexts are the messages of every 403 a guard can answer.
func guardTexts() []string {
	texts := []string{api.PersonOnly}
	for _, role := range []string{"", roster.RoleOwner, roster.RoleAdmin} {
		for perm := roster.PermClients; perm <= roster.PermAuditLog; perm++ {
			texts = append(texts, roster.Principal{Role: role}.Forbidden(perm).Error(),
				roster.Principal{Role: role, OrgID: 1}.Forbidden(perm).Error())
		}
	}
	return texts
}

// placeholders fill the path wildcards that are not uids.
var placeholders = map[string]string{"key": "org/client.png"}

// TestRoutesAnswerEveryCallerAsTheirGuard sends every route's request as
// every kind of caller: each is refused exactly as the route's guard says,
// or let in. The bodies are empty objects, so that a caller let in gets a
// 400 or a 404, or reads, and nothing changes for the next.
func TestRoutesAnswerEveryCallerAsTheirGuard(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		callers := e.callers()
		refusals := guardTexts()
		for _, c := range routeCalls() {
			for _, who := range callers {
				r := req{Method: c.method, Path: c.url(nil, nil), Header: who.creds()}
				if c.method != "GET" {
					r.ContentType, r.Body = "application/json", []byte("{}")
				}
				got := e.do(r)
				status, text := refusal(t, c.String(), c.rt.Guard, who)
				switch {
				case got.Status >= 500:
					t.Errorf("%s as %s: %d %s", c, who.name, got.Status, got.Body)
				case status == 0 && (got.Status == 401 && c.rt.Guard.Access != api.Public ||
					got.Status == 403 && slices.Contains(refusals, got.errorText(t))):
					t.Errorf("%s as %s: refused (%d %s), but its guard lets it in", c, who.name, got.Status, got.Body)
				case status != 0 && (got.Status != status || text != "" && got.errorText(t) != text):
					t.Errorf("%s as %s: %d %s, want %d %q", c, who.name, got.Status, got.Body, status, text)
				}
			}
		}
	})
}

// probeFields are the other fields a route's probe needs to reach the
// look-up of its id, by the route's Pattern in the table; the probe fails
// when a request without them is refused first.
var probeFields = map[string]map[string]any{
	"PUT /{$}":                                      {"display_name": "Mine"},
	"PUT /scim/v2/Users/{id}":                       {"userName": "mine@example.com", "displayName": "Mine"},
	"PATCH /scim/v2/Users/{id}":                     {"schemas": []string{scim.PatchSchema}, "Operations": []any{map[string]any{"op": "replace", "path": "displayName", "value": "Mine"}}},
	"POST /save-notes/{user_uid}":                   {"note": "mine"},
	"POST /{user_uid}/sessions":                     {"activity": "Running", "duration": 60},
	"POST /{user_uid}/metrics":                      {"field": "weight", "value": 70},
	"POST /{user_uid}/coaches/{$}":                  {"coach_uid": "00000000000000000000"},
	"POST /{user_uid}/notes-history":                {"text": "mine"},
	"DELETE /{user_uid}/coaches/{$}":                {"coach_uid": "00000000000000000000"},
	"PUT /auth/me/clients/{user_uid}":               {"display_name": "Mine"},
	"POST /auth/me/link-invitations/respond":        {"user_response": "accept"},
	"PUT /admin-management/sub-admins/{$}":          {"sessions_limit": 5},
	"POST /admin-management/invitation/respond/{$}": {"user_response": "accept"},
}

// revealing are the probes whose answer tells another organization's id
// from an unknown one, as the OpenAPI document says: an invitation's token
// travels only in the mail to its invitee, so whoever sends it read that
// mail, and signed in with another address is told so (403) rather than
// that it does not exist.
var revealing = map[string]string{
	"POST /admin-management/invitation/respond/{$} invite_token": "this invitation is addressed to another email address",
}

// probe is the request of call that carries id with value, as the owner.
func (c routeCall) probe(id api.ID, value, token string) req {
	r := req{Method: c.method, Header: bearer(token)}
	values, query, body := map[string]string{}, url.Values{}, map[string]any{}
	maps.Copy(body, probeFields[c.rt.Pattern])
	switch id.In {
	case api.InPath:
		values[id.Name] = value
	case api.InQuery:
		query.Set(id.Name, value)
	case api.InBody:
		body[id.Name] = value
	}
	r.Path = c.url(values, query)
	if len(body) > 0 {
		b, _ := json.Marshal(body)
		r.ContentType, r.Body = "application/json", b
	}
	return r
}

// unknownLike is an id of the same shape as id that names nothing: its
// letters and digits zeroed, but for a file extension.
func unknownLike(id string) string {
	stem, ext := id, ""
	if i := strings.LastIndex(id, "."); i >= 0 {
		stem, ext = id[:i], id[i:]
	}
	zero := func(r rune) rune {
		if r < 128 && (r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return '0'
		}
		return r
	}
	return strings.Map(zero, stem) + ext
}

// theirIDs gives the other organization one real id of every kind: a
// client with an external_id, a photo, a note and a session, linked to a
// person; a pending link invitation; an Admin; a pending invitation; its
// API key. snapshot reads all of it, and more, as that organization and
// its people see it.
func (e *env) theirIDs(t *testing.T) (ids map[api.IDKind]string, snapshot func() string) {
	t.Helper()
	key := e.other.APIKey
	hook := decodeAs[map[string]any](t, e.do(req{Method: "POST", Path: "/admin-management/webhooks/", Key: key,
		ContentType: "application/json", Body: []byte(`{"url":"http://127.0.0.1:9/theirs","events":["*"]}`)}), 201)
	theirs := e.createAs(key, prefixes[0], map[string]any{"email": "theirs@example.com", "display_name": "Theirs", "external_id": "theirs-1"})
	ct, body := multipartBody(t, map[string]string{"user_uid": theirs.UserUID}, testPNG(t))
	expect(t, e.do(req{Method: "PUT", Path: prefixes[0] + "/", Key: key, ContentType: ct, Body: body}), 200)
	badSaveNote(e, key, prefixes[0], theirs.UserUID, "theirs")
	e.setOrg(e.other, quota(5))
	expect(t, e.do(req{Method: "POST", Path: prefixes[0] + "/" + theirs.UserUID + "/sessions", Key: key,
		ContentType: "application/json", Body: []byte(`{"activity":"Running","duration":60}`)}), 201)
	person := e.signup("theirs@example.com")
	e.link(key, theirs.UserUID, person.Token)
	asked := e.createAs(key, prefixes[0], map[string]any{"email": "asked@example.com", "display_name": "Asked"})
	admin := e.subAdminOf(key, "their-admin@example.com")
	keyID, _, _ := auth.SplitAPIKey(key)
	shown := decodeAs[client](t, e.do(req{Method: "GET", Path: prefixes[0] + "/" + theirs.UserUID, Key: key}), 200)
	photo, err := url.Parse(*shown.ProfilePhoto)
	if err != nil {
		t.Fatal(err)
	}
	ids = map[api.IDKind]string{
		api.ClientUID: theirs.UserUID, api.ClientExternalID: "theirs-1", api.StaffUID: admin.UID,
		api.InvitationToken: e.invite(key, "their-pending@example.com").InviteToken,
		api.LinkUID:         e.inviteLink(key, asked.UserUID).LinkUID,
		api.APIKeyID:        keyID, api.PhotoKey: strings.TrimPrefix(photo.Path, "/photos/"),
		api.WebhookID: hook["id"].(string),
	}
	deliveries := decodeAs[struct {
		Deliveries []struct{ ID string } `json:"deliveries"`
	}](t, e.do(req{Method: "GET", Path: "/admin-management/webhooks/" + ids[api.WebhookID] + "/deliveries", Key: key}), 200)
	ids[api.DeliveryID] = deliveries.Deliveries[0].ID
	owner := e.ownerToken(e.other.OwnerEmail)
	views := []req{
		{Path: prefixes[0] + "/", Key: key},
		{Path: prefixes[0] + "/?deactivated=true", Key: key},
		{Path: prefixes[0] + "/" + theirs.UserUID, Key: key},
		{Path: prefixes[0] + "/" + theirs.UserUID + "/sessions", Key: key},
		{Path: prefixes[0] + "/" + asked.UserUID, Key: key},
		{Path: "/admin-management/sub-admins/", Key: key},
		{Path: "/admin-management/invitation/", Key: key},
		{Path: "/admin-management/audit-log/?limit=100", Key: key},
		{Path: "/admin-management/webhooks/", Key: key},
		{Path: "/admin-management/webhooks/" + ids[api.WebhookID] + "/deliveries", Key: key},
		{Path: "/auth/api-keys", Header: bearer(owner)},
		{Path: "/auth/me", Header: bearer(person.Token)},
		{Path: "/auth/me", Header: bearer(admin.Token)},
	}
	// Photo links are signed until an hour boundary, and a key's last use
	// is written once a minute: neither is the organization's data.
	volatile := regexp.MustCompile(`\?exp=[^"]*|"last_used_at":"[^"]*"`)
	return ids, func() string {
		var b strings.Builder
		for _, v := range views {
			v.Method = "GET"
			r := e.do(v)
			fmt.Fprintf(&b, "%s → %d %s\n", v.Path, r.Status, volatile.ReplaceAll(r.Body, nil))
		}
		return b.String()
	}
}

// TestOtherOrganizationsIDsAreUnknown sends every id every route takes,
// as the organization's Owner, once as another organization's real id and
// once as an id that names nothing: the answers are the same, but for the
// id itself, and the other organization is unchanged.
func TestOtherOrganizationsIDsAreUnknown(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.create(prefixes[0], map[string]any{"email": "ours@example.com", "display_name": "Ours"})
		ids, snapshot := e.theirIDs(t)
		owner := e.ownerToken(e.org.OwnerEmail)
		for _, c := range routeCalls() {
			for _, name := range c.wildcards() {
				if !slices.ContainsFunc(c.rt.IDs, func(id api.ID) bool { return id.In == api.InPath && id.Name == name }) {
					t.Errorf("%s: the path's {%s} is not among the route's ids, so nothing probes it", c, name)
				}
			}
			for _, id := range c.rt.IDs {
				if _, ok := ids[id.Kind]; !ok {
					t.Errorf("%s: no probe for its %s %s, a %s: give theirIDs one", c, id.In, id.Name, id.Kind)
				}
			}
		}
		if t.Failed() {
			t.FailNow()
		}
		before := snapshot()
		revealed := map[string]bool{}
		for _, c := range routeCalls() {
			for _, id := range c.rt.IDs {
				theirs := ids[id.Kind]
				unknown := unknownLike(theirs)
				got, want := e.do(c.probe(id, theirs, owner)), e.do(c.probe(id, unknown, owner))
				if want.Status == 400 {
					t.Errorf("%s with an unknown %s: refused before its look-up (%s): add the fields it needs to probeFields", c, id.Name, want.Body)
				}
				gotBody := strings.ReplaceAll(string(got.Body), theirs, "{id}")
				wantBody := strings.ReplaceAll(string(want.Body), unknown, "{id}")
				if text, ok := revealing[c.String()+" "+id.Name]; ok {
					revealed[c.String()+" "+id.Name] = true
					if got.Status != 403 || got.errorText(t) != text {
						t.Errorf("%s with another organization's %s: %d %s, want the documented 403 %q", c, id.Name, got.Status, got.Body, text)
					}
				} else if got.Status != want.Status || gotBody != wantBody {
					t.Errorf("%s with another organization's %s: %d %s; with an unknown one: %d %s", c, id.Name, got.Status, gotBody, want.Status, wantBody)
				}
				if after := snapshot(); after != before {
					t.Fatalf("%s with another organization's %s changed it:\n%s", c, id.Name, badChange(before, after))
				}
			}
		}
		for probe := range revealing {
			if !revealed[probe] {
				t.Errorf("revealing lists %s, which no route's id is", probe)
			}
		}
	})
}
