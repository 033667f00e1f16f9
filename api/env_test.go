package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/clocktest"
	"roster/keyring"
	"roster/openapi"
	"roster/openapi/openapitest"
	"roster/photo"
	"roster/store"
	"roster/store/storetest"
	"roster/webhook"
)

// env is a real Roster server on a random port over a real store.
type env struct {
	t     testing.TB
	st    *store.Store
	srv   *httptest.Server
	blobs photo.Blobs
	cfg   api.Config
	org   storetest.Org // the organization the helpers act for
	other storetest.Org // a second organization, for tenancy checks
	// clock is the server's and the store's time. It stands still unless
	// the test moves it, so that no block lifts and nothing expires while
	// a slow machine runs the test.
	clock *clocktest.Clock
}

// newEnv starts a server over st; options change its configuration.
func newEnv(t testing.TB, st *store.Store, options ...func(*api.Config)) *env {
	t.Helper()
	blobs, err := photo.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.NewClock()
	st.SetClock(clock.Now)
	c := api.Config{Blobs: blobs, Signer: photo.NewSigner([]byte("test signing key")), Log: discardLog,
		Tokens: auth.NewTokens(testTokenKey, auth.DefaultAccessTTL), PasswordParams: testPasswordParams,
		LinkOrigins: testLinkOrigins, Limits: testLimits, Now: clock.Now,
		// Tests' receivers listen on 127.0.0.1, over http.
		Webhooks: api.Webhooks{Keyring: testRing, Policy: webhook.Policy{AllowHTTP: true, AllowPrivate: true}}}
	for _, o := range options {
		o(&c)
	}
	e := &env{t: t, st: st, srv: httptest.NewServer(api.New(st, c).Handler()), blobs: c.Blobs, cfg: c,
		org: storetest.NewOrg(t, st, "Pro"), other: storetest.NewOrg(t, st, "Pro"), clock: clock}
	t.Cleanup(e.srv.Close)
	return e
}

// eachTwoProcesses runs fn on every engine with two servers on one
// database, each with a store of its own, as two roster serve processes
// behind a load balancer would be. Their organizations are the same.
func eachTwoProcesses(t *testing.T, fn func(t *testing.T, e, second *env), options ...func(*api.Config)) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		first, other := storetest.OpenAt(t, dir, url), storetest.OpenAt(t, dir, url)
		t.Cleanup(func() { first.Close(); other.Close() })
		e := newEnv(t, first, options...)
		e.srv.Close()
		e.srv = httptest.NewServer(syncedAuth(first, api.New(first, e.cfg).Handler()))
		t.Cleanup(e.srv.Close)
		other.SetClock(e.clock.Now)
		second := *e
		second.st, second.srv = other, httptest.NewServer(syncedAuth(other, api.New(other, e.cfg).Handler()))
		t.Cleanup(second.srv.Close)
		fn(t, e, &second)
	})
}

// syncedAuth has st hear of every credential change committed before each
// request that h serves. Between processes on PostgreSQL a revocation
// travels as a notification that may, for a few microseconds after the
// writer answered, still be on its way to the other process (see
// store.authListener); two stores on one SQLite file, which one serve per
// data directory never makes, hear nothing of each other's writes at all.
// TestTwoServeProcesses checks the first case without this help.
func syncedAuth(st *store.Store, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithDeadline(r.Context(), time.Now().Add(time.Minute))
		defer cancel()
		if err := st.SyncAuth(ctx); err != nil {
			http.Error(w, "SyncAuth: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h.ServeHTTP(w, r)
	})
}

var discardLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// testRing seals the test servers' webhook secrets.
var testRing, _ = keyring.Parse(keyring.NewKey())

// testTokenKey signs the test servers' access tokens.
var testTokenKey = []byte("test access token key of 32 bytes or more")

// testLinkOrigins is the front end that tests' mail may link to.
var testLinkOrigins, _ = roster.NewLinkOrigins("https://app.example.com")

// testLimits are loose enough for tests that sign up dozens of accounts
// from one address; the tests of the limits set their own.
var testLimits = roster.Limits{
	MailPerAddress:        roster.Rate{Count: 1000, Per: time.Hour},
	MailPerClient:         roster.Rate{Count: 1000, Per: time.Hour},
	InvitationsPerOrg:     roster.Rate{Count: 1000, Per: time.Hour},
	LinkInvitationsPerOrg: roster.Rate{Count: 1000, Per: time.Hour},
}

// testPasswordParams make argon2id cheap, so that tests that sign up dozens
// of accounts stay fast; verification reads the parameters back from each
// hash, so it runs the same code as with the defaults.
var testPasswordParams = auth.PasswordParams{Time: 1, MemoryKiB: 1024, Threads: 1}

// each runs fn on a fresh server for every engine.
func each(t *testing.T, fn func(t *testing.T, e *env), options ...func(*api.Config)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { fn(t, newEnv(t, st, options...)) })
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// decode unmarshals the body into v, failing the test on error.
func (r response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
}

