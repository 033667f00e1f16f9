package api

import (
	"cmp"
	"net/http"
	"strings"
	"time"

	"roster"
	"roster/scim"
)

// Route is one operation of the API, described once: Handler registers it,
// and the tests generated from routes check it against the OpenAPI
// documents, the role table and other organizations' ids, so that a new
// route cannot forget documentation, roles or tenancy.
type Route struct {
	// Pattern is ServeMux's "METHOD /path"; a client route's path is under
	// each of clientPrefixes.
	Pattern string
	Clients bool
	Guard   Guard
	// IDs are the ids the route looks up and where the request carries
	// them; none for a route that takes no id. Keyset cursors
	// (start_after_id, end_before_id, before_id) are not ids: they are
	// compared with the rows' uids, never looked up.
	IDs []ID
	// Seed: the operation is in the seed's OpenAPI documents, not only in
	// Roster's.
	Seed bool
	// BadBodyIs400: the seed's admin-management operations document no 413,
	// 415 or 429, so a body too large or of the wrong type, and a reached
	// limit, are answered as 400s there (see badBody).
	BadBodyIs400 bool
	// Under is the ServeMux pattern (without the method) of a route whose
	// path ServeMux cannot tell from another's: POST .../save-notes/{user_uid}
	// and POST .../{user_uid}/sessions both match .../save-notes/sessions,
	// which ServeMux refuses to register. Routes with the same Under are
	// registered once, under it, and the first in the table whose path
	// matches serves the request.
	Under string
	// Budget is how long a request may take, authentication and database
	// included; zero is the server's (Config.Budget), Unbounded none. At
	// the end of its budget a request's database calls end and it is
	// answered 503 with Retry-After.
	Budget time.Duration
	// Stream: the answer may take long to read (the unpaged list, the
	// export, an import's progress lines). Each write renews its budget,
	// and must itself finish within Config.StreamWriteTimeout.
	Stream bool
	// SCIM: a route of the SCIM service, whose every error, the guard's
	// included, is answered as a SCIM error object (RFC 7644 §3.12).
	SCIM  bool
	serve func(*Server, http.ResponseWriter, *http.Request) error
}

// uploadBudget is the budget of the routes that take a photo, whose body
// may take a while to arrive and whose photo to decode and encode.
const uploadBudget = time.Minute

// clientPrefixes are the v2 and v1 paths of the client routes. They share
// their handlers, so they cannot drift apart.
var clientPrefixes = []string{"/client-management/clients", "/user-management/users"}

// Guard is who may call a route, checked in this order: credentials, the
// role's permission, whether an API key may. The zero Guard is no guard:
// Handler refuses a route without one, so that none is public by omission.
type Guard struct {
	Access Access
	Perm   roster.Permission // what the caller's role must grant, when Access is Permitted
	Person bool              // only a signed-in person, never an API key
}

// Access is what a guard asks of the caller's credentials.
type Access int

const (
	NoGuard   Access = iota
	Public           // anyone, with or without credentials
	SignedIn         // any authenticated caller, staff or not
	Permitted        // an authenticated caller whose role grants the guard's Perm
)

// The guards of the table.
var (
	anyone = Guard{Access: Public}
	caller = Guard{Access: SignedIn}
	self   = Guard{Access: SignedIn, Person: true}
	staff  = may(roster.PermClients)
	// A person manages API keys, never a key: a leaked key must not be
	// able to make itself a successor that outlives its revocation.
	keys = Guard{Access: Permitted, Perm: roster.PermOwnAPIKeys, Person: true}
)

func may(perm roster.Permission) Guard { return Guard{Access: Permitted, Perm: perm} }

// ID is an id a route takes: what it names, and the path wildcard, body
// field or query parameter that carries it.
type ID struct {
	Kind IDKind
	In   In
	Name string
}

// IDKind is what an id names.
type IDKind string

const (
	ClientUID        IDKind = "client uid"
	ClientExternalID IDKind = "client external_id"
	StaffUID         IDKind = "staff uid"
	InvitationToken  IDKind = "invitation token"
	LinkUID          IDKind = "link invitation uid"
	APIKeyID         IDKind = "API key id"
	PhotoKey         IDKind = "photo key"
	WebhookID        IDKind = "webhook id"
	DeliveryID       IDKind = "webhook delivery id"
)

// In is where a request carries an id.
type In string

const (
	InPath  In = "path"
	InBody  In = "body"
	InQuery In = "query"
)

