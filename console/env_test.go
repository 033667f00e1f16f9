package console_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/clocktest"
	"roster/console"
	"roster/photo"
	"roster/store"
	"roster/store/storetest"
)

// env is a real Roster server, the API with the console mounted as serve
// mounts it, on a random port over a real store.
type env struct {
	t     testing.TB
	st    *store.Store
	srv   *httptest.Server
	api   *api.Server
	org   storetest.Org // the organization whose owner signs in
	other storetest.Org // another organization, whose clients must stay out of reach
	clock *clocktest.Clock
}

// password is every test owner's.
const password = "a long and unusual test passphrase"

var (
	testTokenKey       = []byte("test access token key of 32 bytes or more")
	testPasswordParams = auth.PasswordParams{Time: 1, MemoryKiB: 1024, Threads: 1}
	discardLog         = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func newEnv(t testing.TB, st *store.Store, options ...func(*api.Config)) *env {
	t.Helper()
	blobs, err := photo.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := clocktest.NewClock()
	st.SetClock(clock.Now)
	tokens := auth.NewTokens(testTokenKey, auth.DefaultAccessTTL)
	c := api.Config{Blobs: blobs, Signer: photo.NewSigner([]byte("test signing key")), Log: discardLog,
		Tokens: tokens, PasswordParams: testPasswordParams, Now: clock.Now}
	for _, o := range options {
		o(&c)
	}
	a := api.New(st, c)
	h := http.NewServeMux()
	h.Handle("/", a.Handler())
	h.Handle(console.Prefix, console.New(console.Config{API: a, Store: st, Tokens: tokens, Key: testTokenKey}))
	e := &env{t: t, st: st, srv: httptest.NewServer(h), api: a, clock: clock,
		org: storetest.NewOrg(t, st, "Pro"), other: storetest.NewOrg(t, st, "Pro")}
	t.Cleanup(e.srv.Close)
	e.setPassword(e.org)
	e.setPassword(e.other)
	return e
}

// setPassword gives org's owner the tests' password.
func (e *env) setPassword(org storetest.Org) {
	hash, err := auth.HashPassword(password, testPasswordParams)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.SetPassword(context.Background(), org.OwnerEmail, hash); err != nil {
		e.t.Fatal(err)
	}
}

// trustLoopback makes the test's own address a trusted proxy.
func trustLoopback(c *api.Config) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
}

// each runs fn on a fresh server for every engine.
func each(t *testing.T, fn func(t *testing.T, e *env), options ...func(*api.Config)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { fn(t, newEnv(t, st, options...)) })
}

// addClient stores a client of org, as the API would create it.
func (e *env) addClient(org storetest.Org, email, name string) roster.Client {
	e.t.Helper()
	fields, err := roster.NewClientFields(map[string]any{"email": email, "display_name": name})
	if err != nil {
		e.t.Fatal(err)
	}
	c := roster.NewClient(org.OwnerUID, fields, e.clock.Now())
	if err := e.st.CreateClient(context.Background(), org.ID, &c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// clientCount is how many active clients org has, as the store counts them.
func (e *env) clientCount(org storetest.Org) int64 {
	e.t.Helper()
	page, err := e.st.FilterClients(context.Background(), org.ID, roster.ClientFilter{}, roster.Page{Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	return page.Count
}

// browser is a plain HTTP client with cookies that does not follow
// redirects, so that tests see each answer.
type browser struct {
	e    *env
	http *http.Client
}

func (e *env) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) answer {
	b.e.t.Helper()
	resp, err := b.http.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string) answer {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	if err != nil {
		b.e.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(path string, form url.Values, header ...string) answer {
	b.e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the page's forms.
func (b *browser) csrf(page answer) string {
	b.e.t.Helper()
	m := csrfInput.FindStringSubmatch(page.body)
	if m == nil {
		b.e.t.Fatalf("no CSRF token on the page: %s", page.body)
	}
	return m[1]
}

// signIn signs in as org's owner and returns the CSRF token of the
// session's forms.
func (b *browser) signIn(org storetest.Org) string {
	b.e.t.Helper()
	token := b.csrf(b.get("/console/sign-in"))
	a := b.post("/console/sign-in", url.Values{"csrf": {token}, "email": {org.OwnerEmail}, "password": {password}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/" {
		b.e.t.Fatalf("sign-in: %d %s, Location %q; want 303 to /console/", a.status, a.body, a.header.Get("Location"))
	}
	return b.csrf(b.get("/console/clients"))
}

// addAccount stores an account with the tests' password that is staff of
// no organization, and returns its uid.
func (e *env) addAccount(t *testing.T, email string) string {
	hash, err := auth.HashPassword(password, testPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	uid, err := e.st.CreateAccount(t.Context(), roster.NewAccount{Email: email, DisplayName: "Athlete",
		PasswordHash: hash, EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	return uid
}
