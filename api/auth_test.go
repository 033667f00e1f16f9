package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/auth"
)

// tokens is the body of a successful sign-up, sign-in or refresh.
type tokens struct {
	UID              string `json:"uid"`
	Token            string `json:"token"`
	TokenType        string `json:"token_type"`
	ExpiresIn        int64  `json:"expires_in"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
}

// bearer is the header that carries an access token.
func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// post sends v as JSON without credentials.
func (e *env) post(path string, v any) response {
	e.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.do(req{Method: "POST", Path: path, ContentType: "application/json", Body: b})
}

// as sends a request with a bearer token and, unless v is nil, v as JSON.
func (e *env) as(token, method, path string, v any) response {
	e.t.Helper()
	r := req{Method: method, Path: path, Header: bearer(token)}
	if v != nil {
		b, err := json.Marshal(v)
		if err != nil {
			e.t.Fatal(err)
		}
		r.ContentType, r.Body = "application/json", b
	}
	return e.do(r)
}

const testPassword = "correct horse battery"

// signup signs up with testPassword, finishes the sign-up as the
// address's owner would, with the code mailed to it, and returns the
// tokens that signs in with.
func (e *env) signup(email string) tokens {
	e.t.Helper()
	r := e.post("/auth/signup", map[string]string{"email": email, "password": testPassword, "display_name": "Person " + email})
	expect(e.t, r, 202)
	return e.verify(e.verificationCode(email), testPassword)
}

// verify finishes a sign-up with its code and password.
func (e *env) verify(code, password string) tokens {
	e.t.Helper()
	return decodeAs[tokens](e.t, e.post("/auth/verify-email", map[string]string{"token": code, "password": password}), 200)
}

// signupUnverified makes an account whose email was never verified, as
// sign-up made them before codes had to come back with their password,
// and signs it in.
func (e *env) signupUnverified(email string) tokens {
	e.t.Helper()
	hash, err := auth.HashPassword(testPassword, testPasswordParams)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.st.CreateAccount(context.Background(), roster.NewAccount{Email: email, DisplayName: "Squatter " + email,
		PasswordHash: hash}); err != nil {
		e.t.Fatal(err)
	}
	return e.login(email)
}

var verificationCode = regexp.MustCompile(`rvt_[0-9A-Za-z]+`)

// verificationCode reads the code of the newest verification mail to
// email from the outbox, and marks the mail sent as a sender would.
func (e *env) verificationCode(email string) string {
	e.t.Helper()
	ctx := context.Background()
	mails, err := e.st.UnsentMail(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(mails) - 1; i >= 0; i-- {
		m := mails[i]
		if code := verificationCode.FindString(m.Body); code != "" && m.To == email {
			if err := e.st.MarkMailSent(ctx, m.ID, e.clock.Now()); err != nil {
				e.t.Fatal(err)
			}
			return code
		}
	}
	e.t.Fatalf("no verification mail to %s among %d unsent", email, len(mails))
	return ""
}

// login signs in with testPassword.
func (e *env) login(email string) tokens {
	e.t.Helper()
	return decodeAs[tokens](e.t, e.post("/auth/login", map[string]string{"email": email, "password": testPassword}), 200)
}

// decodeAs checks the status of r and decodes its body as a T.
func decodeAs[T any](t testing.TB, r response, status int) T {
	t.Helper()
	expect(t, r, status)
	var v T
	r.decode(t, &v)
	return v
}

// ownerToken gives the organization's owner a password and signs them in.
func (e *env) ownerToken(owner string) string {
	e.t.Helper()
	hash, err := auth.HashPassword(testPassword, testPasswordParams)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.st.SetPassword(context.Background(), owner, hash); err != nil {
		e.t.Fatal(err)
	}
	return e.login(owner).Token
}

type me struct {
	UID           string `json:"uid"`
	Email         string `json:"email"`
	DisplayName   string `json:"display_name"`
	HasPassword   bool   `json:"has_password"`
	EmailVerified bool   `json:"email_verified"`
	Clients       []struct {
		OrganizationUID string `json:"organization_uid"`
		Profile         client `json:"profile"`
	} `json:"clients"`
	Organization *struct {
		UID         string `json:"uid"`
		CompanyName string `json:"company_name"`
		Role        string `json:"role"`
	} `json:"organization"`
}

func (e *env) me(token string) me {
	e.t.Helper()
	return decodeAs[me](e.t, e.as(token, "GET", "/auth/me", nil), 200)
}

func TestSignupLoginMe(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tk := e.signup("Ana@Example.com")
		if tk.UID == "" || tk.TokenType != "Bearer" || tk.ExpiresIn != int64(auth.DefaultAccessTTL/time.Second) ||
			!strings.HasPrefix(tk.RefreshToken, "rrt_") || tk.RefreshExpiresIn != int64(api.DefaultRefreshTTL/time.Second) {
			t.Fatalf("signup tokens %+v", tk)
		}
		m := e.me(tk.Token)
		if m.UID != tk.UID || m.Email != "Ana@Example.com" || m.DisplayName != "Person Ana@Example.com" ||
			!m.HasPassword || m.Organization != nil {
			t.Errorf("me = %+v", m)
		}
		// Stored as an argon2id hash, never as given.
		uid, hash, _, err := e.st.PasswordHash(context.Background(), "ana@example.com")
		if err != nil || uid != tk.UID || !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, testPassword) {
			t.Errorf("stored %s %q, %v", uid, hash, err)
		}
		// The email is matched without regard to case.
		again := e.post("/auth/login", map[string]string{"email": "ANA@example.COM", "password": testPassword})
		expect(t, again, 200)
		var tk2 tokens
		again.decode(t, &tk2)
		if tk2.UID != tk.UID || tk2.Token == tk.Token || tk2.RefreshToken == tk.RefreshToken {
			t.Errorf("second sign-in %+v after %+v", tk2, tk)
		}
		// Both sessions are open at once.
		e.me(tk.Token)
		e.me(tk2.Token)
	})
}

func TestLoginWrongCredentials(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.signup("ben@example.com")
		wrong := e.post("/auth/login", map[string]string{"email": "ben@example.com", "password": "not the password"})
		unknown := e.post("/auth/login", map[string]string{"email": "nobody@example.com", "password": testPassword})
		expect(t, wrong, 401)
		expect(t, unknown, 401)
		// The answers do not tell an unknown email from a wrong password.
		if wrong.errorText(t) != "wrong email or password" || unknown.errorText(t) != wrong.errorText(t) {
			t.Errorf("wrong password: %s; unknown email: %s", wrong.Body, unknown.Body)
		}
		// The owner made by bootstrap has no password: it cannot sign in
		// with any.
		expect(t, e.post("/auth/login", map[string]string{"email": e.org.OwnerEmail, "password": testPassword}), 401)
	})
}

func TestRefreshRotatesAndDetectsReuse(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		first := e.signup("cara@example.com")
		r := e.post("/auth/refresh", map[string]string{"refresh_token": first.RefreshToken})
		expect(t, r, 200)
		var second tokens
		r.decode(t, &second)
		if second.UID != first.UID || second.RefreshToken == first.RefreshToken || second.Token == "" {
			t.Fatalf("refreshed %+v from %+v", second, first)
		}
		e.me(second.Token)
		e.me(first.Token) // same session: the older access token lives until it expires

		// The rotated-away token again: it was copied, so the session ends
		// for everyone holding it.
		reuse := e.post("/auth/refresh", map[string]string{"refresh_token": first.RefreshToken})
		expect(t, reuse, 401)
		if !strings.Contains(reuse.errorText(t), "already used") {
			t.Errorf("reuse: %s", reuse.Body)
		}
		for _, token := range []string{first.Token, second.Token} {
			expect(t, e.as(token, "GET", "/auth/me", nil), 401)
		}
		expect(t, e.post("/auth/refresh", map[string]string{"refresh_token": second.RefreshToken}), 401)
		expect(t, e.post("/auth/refresh", map[string]string{"refresh_token": "rrt_unknown"}), 401)
	})
}

func TestLogout(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tk := e.signup("dan@example.com")
		other := e.login("dan@example.com")
		expect(t, e.as(tk.Token, "POST", "/auth/logout", nil), 200)
		expect(t, e.as(tk.Token, "GET", "/auth/me", nil), 401)
		expect(t, e.post("/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401)
		e.me(other.Token) // another session of the same account stays open
		// An API key has no sign-in session to end.
		r := e.do(req{Method: "POST", Path: "/auth/logout", Key: e.org.APIKey})
		badWant(t, r, 400, "send the bearer token Roster issued")
	})
}

func TestBearerTokensThatAreRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		tk := e.signup("eve@example.com")
		forged, err := auth.NewTokens([]byte("another access token key, 32 bytes or more"), time.Hour).Issue(tk.UID, "session", e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		expired, err := auth.NewTokens(testTokenKey, time.Minute).Issue(tk.UID, "session", e.clock.Now().Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		for name, token := range map[string]string{
			"forged":    forged,
			"expired":   expired,
			"garbage":   "not-a-token",
			"truncated": tk.Token[:len(tk.Token)-5],
		} {
			r := e.as(token, "GET", "/auth/me", nil)
			if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s token: %d %s", name, r.Status, r.Body)
			}
		}
	})
}

func TestSignupDisabled(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.post("/auth/signup", map[string]string{"email": "fay@example.com", "password": testPassword, "display_name": "Fay"})
		badWant(t, r, 403, "sign-up is disabled")
		expect(t, e.post("/auth/login", map[string]string{"email": "fay@example.com", "password": testPassword}), 401)
	}, func(c *api.Config) { c.DisableSignup = true })
}

// TestUnauthorizedChallenges: every 401 says how to authenticate
// (WWW-Authenticate). Refused credentials are answered in their own
// scheme, a bearer token with RFC 6750's invalid_token and the reason;
// any other 401 names both schemes, without an error code.
func TestUnauthorizedChallenges(t *testing.T) {
	const both = `Bearer realm="roster" | API-KEY realm="roster"`
	invalidToken := func(reason string) string {
		return `Bearer realm="roster", error="invalid_token", error_description="` + reason + `"`
	}
	each(t, func(t *testing.T, e *env) {
		tk := e.signup("wes@example.com")
		e.clock.Advance(auth.DefaultAccessTTL)
		clients := prefixes[0] + "/"
		for name, c := range map[string]struct {
			r    response
			want string
		}{
			"no credentials":  {e.do(req{Method: "GET", Path: clients}), both},
			"expired token":   {e.as(tk.Token, "GET", "/auth/me", nil), invalidToken("bearer token has expired: refresh it")},
			"garbage token":   {e.as("x", "GET", clients, nil), invalidToken("invalid or expired bearer token")},
			"unknown API key": {e.do(req{Method: "GET", Path: clients, Key: "rst_unknown"}), `API-KEY realm="roster"`},
			"wrong password":  {e.post("/auth/login", map[string]string{"email": "wes@example.com", "password": "not it"}), both},
			"refresh token":   {e.post("/auth/refresh", map[string]string{"refresh_token": "rrt_unknown"}), both},
		} {
			if got := strings.Join(c.r.Header.Values("WWW-Authenticate"), " | "); c.r.Status != 401 || got != c.want {
				t.Errorf("%s: %d with WWW-Authenticate %q, want 401 with %q", name, c.r.Status, got, c.want)
			}
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.signup("gus@example.com")
		for i := range 5 {
			r := e.post("/auth/login", map[string]string{"email": "gus@example.com", "password": "wrong password"})
			if r.Status != 401 {
				t.Fatalf("failure %d: %d %s", i+1, r.Status, r.Body)
			}
		}
		// Blocked now, even with the right password, until the block's
		// last moment.
		right := map[string]string{"email": "gus@example.com", "password": testPassword}
		r := e.post("/auth/login", right)
		if msg := r.errorText(t); r.Status != 429 || msg != "too many failed sign-ins: try again in 1 second" {
			t.Errorf("%d %q, want 429 and a second to wait", r.Status, msg)
		}
		if ra := r.Header.Get("Retry-After"); ra != "1" {
			t.Errorf("Retry-After %q, want 1 (the first block lasts a second)", ra)
		}
		e.clock.Advance(roster.ThrottleDelay(5, false) - time.Microsecond)
		badWant(t, e.post("/auth/login", right), 429, "too many failed sign-ins")
		// Another account from the same address is not blocked yet.
		e.signup("hal@example.com")
		e.login("hal@example.com")
		e.clock.Advance(time.Microsecond)
		e.login("gus@example.com")
	})
}

func TestLoginThrottlePerAddress(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.signup("ida@example.com")
		// 20 failures spread over accounts (at most 4 each, under the
		// account limit) block the address.
		for i := range 20 {
			email := string(rune('a'+i/4)) + "@example.com"
			r := e.post("/auth/login", map[string]string{"email": email, "password": "wrong password"})
			expect(t, r, 401)
		}
		r := e.post("/auth/login", map[string]string{"email": "ida@example.com", "password": testPassword})
		badWant(t, r, 429, "too many failed sign-ins")
		e.clock.Advance(roster.ThrottleDelay(20, true))
		e.login("ida@example.com")
	})
}

func TestBadSignupAndLogin(t *testing.T) {
	signup := []badCase{
		{name: "no body", ct: badNoCT, status: 400, want: "email: required"},
		{name: "no email", body: `{"password":"` + testPassword + `","display_name":"X"}`, status: 400, want: "email: required"},
		{name: "no password", body: `{"email":"x@example.com","display_name":"X"}`, status: 400, want: "password: required"},
		{name: "no display_name", body: `{"email":"x@example.com","password":"` + testPassword + `"}`, status: 400, want: "display_name: required"},
		{name: "bad email", body: `{"email":"not an email","password":"` + testPassword + `","display_name":"X"}`, status: 400, want: "email: must be a valid email address"},
		{name: "short password", body: `{"email":"x@example.com","password":"short","display_name":"X"}`, status: 400, want: "password: must be at least 8 characters"},
		{name: "password a number", body: `{"email":"x@example.com","password":12345678,"display_name":"X"}`, status: 400, want: "password: must be a string"},
		{name: "email an array", body: `{"email":["x@example.com"],"password":"` + testPassword + `","display_name":"X"}`, status: 400, want: "email: must be a string"},
		{name: "unknown field", body: `{"email":"x@example.com","password":"` + testPassword + `","display_name":"X","role":"Owner"}`, status: 400, want: "role: unknown field"},
		{name: "common password", body: `{"email":"x@example.com","password":"Password1","display_name":"X"}`, status: 400, want: "password: is one of the most common passwords"},
		{name: "password with the name", body: `{"email":"x@example.com","password":"xavier rules 2026","display_name":"Xavier"}`, status: 400, want: "password: must not contain your name"},
		{name: "password with the email", body: `{"email":"xenia@example.com","password":"i am xenia 2026","display_name":"X"}`, status: 400, want: "password: must not contain your email"},
		{name: "platform_link elsewhere", body: `{"email":"x@example.com","password":"` + testPassword + `","display_name":"X","platform_link":"https://evil.example/"}`, status: 400, want: "platform_link: https://evil.example is not an origin"},
		{name: "body over 1 MiB", body: `{"email":"x@example.com","password":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	signup = append(signup, badBodyCases(`{"email":"x@example.com","password":"`+testPassword+`","display_name":"X"}`)...)
	login := []badCase{
		{name: "no password", body: `{"email":"taken@example.com"}`, status: 400, want: "password: required"},
		{name: "password null", body: `{"email":"taken@example.com","password":null}`, status: 400, want: "password: required"},
		{name: "unknown field", body: `{"email":"taken@example.com","password":"x","remember":true}`, status: 400, want: "remember: unknown field"},
		{name: "multipart", parts: []badPart{badField("email", "taken@example.com")}, status: 415, want: "is not accepted"},
	}
	login = append(login, badBodyCases(`{"email":"taken@example.com","password":"`+testPassword+`"}`)...)
	each(t, func(t *testing.T, e *env) {
		e.signup("taken@example.com")
		vars := strings.NewReplacer()
		accounts := func(e *env) string {
			// x@example.com never gets an account; taken@ keeps its password.
			_, _, _, errX := e.st.PasswordHash(context.Background(), "x@example.com")
			_, hash, _, _ := e.st.PasswordHash(context.Background(), "taken@example.com")
			return errX.Error() + " " + hash
		}
		badRunWith(t, e, "POST", "/auth/signup", nil, vars, accounts, signup)
		badRunWith(t, e, "POST", "/auth/login", nil, vars, accounts, login)
	})
}

// badRunWith is badRun for a path outside the client prefixes, sent with
// the given headers instead of the organization's API key.
func badRunWith(t *testing.T, e *env, method, path string, header map[string]string, vars *strings.Replacer,
	state func(*env) string, cases []badCase) {
	t.Helper()
	badRunRequests(t, e, method, state, cases, func(c badCase) req {
		r := c.request(method, "", "", vars)
		r.Path, r.Header = path, header
		if c.query != "" {
			r.Path += "?" + vars.Replace(c.query)
		}
		return r
	})
}

// TestLoginThrottleBehindProxy: behind a trusted proxy the address is the
// client's from X-Forwarded-For; from anyone else the header is ignored,
// so that it cannot be used to dodge the count.
func TestLoginThrottleBehindProxy(t *testing.T) {
	failFrom := func(e *env, n int, xff func(i int) string) {
		for i := range n {
			b, _ := json.Marshal(map[string]string{"email": fmt.Sprintf("spray%d@example.com", i), "password": "wrong password"})
			r := e.do(req{Method: "POST", Path: "/auth/login", ContentType: "application/json", Body: b,
				Header: map[string]string{"X-Forwarded-For": xff(i)}})
			expect(e.t, r, 401)
		}
	}
	login := func(e *env, xff string) response {
		b, _ := json.Marshal(map[string]string{"email": "real@example.com", "password": testPassword})
		return e.do(req{Method: "POST", Path: "/auth/login", ContentType: "application/json", Body: b,
			Header: map[string]string{"X-Forwarded-For": xff}})
	}
	t.Run("trusted", func(t *testing.T) {
		each(t, func(t *testing.T, e *env) {
			e.signup("real@example.com")
			failFrom(e, 20, func(int) string { return "198.51.100.9, 203.0.113.7" })
			badWant(t, login(e, "203.0.113.7"), 429, "too many failed sign-ins")
			expect(t, login(e, "203.0.113.8"), 200) // another client behind the same proxy
		}, func(c *api.Config) { c.TrustedProxies = trustLoopback })
	})
	t.Run("untrusted", func(t *testing.T) {
		each(t, func(t *testing.T, e *env) {
			e.signup("real@example.com")
			failFrom(e, 20, func(i int) string { return fmt.Sprintf("203.0.113.%d", i) })
			badWant(t, login(e, "203.0.113.200"), 429, "too many failed sign-ins")
		})
	})
}

// TestConcurrentGuessesAreCounted: a burst of wrong passwords at once gets
// no more tries than one after another.
func TestConcurrentGuessesAreCounted(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.signup("burst@example.com")
		const n = 30
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				b, _ := json.Marshal(map[string]string{"email": "burst@example.com", "password": "wrong password"})
				hr, _ := http.NewRequest("POST", e.srv.URL+"/auth/login", bytes.NewReader(b))
				hr.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(hr)
				if err == nil {
					statuses[i] = res.StatusCode
					res.Body.Close()
				}
			})
		}
		wg.Wait()
		tried := 0
		for _, st := range statuses {
			switch st {
			case 401:
				tried++
			case 429:
			default:
				t.Errorf("status %d", st)
			}
		}
		if tried != 5 {
			t.Errorf("%d of %d concurrent guesses were checked, want 5", tried, n)
		}
	})
}