// The ids the table's routes take.
var (
	clientInPath = []ID{{ClientUID, InPath, "user_uid"}}
	clientInBody = []ID{{ClientUID, InBody, "user_uid"}}
	// clientOrExternal is a lifecycle body: user_uid or external_id.
	clientOrExternal = []ID{clientInBody[0], {ClientExternalID, InBody, "external_id"}}
	staffRef         = []ID{{StaffUID, InBody, "user_uid"}}
	scimUser         = []ID{{ClientUID, InPath, "id"}}
	webhookInPath    = []ID{{WebhookID, InPath, "id"}}
	deliveryInPath   = []ID{webhookInPath[0], {DeliveryID, InPath, "delivery_id"}}
	coachOfClient    = []ID{clientInPath[0], {StaffUID, InBody, "coach_uid"}}
)

// routes is every route of the API, on one screen.
var routes = []Route{
	{Pattern: "GET /healthz", Guard: anyone, serve: (*Server).healthz},
	{Pattern: "GET /readyz", Guard: anyone, serve: (*Server).readyz},
	{Pattern: "GET /openapi.json", Guard: anyone, serve: (*Server).serveOpenAPI},
	{Pattern: "GET /photos/{key...}", Guard: anyone, IDs: []ID{{PhotoKey, InPath, "key"}}, serve: (*Server).servePhoto},

	{Pattern: "GET /{$}", Clients: true, Guard: staff, Stream: true, serve: (*Server).listClients},
	{Pattern: "POST /{$}", Clients: true, Guard: staff, Budget: uploadBudget, serve: (*Server).createClient},
	{Pattern: "PUT /{$}", Clients: true, Guard: staff, IDs: clientInBody, Budget: uploadBudget, serve: (*Server).updateClient},
	{Pattern: "DELETE /{$}", Clients: true, Guard: staff, IDs: clientInBody, serve: (*Server).deleteClient},
	{Pattern: "GET /filter/{$}", Clients: true, Guard: staff, IDs: []ID{{StaffUID, InQuery, "admin_uid"}, {StaffUID, InQuery, "coach_uid"}}, serve: (*Server).filterClients},
	{Pattern: "GET /export/{$}", Clients: true, Guard: staff, Stream: true, serve: (*Server).exportClients},
	{Pattern: "POST /import/{$}", Clients: true, Guard: staff, Stream: true, Budget: Unbounded, serve: (*Server).importClients},
	{Pattern: "GET /{user_uid}", Clients: true, Guard: staff, IDs: clientInPath, serve: (*Server).clientDetails},
	{Pattern: "POST /save-notes/{user_uid}", Clients: true, Guard: staff, IDs: clientInPath, Under: "/{first}/{second}", serve: (*Server).saveNote},
	{Pattern: "POST /{user_uid}/sessions", Clients: true, Guard: staff, IDs: clientInPath, Under: "/{first}/{second}", serve: (*Server).recordAnalysisSession},
	{Pattern: "POST /{user_uid}/notes-history", Clients: true, Guard: staff, IDs: clientInPath, Under: "/{first}/{second}", serve: (*Server).addNote},
	{Pattern: "GET /{user_uid}/notes-history", Clients: true, Guard: staff, IDs: clientInPath, serve: (*Server).noteHistory},
	{Pattern: "GET /{user_uid}/sessions", Clients: true, Guard: staff, IDs: clientInPath, serve: (*Server).listAnalysisSessions},
	{Pattern: "POST /{user_uid}/metrics", Clients: true, Guard: staff, IDs: clientInPath, Under: "/{first}/{second}", serve: (*Server).recordMetric},
	{Pattern: "GET /{user_uid}/metrics", Clients: true, Guard: staff, IDs: clientInPath, serve: (*Server).listMetrics},
	{Pattern: "POST /{user_uid}/coaches/{$}", Clients: true, Guard: staff, IDs: coachOfClient, serve: (*Server).assignCoach},
	{Pattern: "DELETE /{user_uid}/coaches/{$}", Clients: true, Guard: staff, IDs: coachOfClient, serve: (*Server).unassignCoach},
	{Pattern: "POST /deactivate/{$}", Clients: true, Guard: staff, IDs: clientOrExternal, serve: (*Server).deactivateClient},
	{Pattern: "POST /reactivate/{$}", Clients: true, Guard: staff, IDs: clientOrExternal, serve: (*Server).reactivateClient},
	{Pattern: "POST /force-logout/{$}", Clients: true, Guard: staff, IDs: clientOrExternal, serve: (*Server).forceLogoutClient},
	{Pattern: "POST /link/{$}", Clients: true, Guard: staff, IDs: clientOrExternal, serve: (*Server).inviteLink},
	{Pattern: "DELETE /link/{$}", Clients: true, Guard: staff, IDs: clientOrExternal, serve: (*Server).unlinkClient},

	{Pattern: "POST /auth/signup", Guard: anyone, serve: (*Server).signup},
	{Pattern: "POST /auth/login", Guard: anyone, serve: (*Server).login},
	{Pattern: "POST /auth/refresh", Guard: anyone, serve: (*Server).refresh},
	{Pattern: "POST /auth/logout", Guard: caller, serve: (*Server).logout},
	{Pattern: "GET /auth/me", Guard: caller, serve: (*Server).me},
	{Pattern: "PUT /auth/me", Guard: self, serve: (*Server).updateMe},
	{Pattern: "DELETE /auth/me", Guard: self, serve: (*Server).deleteMe},
	{Pattern: "POST /auth/me/password", Guard: self, serve: (*Server).changePassword},
	{Pattern: "PUT /auth/me/clients/{user_uid}", Guard: self, IDs: clientInPath, Budget: uploadBudget, serve: (*Server).updateOwnClient},
	{Pattern: "DELETE /auth/me/clients/{user_uid}", Guard: self, IDs: clientInPath, serve: (*Server).deleteOwnClient},
	{Pattern: "DELETE /auth/me/clients/{user_uid}/link", Guard: self, IDs: clientInPath, serve: (*Server).unlinkOwnClient},
	{Pattern: "GET /auth/me/link-invitations", Guard: self, serve: (*Server).linkInvitations},
	{Pattern: "POST /auth/me/link-invitations/respond", Guard: self, IDs: []ID{{LinkUID, InBody, "link_uid"}}, serve: (*Server).respondLink},
	{Pattern: "POST /auth/verify-email", Guard: anyone, serve: (*Server).verifyEmail},
	{Pattern: "POST /auth/verify-email/resend", Guard: self, serve: (*Server).resendVerification},
	{Pattern: "POST /auth/password-reset", Guard: anyone, serve: (*Server).passwordReset},
	{Pattern: "POST /auth/password-reset/confirm", Guard: anyone, serve: (*Server).confirmPasswordReset},
	{Pattern: "GET /auth/api-keys", Guard: keys, serve: (*Server).listAPIKeys},
	{Pattern: "POST /auth/api-keys", Guard: keys, serve: (*Server).createAPIKey},
	{Pattern: "DELETE /auth/api-keys/{key_id}", Guard: keys, IDs: []ID{{APIKeyID, InPath, "key_id"}}, serve: (*Server).revokeAPIKey},

	{Pattern: "GET /admin-management/admins-list/{$}", Guard: may(roster.PermReadStaff), Seed: true, serve: (*Server).adminsList},
	{Pattern: "GET /admin-management/sub-admins/{$}", Guard: may(roster.PermReadStaff), Seed: true, serve: (*Server).subAdmins},
	{Pattern: "POST /admin-management/sub-admins/{$}", Guard: may(roster.PermManageStaff), IDs: clientInBody, Seed: true, BadBodyIs400: true, serve: (*Server).addSubAdmin},
	{Pattern: "DELETE /admin-management/sub-admins/{$}", Guard: may(roster.PermManageStaff), IDs: staffRef, Seed: true, BadBodyIs400: true, serve: (*Server).removeSubAdmin},
	{Pattern: "PUT /admin-management/sub-admins/{$}", Guard: may(roster.PermManageStaff), IDs: staffRef, BadBodyIs400: true, serve: (*Server).updateStaff},
	{Pattern: "POST /admin-management/sub-admins/deactivate/{$}", Guard: may(roster.PermManageStaff), IDs: staffRef, BadBodyIs400: true, serve: (*Server).deactivateStaff},
	{Pattern: "POST /admin-management/sub-admins/reactivate/{$}", Guard: may(roster.PermManageStaff), IDs: staffRef, BadBodyIs400: true, serve: (*Server).reactivateStaff},
	{Pattern: "POST /admin-management/sub-admins/force-logout/{$}", Guard: may(roster.PermManageStaff), IDs: staffRef, BadBodyIs400: true, serve: (*Server).forceLogoutStaff},
	{Pattern: "GET /admin-management/invitation/{$}", Guard: caller, Seed: true, serve: (*Server).listInvitations},
	{Pattern: "POST /admin-management/invitation/{$}", Guard: may(roster.PermManageStaff), Seed: true, BadBodyIs400: true, serve: (*Server).createInvitation},
	{Pattern: "DELETE /admin-management/invitation/{$}", Guard: may(roster.PermManageStaff), IDs: []ID{{InvitationToken, InBody, "invite_token"}}, Seed: true, BadBodyIs400: true, serve: (*Server).deleteInvitation},
	{Pattern: "POST /admin-management/invitation/respond/{$}", Guard: caller, IDs: []ID{{InvitationToken, InBody, "invite_token"}}, Seed: true, BadBodyIs400: true, serve: (*Server).respondInvitation},
	{Pattern: "POST /admin-management/invitation/resend/{$}", Guard: may(roster.PermManageStaff), IDs: []ID{{InvitationToken, InBody, "invite_token"}}, BadBodyIs400: true, serve: (*Server).resendInvitation},
	{Pattern: "GET /admin-management/mail/dead/{$}", Guard: may(roster.PermManageStaff), serve: (*Server).deadMail},
	{Pattern: "GET /admin-management/audit-log/{$}", Guard: may(roster.PermAuditLog), IDs: []ID{{StaffUID, InQuery, "actor_uid"}, {ClientUID, InQuery, "object_uid"}}, serve: (*Server).auditLog},

	{Pattern: "GET /user-management/organization-status/{$}", Guard: may(roster.PermReadStaff), serve: (*Server).organizationStatus},

	{Pattern: "POST /scim/v2/Users", Guard: staff, SCIM: true, serve: (*Server).scimCreate},
	{Pattern: "GET /scim/v2/Users", Guard: staff, SCIM: true, serve: (*Server).scimList},
	{Pattern: "GET /scim/v2/Users/{id}", Guard: staff, IDs: scimUser, SCIM: true, serve: (*Server).scimGet},
	{Pattern: "PUT /scim/v2/Users/{id}", Guard: staff, IDs: scimUser, SCIM: true, serve: (*Server).scimReplace},
	{Pattern: "PATCH /scim/v2/Users/{id}", Guard: staff, IDs: scimUser, SCIM: true, serve: (*Server).scimPatch},
	{Pattern: "DELETE /scim/v2/Users/{id}", Guard: staff, IDs: scimUser, SCIM: true, serve: (*Server).scimDelete},
	{Pattern: "GET /scim/v2/ServiceProviderConfig", Guard: staff, SCIM: true, serve: (*Server).scimServiceProviderConfig},
	{Pattern: "GET /scim/v2/ResourceTypes", Guard: staff, SCIM: true, serve: (*Server).scimResourceTypes},
	{Pattern: "GET /scim/v2/ResourceTypes/User", Guard: staff, SCIM: true, serve: (*Server).scimResourceTypes},
	{Pattern: "GET /scim/v2/Schemas", Guard: staff, SCIM: true, serve: (*Server).scimSchemas},
	{Pattern: "GET /scim/v2/Schemas/" + scim.UserSchema, Guard: staff, SCIM: true, serve: (*Server).scimSchemas},
	{Pattern: "GET /scim/v2/Schemas/" + scim.AthleteSchema, Guard: staff, SCIM: true, serve: (*Server).scimSchemas},

	{Pattern: "GET /admin-management/webhooks/{$}", Guard: may(roster.PermWebhooks), serve: (*Server).listWebhooks},
	{Pattern: "POST /admin-management/webhooks/{$}", Guard: may(roster.PermWebhooks), serve: (*Server).createWebhook},
	{Pattern: "DELETE /admin-management/webhooks/{id}", Guard: may(roster.PermWebhooks), IDs: webhookInPath, serve: (*Server).deleteWebhook},
	{Pattern: "POST /admin-management/webhooks/{id}/rotate-secret", Guard: may(roster.PermWebhooks), IDs: webhookInPath, serve: (*Server).rotateWebhookSecret},
	{Pattern: "GET /admin-management/webhooks/{id}/deliveries", Guard: may(roster.PermWebhooks), IDs: webhookInPath, serve: (*Server).webhookDeliveries},
	{Pattern: "GET /admin-management/webhooks/{id}/deliveries/{delivery_id}/attempts", Guard: may(roster.PermWebhooks),
		IDs: deliveryInPath, serve: (*Server).webhookAttempts},
	{Pattern: "POST /admin-management/webhooks/{id}/deliveries/{delivery_id}/retry", Guard: may(roster.PermWebhooks),
		IDs: deliveryInPath, serve: (*Server).retryWebhookDelivery},
}