// errorText returns the body's {"error": ...} message, or a SCIM error's
// detail.
func (r response) errorText(t testing.TB) string {
	t.Helper()
	var e struct{ Error, Detail string }
	r.decode(t, &e)
	if e.Error == "" {
		e.Error = e.Detail
	}
	if e.Error == "" {
		t.Fatalf("status %d without an error message: %s", r.Status, r.Body)
	}
	return e.Error
}

// req describes one request. Key "" sends no credentials.
type req struct {
	Method, Path, Key string
	ContentType       string
	Body              []byte
	BodyReader        io.Reader // sent instead of Body when set, for bodies too large to build first
	Header            map[string]string
}

// do sends r and checks the response against the OpenAPI document.
func (e *env) do(r req) response {
	e.t.Helper()
	return e.doAt(e.srv.URL, http.DefaultClient, r)
}

// doAt is do to the server at base, through client.
func (e *env) doAt(base string, client *http.Client, r req) response {
	e.t.Helper()
	send := io.Reader(bytes.NewReader(r.Body))
	if r.BodyReader != nil {
		send = r.BodyReader
	}
	hr, err := http.NewRequest(r.Method, base+r.Path, send)
	if err != nil {
		e.t.Fatal(err)
	}
	if r.ContentType != "" {
		hr.Header.Set("Content-Type", r.ContentType)
	}
	if r.Key != "" {
		hr.Header.Set("API-KEY", r.Key)
	}
	for k, v := range r.Header {
		hr.Header.Set(k, v)
	}
	if host := r.Header["Host"]; host != "" {
		hr.Host = host // the client sends this, not a Host header
	}
	res, err := client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	out := response{Status: res.StatusCode, Header: res.Header, Body: body}
	checkOpenAPI(e.t, hr, out)
	return out
}

// json sends v as a JSON body with the organization's key.
func (e *env) json(method, path string, v any) response {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req{Method: method, Path: path, Key: e.org.APIKey, ContentType: "application/json", Body: b})
}

// get sends a GET with the organization's key.
func (e *env) get(path string) response {
	e.t.Helper()
	return e.do(req{Method: "GET", Path: path, Key: e.org.APIKey})
}

// expect fails the test unless the response has the status.
func expect(t testing.TB, r response, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
}

// document is an OpenAPI document, loaded once with its router.
type document struct {
	once   sync.Once
	router routers.Router
	err    error
}

// spec is Roster's own document; seed is the AiKYNETIX admin-management
// document, which Roster's admin-management responses must satisfy too.
var spec, seed document

func (d *document) load(t testing.TB, data func() ([]byte, error)) routers.Router {
	t.Helper()
	d.once.Do(func() {
		b, err := data()
		if errors.Is(err, fs.ErrNotExist) {
			return // no router: nothing to check against
		}
		if err != nil {
			d.err = err
			return
		}
		doc, err := openapi3.NewLoader().LoadFromData(b)
		if err != nil {
			d.err = err
			return
		}
		doc.Servers = nil // route on paths alone, whatever host the seed names
		d.router, d.err = legacy.NewRouter(doc)
	})
	if d.err != nil {
		t.Fatal(d.err)
	}
	return d.router
}

// checkOpenAPI validates a response against Roster's document, status
// included, and, for the paths it has, against the seed's. Photo paths are
// skipped: kin-openapi's routers cannot match a path parameter that holds
// a "/".
func checkOpenAPI(t testing.TB, r *http.Request, res response) {
	t.Helper()
	if strings.HasPrefix(r.URL.Path, "/photos/") {
		return
	}
	// Route on a copy without the test server's host.
	rr := r.Clone(context.Background())
	rr.URL.Scheme, rr.URL.Host, rr.Host = "", "", ""
	own := spec.load(t, func() ([]byte, error) { return openapi.Document, nil })
	if err := validateResponse(own, rr, res); err != nil {
		t.Fatalf("%s %s → %d does not match the OpenAPI document: %v\nbody: %s", r.Method, r.URL.Path, res.Status, err, res.Body)
	}
	// Without the seed's file beside the clone (CI has it) only Roster's
	// own document is checked.
	seeds := seed.load(t, func() ([]byte, error) { return os.ReadFile(openapitest.Path(openapitest.SeedFile)) })
	if seeds == nil {
		return
	}
	if _, _, err := seeds.FindRoute(rr); err != nil {
		return // not a path of the seed's document
	}
	if err := validateResponse(seeds, rr, res); err != nil {
		t.Fatalf("%s %s → %d does not match the seed's OpenAPI document: %v\nbody: %s", r.Method, r.URL.Path, res.Status, err, res.Body)
	}
}

func validateResponse(router routers.Router, r *http.Request, res response) error {
	route, params, err := router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("not in the document: %w", err)
	}
	return openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	})
}
