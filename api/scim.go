package api

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"roster"
	"roster/scim"
	"roster/store"
)

// SCIM 2.0 (RFC 7643, RFC 7644): the organization's clients as Users,
// through the same store methods as the client routes, so that plan
// limits, the audit log and events apply alike.

// scimBase is the path of the SCIM service.
const scimBase = "/scim/v2"

// scimMedia is SCIM's media type (RFC 7644 §3.1).
const scimMedia = "application/scim+json"

type scimKey struct{}

// scimAnswers marks the requests of a SCIM route, whose errors writeError
// then answers as SCIM error objects: the guard's refusals too.
func scimAnswers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), scimKey{}, true)))
	})
}

// isSCIM reports whether r is a SCIM request: of a SCIM route, or under
// the SCIM path when no route matched it.
func isSCIM(r *http.Request) bool {
	return r.Context().Value(scimKey{}) != nil || strings.HasPrefix(r.URL.Path, scimBase+"/")
}

// writeSCIMError answers an error as RFC 7644 §3.12 says.
func writeSCIMError(w http.ResponseWriter, status int, err error, msg string) {
	writeSCIM(w, status, scim.NewErrorBody(status, scim.TypeOf(err), msg))
}

// scimStatusOf is the status of an error kind on a SCIM route: statusOf's,
// but for a reached plan limit. The client routes answer that with the
// seed's 404, which RFC 7644 §3.12 keeps for a resource that does not
// exist; SCIM answers 403, an operation that is not permitted (here by the
// organization's plan), rather than 409, which RFC 7644 keeps for a
// version mismatch or a duplicate, and which provisioning clients answer
// by looking for the duplicate User.
func scimStatusOf(kind roster.Kind) int {
	if kind == roster.KindLimit {
		return http.StatusForbidden
	}
	return statusOf[kind]
}

func writeSCIM(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", scimMedia)
	w.WriteHeader(status)
	b, _ := marshalJSON(v)
	w.Write(b)
}

// scimURL is the absolute URL of a SCIM path when the server knows its
// public URL, and the path otherwise.
func (s *Server) scimURL(path string) string { return s.publicURL + scimBase + path }

// readSCIM reads a SCIM request's body: one JSON object, as
// application/scim+json or application/json.
func readSCIM(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	ct := r.Header.Get("Content-Type")
	media, _, err := mime.ParseMediaType(ct)
	if err != nil || media != scimMedia && media != "application/json" {
		return nil, roster.Errorf(roster.KindUnsupported, "Content-Type %q is not accepted here: send %s", ct, scimMedia)
	}
	body := map[string]any{}
	err = readJSON(http.MaxBytesReader(w, r.Body, maxBody), body)
	if roster.KindOf(err) == roster.KindInvalid {
		return nil, scim.Errorf(scim.TypeInvalidSyntax, "%v", err)
	}
	return body, err
}

// writeUser answers r with c as a User, its version as its ETag, and with
// the attributes r asks for (RFC 7644 §3.9).
func (s *Server) writeUser(w http.ResponseWriter, r *http.Request, status int, c *roster.Client) {
	u := scim.NewUser(c, s.scimURL("/Users/"+c.UID))
	w.Header().Set("ETag", u.Meta.Version)
	if status == http.StatusCreated {
		w.Header().Set("Location", u.Meta.Location)
	}
	writeSCIM(w, status, projection(r).Of(u))
}

// projection is what r's attributes and excludedAttributes ask for.
func projection(r *http.Request) scim.Projection {
	q := r.URL.Query()
	return scim.ParseProjection(q.Get("attributes"), q.Get("excludedAttributes"))
}

// scimClient reads the client a SCIM path names.
func (s *Server) scimClient(r *http.Request) (roster.Client, error) {
	uid := r.PathValue("id")
	if !roster.ValidUID(uid) {
		return roster.Client{}, roster.ErrClientNotFound
	}
	return s.store.Client(r.Context(), principal(r).OrgID, uid)
}

func (s *Server) scimCreate(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	body, err := readSCIM(w, r)
	if err != nil {
		return err
	}
	res, err := scim.ParseUser(body)
	if err != nil {
		return err
	}
	c := roster.NewClient(p.AccountUID, res.Fields, s.now())
	if !res.Active {
		at := c.CreatedAt
		c.DeactivatedAt = &at
	}
	if err := s.CreateClient(r.Context(), p, &c, nil, false); err != nil {
		return scim.AttributeError(err)
	}
	if c, err = s.store.Client(r.Context(), p.OrgID, c.UID); err != nil {
		return err
	}
	s.writeUser(w, r, http.StatusCreated, &c)
	return nil
}

func (s *Server) scimGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.scimClient(r)
	if err != nil {
		return err
	}
	s.writeUser(w, r, http.StatusOK, &c)
	return nil
}

// scimList is GET /Users: filter, sortBy, sortOrder, startIndex, count,
// attributes and excludedAttributes (RFC 7644 §3.4.2, §3.9).
func (s *Server) scimList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var cond *scim.Cond
	if f := q.Get("filter"); f != "" {
		var err error
		if cond, err = scim.ParseFilter(f); err != nil {
			return err
		}
	}
	sort, err := scim.ParseSort(q.Get("sortBy"), q.Get("sortOrder"))
	if err != nil {
		return err
	}
	// Out of range values are taken as the nearest allowed (RFC 7644
	// §3.4.2.4): a startIndex below 1 as 1, a negative count as 0.
	start, err := scimInt(q.Get("startIndex"), "startIndex", 1)
	if err != nil {
		return err
	}
	count, err := scimInt(q.Get("count"), "count", scim.MaxResults)
	if err != nil {
		return err
	}
	start, count = max(start, 1), min(max(count, 0), scim.MaxResults)
	page, err := s.store.SCIMUsers(r.Context(), principal(r).OrgID, cond, sort, start, count)
	if err != nil {
		return err
	}
	shown := projection(r)
	users := make([]any, len(page.Clients))
	for i := range page.Clients {
		users[i] = shown.Of(scim.NewUser(&page.Clients[i], s.scimURL("/Users/"+page.Clients[i].UID)))
	}
	writeSCIM(w, http.StatusOK, map[string]any{"schemas": []string{scim.ListSchema}, "totalResults": page.Count,
		"startIndex": start, "itemsPerPage": len(users), "Resources": users})
	return nil
}