// Handler returns the whole API: every route of the table, guarded.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	under := map[string][]Route{}
	for _, rt := range routes {
		if rt.Under == "" {
			for _, pattern := range rt.Patterns() {
				mux.Handle(pattern, rt.answers(s.bounded(rt, s.guarded(rt, rt.handler(s)))))
			}
			continue
		}
		for _, pattern := range rt.prefixed(rt.Under) {
			under[pattern] = append(under[pattern], rt)
		}
	}
	for pattern, shared := range under {
		mux.Handle(pattern, s.bounded(shared[0], s.guarded(shared[0], s.firstMatch(shared))))
	}
	return s.withRequestLog(s.metrics.instrument(jsonMuxErrors(mux)))
}

// LongestBudget is the longest budget of a route that is not a stream,
// given the server's budget: the server's WriteTimeout must leave it room.
func LongestBudget(budget time.Duration) time.Duration {
	longest := cmp.Or(budget, DefaultBudget)
	for _, rt := range routes {
		if !rt.Stream {
			longest = max(longest, rt.Budget)
		}
	}
	return longest
}

// Patterns are the route's ServeMux patterns: one for each client prefix
// for a client route.
func (rt Route) Patterns() []string {
	_, path, _ := strings.Cut(rt.Pattern, " ")
	return rt.prefixed(path)
}

func (rt Route) prefixed(path string) []string {
	method, _, _ := strings.Cut(rt.Pattern, " ")
	if !rt.Clients {
		return []string{method + " " + path}
	}
	out := make([]string, len(clientPrefixes))
	for i, prefix := range clientPrefixes {
		out[i] = method + " " + prefix + path
	}
	return out
}

// handler is the route's handler for s, with its errors answered as the
// route's documents say.
func (rt Route) handler(s *Server) handlerFunc {
	h := func(w http.ResponseWriter, r *http.Request) error { return rt.serve(s, w, r) }
	if rt.BadBodyIs400 {
		return badBody(h)
	}
	return h
}

// answers marks the requests of a SCIM route as such (see scimAnswers).
func (rt Route) answers(h http.Handler) http.Handler {
	if rt.SCIM {
		return scimAnswers(h)
	}
	return h
}

// guarded serves h, the handler of rt, to the callers rt's guard lets in.
func (s *Server) guarded(rt Route, h handlerFunc) http.Handler {
	g := rt.Guard
	if g.Person {
		h = person(h)
	}
	switch g.Access {
	case Public:
		return s.public(h)
	case SignedIn:
		return s.signedIn(h)
	case Permitted:
		return s.allowed(g.Perm, h)
	}
	panic("api: " + rt.Pattern + " has no guard")
}