// scimInt reads an integer query parameter; "" is def.
func scimInt(v, name string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, scim.Errorf(scim.TypeInvalidValue, "%s: must be an integer", name)
	}
	return n, nil
}

// scimReplace is PUT /Users/{id}: every mutable attribute is replaced,
// those the body leaves out cleared.
func (s *Server) scimReplace(w http.ResponseWriter, r *http.Request) error {
	body, err := readSCIM(w, r)
	if err != nil {
		return err
	}
	return s.scimChange(w, r, func(scim.User) (scim.Resource, error) { return scim.ParseUser(body) })
}

// scimPatch is PATCH /Users/{id} (RFC 7644 §3.5.2).
func (s *Server) scimPatch(w http.ResponseWriter, r *http.Request) error {
	body, err := readSCIM(w, r)
	if err != nil {
		return err
	}
	return s.scimChange(w, r, func(u scim.User) (scim.Resource, error) {
		ops, err := scim.ParsePatch(body)
		if err != nil {
			return scim.Resource{}, err
		}
		return scim.Apply(u, ops)
	})
}

// scimAttempts is how often a change without If-Match is tried when the
// client changed between its read and its write.
const scimAttempts = 3

// scimChange makes the client the path names what change makes of it as
// a User, and answers with the result. The change is made on the version
// read, checked in the store's transaction: the If-Match's version when
// the request has one (a mismatch is a 412), else the version the change
// was computed from (a concurrent change makes it start again).
func (s *Server) scimChange(w http.ResponseWriter, r *http.Request, change func(scim.User) (scim.Resource, error)) error {
	p := principal(r)
	ifMatch := r.Header.Get("If-Match")
	for attempt := 1; ; attempt++ {
		old, err := s.scimClient(r)
		if err != nil {
			return err
		}
		res, err := change(scim.NewUser(&old, s.scimURL("/Users/"+old.UID)))
		if err != nil {
			return err
		}
		version := old.UpdatedAt
		if ifMatch != "" && ifMatch != "*" {
			version, _ = scim.ParseVersion(ifMatch) // another tag: a zero time, which no client has
		}
		err = s.scimStore(r.Context(), p, &old, res, version)
		switch {
		case errors.Is(err, roster.ErrVersionChanged) && ifMatch == "" && attempt < scimAttempts:
			continue
		case err != nil:
			return scim.AttributeError(err)
		}
		c, err := s.store.Client(r.Context(), p.OrgID, old.UID)
		if err != nil {
			return err
		}
		s.writeUser(w, r, http.StatusOK, &c)
		return nil
	}
}

// scimStore stores res over old, on old's version, in one transaction:
// the fields that differ with the active state, as the client routes
// change them. Without fields to change, the active state's write, which
// changes nothing when it is the same, checks the precondition.
func (s *Server) scimStore(ctx context.Context, p roster.Principal, old *roster.Client, res scim.Resource, version time.Time) error {
	ctx = store.IfVersion(ctx, version)
	u := res.Update(&old.ClientFields)
	if u.Set == 0 {
		_, err := s.store.SetClientActive(ctx, p.OrgID, roster.ClientRef{UID: old.UID}, res.Active)
		return err
	}
	u.Active = &res.Active
	return s.UpdateClient(ctx, p, old.UID, u, nil)
}

func (s *Server) scimDelete(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("id")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	ctx := r.Context()
	if v := r.Header.Get("If-Match"); v != "" && v != "*" {
		version, _ := scim.ParseVersion(v)
		ctx = store.IfVersion(ctx, version)
	}
	photoKey, err := s.store.DeleteClient(ctx, principal(r).OrgID, uid)
	if err != nil {
		return err
	}
	s.deletePhoto(r.Context(), photoKey)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) scimServiceProviderConfig(w http.ResponseWriter, r *http.Request) error {
	writeSCIM(w, http.StatusOK, scim.ServiceProviderConfig(s.scimURL("")))
	return nil
}

func (s *Server) scimResourceTypes(w http.ResponseWriter, r *http.Request) error {
	return writeSCIMList(w, r, scim.ResourceTypes(s.scimURL("")))
}

func (s *Server) scimSchemas(w http.ResponseWriter, r *http.Request) error {
	return writeSCIMList(w, r, scim.Schemas(s.scimURL("")))
}

// writeSCIMList answers with a discovery list, or with its item whose id
// ends the path (routes for each exist).
func writeSCIMList(w http.ResponseWriter, r *http.Request, items []map[string]any) error {
	id := path.Base(r.URL.Path)
	if id == "ResourceTypes" || id == "Schemas" {
		writeSCIM(w, http.StatusOK, map[string]any{"schemas": []string{scim.ListSchema}, "totalResults": len(items),
			"startIndex": 1, "itemsPerPage": len(items), "Resources": items})
		return nil
	}
	for _, it := range items {
		if it["id"] == id {
			writeSCIM(w, http.StatusOK, it)
			return nil
		}
	}
	return roster.Errorf(roster.KindNotFound, "no such resource: %s", id)
}