// firstMatch serves a request under a shared pattern with the first route
// whose own path it is. The routes share their guard, which runs first,
// as for any route.
func (s *Server) firstMatch(shared []Route) handlerFunc {
	for _, rt := range shared[1:] {
		if rt.Guard != shared[0].Guard || rt.Budget != shared[0].Budget || rt.Stream != shared[0].Stream {
			panic("api: routes under " + rt.Under + " have different guards or budgets")
		}
	}
	handlers := make([]handlerFunc, len(shared))
	for i, rt := range shared {
		handlers[i] = rt.handler(s)
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		for i, rt := range shared {
			if matchUnder(r, rt) {
				return handlers[i](w, r)
			}
		}
		return roster.Errorf(roster.KindNotFound, "no such path: %s", r.URL.Path)
	}
}

// matchUnder reports whether r, which matched rt.Under, asked for rt's own
// path: each segment Under leaves to a wildcard must equal rt's literal
// there, or fills rt's wildcard there, which it then sets.
func matchUnder(r *http.Request, rt Route) bool {
	_, path, _ := strings.Cut(rt.Pattern, " ")
	under, own := strings.Split(rt.Under, "/"), strings.Split(path, "/")
	values := map[string]string{}
	for i, seg := range under {
		name, ok := wildcard(seg)
		if !ok {
			continue
		}
		v := r.PathValue(name)
		if ownName, ok := wildcard(own[i]); ok {
			values[ownName] = v
		} else if own[i] != v {
			return false
		}
	}
	for name, v := range values {
		r.SetPathValue(name, v)
	}
	return true
}

// wildcard returns the name of a pattern segment that is a wildcard.
func wildcard(seg string) (string, bool) {
	name, ok := strings.CutPrefix(seg, "{")
	if !ok {
		return "", false
	}
	return strings.TrimSuffix(name, "}"), true
}
