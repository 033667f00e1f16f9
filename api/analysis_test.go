package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/store/storetest"
)

// analysisSessionOut is an analysis session of the API, as a test reads it.
type analysisSessionOut struct {
	SessionUID string          `json:"session_uid"`
	UserUID    string          `json:"user_uid"`
	Activity   string          `json:"activity"`
	Time       string          `json:"time"`
	Duration   float64         `json:"duration"`
	Metrics    json.RawMessage `json:"metrics"`
	CreatedAt  string          `json:"created_at"`
}

type recordedOut struct {
	Session       analysisSessionOut `json:"session"`
	SessionNumber int64              `json:"session_number"`
}

type analysisSessionPageOut struct {
	Sessions []analysisSessionOut `json:"sessions"`
	LastUID  string               `json:"last_uid"`
}

const noSessionsLeft = "no analysis sessions left: the organization's session_number is 0; ask the operator to raise it"

// setOrg changes an organization's settings through the operator's store
// method, as the organization command does.
func (e *env) setOrg(org storetest.Org, u roster.OrganizationUpdate) {
	e.t.Helper()
	if _, err := e.st.UpdateOrganization(context.Background(), org.UID, u); err != nil {
		e.t.Fatal(err)
	}
}

func quota(n int64) roster.OrganizationUpdate { return roster.OrganizationUpdate{SessionNumber: &n} }

func analysisSessionsPath(prefix, uid string) string { return prefix + "/" + uid + "/sessions" }

// record posts a session body for the client as key.
func (e *env) record(key, prefix, uid, body string) response {
	e.t.Helper()
	return e.do(req{Method: "POST", Path: analysisSessionsPath(prefix, uid), Key: key, ContentType: "application/json", Body: []byte(body)})
}

// recorded records a session that must succeed and returns the answer.
func (e *env) recorded(key, prefix, uid, body string) recordedOut {
	e.t.Helper()
	r := e.record(key, prefix, uid, body)
	expect(e.t, r, 201)
	var out recordedOut
	r.decode(e.t, &out)
	return out
}

// analysisSessions reads one page of the client's analysisSessions as key.
func (e *env) analysisSessions(key, prefix, uid, query string) analysisSessionPageOut {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: analysisSessionsPath(prefix, uid) + "?" + query, Key: key})
	expect(e.t, r, 200)
	var page analysisSessionPageOut
	r.decode(e.t, &page)
	return page
}

// clientTimes reads what recording a session changes on a client.
func (e *env) clientTimes(prefix, uid string) (lastSession *string, updatedAt string) {
	e.t.Helper()
	r := e.get(prefix + "/" + uid)
	expect(e.t, r, 200)
	var c struct {
		LastSession *string `json:"last_session"`
		UpdatedAt   string  `json:"updated_at"`
	}
	r.decode(e.t, &c)
	return c.LastSession, c.UpdatedAt
}

// sessionNumber reads the organization's remaining quota as key sees it.
func (e *env) sessionNumber(key string) int64 {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "/user-management/organization-status/", Key: key})
	expect(e.t, r, 200)
	var st struct {
		SessionNumber int64 `json:"session_number"`
	}
	r.decode(e.t, &st)
	return st.SessionNumber
}

func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func TestRecordAndListAnalysisSessions(t *testing.T) {
	for _, prefix := range prefixes {
		t.Run(prefix, func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				e.setOrg(e.org, quota(5))
				c := e.create(prefix, map[string]any{"email": "s@example.com", "display_name": "S"})
				if last, _ := e.clientTimes(prefix, c.UserUID); last != nil {
					t.Fatalf("a new client has last_session %s", *last)
				}

				now := e.clock.Now()
				t1 := now.Truncate(time.Millisecond).Add(-time.Hour)
				first := e.recorded(e.org.APIKey, prefix, c.UserUID, fmt.Sprintf(
					`{"activity":"Running","time":%q,"duration":1800.5,"metrics":{"note":"<ok> & fine","cadence":172}}`,
					t1.In(time.FixedZone("", 2*3600)).Format(time.RFC3339Nano)))
				s := first.Session
				if !roster.ValidUID(s.SessionUID) || s.UserUID != c.UserUID || s.Activity != "Running" || s.Time != apiTime(t1) ||
					s.Duration != 1800.5 || string(s.Metrics) != `{"cadence":172,"note":"<ok> & fine"}` || first.SessionNumber != 4 {
					t.Fatalf("recorded: %+v, metrics %s", first, s.Metrics)
				}
				if s.CreatedAt != apiTime(now) {
					t.Errorf("created_at %s, want the time of recording, %s", s.CreatedAt, apiTime(now))
				}
				if last, updated := e.clientTimes(prefix, c.UserUID); last == nil || *last != apiTime(t1) || updated != s.CreatedAt {
					t.Errorf("after the first session: last_session %v, updated_at %s; want %s, %s", last, updated, apiTime(t1), s.CreatedAt)
				}

				// A session recorded late, older than the latest, leaves
				// last_session where it is.
				r := e.record(e.org.APIKey, prefix, c.UserUID, fmt.Sprintf(`{"activity":"Weightlifting","time":%q,"duration":60}`,
					t1.Add(-time.Hour).Format(time.RFC3339Nano)))
				expect(t, r, 201)
				if bytes.Contains(r.Body, []byte(`"metrics"`)) {
					t.Errorf("a session without metrics shows them: %s", r.Body)
				}
				var second recordedOut
				r.decode(t, &second)
				if second.SessionNumber != 3 || second.Session.Time != apiTime(t1.Add(-time.Hour)) {
					t.Errorf("second: %+v", second)
				}
				if last, _ := e.clientTimes(prefix, c.UserUID); last == nil || *last != apiTime(t1) {
					t.Errorf("an older session moved last_session to %v", last)
				}

				// Without a time, a session took place now.
				third := e.recorded(e.org.APIKey, prefix, c.UserUID, `{"activity":"Running","duration":30,"metrics":null}`)
				if third.Session.Time != third.Session.CreatedAt || third.Session.Metrics != nil || third.SessionNumber != 2 {
					t.Errorf("third: %+v", third)
				}
				if last, _ := e.clientTimes(prefix, c.UserUID); last == nil || *last != third.Session.Time {
					t.Errorf("last_session %v, want %s", last, third.Session.Time)
				}

				want := []analysisSessionOut{third.Session, second.Session, first.Session}
				for _, p := range prefixes {
					if page := e.analysisSessions(e.org.APIKey, p, c.UserUID, ""); !reflect.DeepEqual(page.Sessions, want) || page.LastUID != s.SessionUID {
						t.Errorf("list under %s: %+v", p, page)
					}
				}
				p1 := e.analysisSessions(e.org.APIKey, prefix, c.UserUID, "limit=2")
				p2 := e.analysisSessions(e.org.APIKey, prefix, c.UserUID, "limit=2&start_after_id="+p1.LastUID)
				p3 := e.analysisSessions(e.org.APIKey, prefix, c.UserUID, "start_after_id="+p2.LastUID)
				if !reflect.DeepEqual(p1, analysisSessionPageOut{want[:2], second.Session.SessionUID}) ||
					!reflect.DeepEqual(p2, analysisSessionPageOut{want[2:], s.SessionUID}) ||
					!reflect.DeepEqual(p3, analysisSessionPageOut{[]analysisSessionOut{}, ""}) {
					t.Errorf("pages:\n%+v\n%+v\n%+v", p1, p2, p3)
				}
				// Empty values are absent ones, as in every query.
				if page := e.analysisSessions(e.org.APIKey, prefix, c.UserUID, "limit=&start_after_id="); !reflect.DeepEqual(page.Sessions, want) {
					t.Errorf("empty limit and start_after_id: %+v", page)
				}
				if n := e.sessionNumber(e.org.APIKey); n != 2 {
					t.Errorf("session_number %d after 3 of 5, want 2", n)
				}
				if n := e.sessionNumber(e.other.APIKey); n != 0 {
					t.Errorf("the other organization's session_number moved to %d", n)
				}

				stored, err := e.st.ClientAnalysisSessions(context.Background(), e.org.ID, c.UserUID, "", 100)
				if err != nil {
					t.Fatal(err)
				}
				if len(stored) != 3 || !stored[2].Time.Equal(t1) || stored[2].Duration != 1800.5 || stored[1].Metrics != nil ||
					string(stored[2].Metrics) != string(s.Metrics) {
					t.Fatalf("stored: %+v", stored)
				}
				for _, a := range stored {
					if a.CreatedBy != e.org.OwnerUID || a.ClientUID != c.UserUID {
						t.Errorf("stored session %s: created_by %s, client %s", a.UID, a.CreatedBy, a.ClientUID)
					}
				}
			})
		})
	}
}

func TestBadRecordAnalysisSession(t *testing.T) {
	const valid = `{"activity":"Running","duration":60}`
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	withBody := func(name, body string, status int, want string) badCase {
		return badCase{name: name, body: body, status: status, want: want}
	}
	cases := []badCase{
		withBody("no activity", `{"duration":60}`, 400, "activity: required"),
		withBody("activity null", `{"activity":null,"duration":60}`, 400, "activity: required"),
		withBody("activity empty", `{"activity":"","duration":60}`, 400, "activity: required"),
		withBody("activity a number", `{"activity":1,"duration":60}`, 400, "activity: must be a string"),
		withBody("activity an array", `{"activity":["Running"],"duration":60}`, 400, "activity: must be a string"),
		withBody("unknown activity", `{"activity":"Swimming","duration":60}`, 400,
			`activity: "Swimming" is not enabled for this organization: allowed are Running, Weightlifting`),
		withBody("activity not enabled", `{"activity":"Vertical Jump","duration":60}`, 400,
			`activity: "Vertical Jump" is not enabled for this organization: allowed are Running, Weightlifting`),
		withBody("activity in other letter case", `{"activity":"running","duration":60}`, 400, "is not enabled"),
		withBody("no duration", `{"activity":"Running"}`, 400, "duration: required"),
		withBody("duration null", `{"activity":"Running","duration":null}`, 400, "duration: required"),
		withBody("duration a string", `{"activity":"Running","duration":"60"}`, 400, "duration: must be a number of seconds"),
		withBody("duration a boolean", `{"activity":"Running","duration":true}`, 400, "duration: must be a number of seconds"),
		withBody("duration 0", `{"activity":"Running","duration":0}`, 400, "duration: must be more than 0 and at most 86400 seconds"),
		withBody("duration negative", `{"activity":"Running","duration":-5}`, 400, "duration: must be more than 0"),
		withBody("duration over a day", `{"activity":"Running","duration":86400.5}`, 400, "duration: must be more than 0 and at most 86400"),
		withBody("duration beyond float64", `{"activity":"Running","duration":1e400}`, 400, "duration: must be more than 0"),
		withBody("time not a time", `{"activity":"Running","duration":60,"time":"yesterday"}`, 400, "time: must be an RFC 3339 time"),
		withBody("time a date only", `{"activity":"Running","duration":60,"time":"2025-07-14"}`, 400, "time: must be an RFC 3339 time"),
		withBody("time without a zone", `{"activity":"Running","duration":60,"time":"2025-07-14T09:30:00"}`, 400, "time: must be an RFC 3339 time"),
		withBody("time a number", `{"activity":"Running","duration":60,"time":1752485400}`, 400, "time: must be an RFC 3339 time"),
		withBody("time in the future", `{"activity":"Running","duration":60,"time":"`+future+`"}`, 400,
			"time: must not be more than 5 minutes in the future"),
		withBody("time before 2000", `{"activity":"Running","duration":60,"time":"1999-12-31T23:59:59Z"}`, 400,
			"time: must not be before 2000-01-01"),
		withBody("metrics an array", `{"activity":"Running","duration":60,"metrics":[1,2]}`, 400, "metrics: must be a JSON object"),
		withBody("metrics a string", `{"activity":"Running","duration":60,"metrics":"{}"}`, 400, "metrics: must be a JSON object"),
		withBody("metrics a number", `{"activity":"Running","duration":60,"metrics":3}`, 400, "metrics: must be a JSON object"),
		withBody("metrics over 64 KiB", `{"activity":"Running","duration":60,"metrics":{"pad":"`+strings.Repeat("m", 65527)+`"}}`,
			413, "metrics: larger than 65536 bytes when encoded"),
		withBody("unknown field", `{"activity":"Running","duration":60,"colour":"red"}`, 400, "colour: unknown field"),
		withBody("user_uid in the body", `{"activity":"Running","duration":60,"user_uid":"{A}"}`, 400, "user_uid: unknown field"),
		withBody("activity given twice", `{"activity":"Running","duration":60,"activity":"Weightlifting"}`, 400,
			"activity: given more than once"),
		withBody("body over 1 MiB", `{"activity":"Running","duration":60,"pad":"`+badHuge+`"}`, 413, "request body is larger than"),
		{name: "form body", ct: "application/x-www-form-urlencoded", body: "activity=Running&duration=60", status: 415,
			want: `Content-Type "application/x-www-form-urlencoded" is not accepted here: send application/json`},
		{name: "multipart body", parts: []badPart{badField("activity", "Running"), badField("duration", "60")}, status: 415,
			want: `Content-Type "multipart/form-data" is not accepted`},
		{name: "no body at all", ct: badNoCT, status: 415, want: `Content-Type "" is not accepted`},
		{name: "other organization's client", path: "/{O}/sessions", body: valid, status: 404, want: badNotFound},
		{name: "unknown client", path: "/" + badUnknownUID + "/sessions", body: valid, status: 404, want: badNotFound},
		{name: "client uid with invalid characters", path: "/a.b/sessions", body: valid, status: 404, want: badNotFound},
	}
	cases = append(cases, badBodyCases(valid)...)
	for i := range cases {
		if cases[i].path == "" {
			cases[i].path = "/{A}/sessions"
		}
	}

	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		running := []string{"Running", "Weightlifting"}
		hundred := int64(100)
		e.setOrg(e.org, roster.OrganizationUpdate{SessionNumber: &hundred, Activities: &running})
		e.setOrg(e.other, quota(100))
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O"}`)
		e.recorded(e.org.APIKey, prefix, a, `{"activity":"Running","duration":60,"metrics":{"km":5}}`)
		e.recorded(e.other.APIKey, prefix, o, `{"activity":"Mobility Assessment","duration":60}`)
		vars := strings.NewReplacer("{A}", a, "{O}", o)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, analysisSessionsPath(prefix, a)) + badSnap(e, e.org.APIKey, prefix+"/"+a) +
				badSnap(e, e.org.APIKey, "/user-management/organization-status/") +
				badSnap(e, e.other.APIKey, analysisSessionsPath(prefix, o)) + badSnap(e, e.other.APIKey, prefix+"/"+o) +
				badSnap(e, e.other.APIKey, "/user-management/organization-status/")
		}
		badRun(t, e, "POST", prefix, vars, state, cases)

		t.Run("control", func(t *testing.T) {
			e := badBind(e, t)
			for _, body := range []string{
				`{"activity":"Weightlifting","duration":86400}`,
				`{"activity":"Running","duration":0.001,"time":"2000-01-01T00:00:00Z"}`,
				`{"activity":"Running","duration":1,"time":"2025-07-14T11:30:00.5+02:00","metrics":{}}`,
				`{"activity":"Running","duration":1,"time":"` + e.clock.Now().Add(4*time.Minute).Format(time.RFC3339) + `"}`,
				`{"activity":"Running","duration":1,"metrics":{"pad":"` + strings.Repeat("m", 65526) + `"}}`,
			} {
				e.recorded(e.org.APIKey, prefix, a, body)
			}
			if page := e.analysisSessions(e.org.APIKey, prefix, a, "limit=100"); len(page.Sessions) != 6 {
				t.Errorf("%d sessions after 5 good recordings, want 6", len(page.Sessions))
			}
			if n := e.sessionNumber(e.org.APIKey); n != 94 {
				t.Errorf("session_number %d, want 94", n)
			}
		})
	})
}

func TestBadListAnalysisSessions(t *testing.T) {
	cases := []badCase{
		{name: "limit 0", query: "limit=0", status: 400, want: "limit: must be an integer from 1 to 100"},
		{name: "limit 101", query: "limit=101", status: 400, want: "limit: must be an integer from 1 to 100"},
		{name: "limit text", query: "limit=ten", status: 400, want: "limit: must be an integer"},
		{name: "limit twice", query: "limit=1&limit=2", status: 400, want: "limit: given more than once"},
		{name: "start_after_id not a uid", query: "start_after_id=a.b", status: 400, want: "start_after_id: not a valid uid"},
		{name: "unknown parameter", query: "offset=3", status: 400, want: "offset: unknown query parameter; accepted are start_after_id, limit"},
		{name: "malformed query", query: "limit=%zz", status: 400, want: "query string: invalid URL escape"},
		{name: "other organization's client", path: "/{O}/sessions", status: 404, want: badNotFound},
		{name: "unknown client", path: "/" + badUnknownUID + "/sessions", status: 404, want: badNotFound},
		{name: "client uid with invalid characters", path: "/a.b/sessions", status: 404, want: badNotFound},
	}
	for i := range cases {
		if cases[i].path == "" {
			cases[i].path = "/{A}/sessions"
		}
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		e.setOrg(e.other, quota(1))
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O"}`)
		e.recorded(e.other.APIKey, prefix, o, `{"activity":"Running","duration":60}`)
		badRun(t, e, "GET", prefix, strings.NewReplacer("{A}", a, "{O}", o), nil, cases)
		if page := e.analysisSessions(e.org.APIKey, prefix, a, ""); len(page.Sessions) != 0 || page.LastUID != "" {
			t.Errorf("a client without sessions: %+v", page)
		}
	})
}

func TestAnalysisSessionQuotaSpent(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const prefix = "/client-management/clients"
		e.setOrg(e.org, quota(1))
		c := e.create(prefix, map[string]any{"email": "q@example.com", "display_name": "Q"})
		old := e.clock.Now().Add(-48 * time.Hour).Truncate(time.Second)
		if got := e.recorded(e.org.APIKey, prefix, c.UserUID, `{"activity":"Running","duration":60,"time":"`+old.Format(time.RFC3339)+`"}`); got.SessionNumber != 0 {
			t.Fatalf("the last session left answered session_number %d", got.SessionNumber)
		}
		snap := func() string {
			return badSnap(e, e.org.APIKey, analysisSessionsPath(prefix, c.UserUID)) + badSnap(e, e.org.APIKey, prefix+"/"+c.UserUID) +
				badSnap(e, e.org.APIKey, "/user-management/organization-status/")
		}
		before := snap()

		// A newer session would move last_session: the 403 must undo that too.
		for _, p := range prefixes {
			r := e.record(e.org.APIKey, p, c.UserUID, `{"activity":"Running","duration":60}`)
			expect(t, r, 403)
			if msg := r.errorText(t); msg != noSessionsLeft {
				t.Errorf("403 message %q", msg)
			}
		}
		if after := snap(); after != before {
			t.Errorf("a refused recording changed the data: %s", badChange(before, after))
		}
		// Bad input and unknown clients are told as such, quota or not.
		badWant(t, e.record(e.org.APIKey, prefix, badUnknownUID, `{"activity":"Running","duration":60}`), 404, badNotFound)
		badWant(t, e.record(e.org.APIKey, prefix, c.UserUID, `{"activity":"Swimming","duration":60}`), 400, "activity:")
		if n, _ := e.st.ClientAnalysisSessions(context.Background(), e.org.ID, c.UserUID, "", 100); len(n) != 1 {
			t.Errorf("%d sessions stored, want 1", len(n))
		}

		// Once the operator raises the quota, recording works again.
		e.setOrg(e.org, quota(1))
		if got := e.recorded(e.org.APIKey, prefix, c.UserUID, `{"activity":"Running","duration":60}`); got.SessionNumber != 0 {
			t.Errorf("session_number %d, want 0", got.SessionNumber)
		}
		last, _ := e.clientTimes(prefix, c.UserUID)
		if at, err := time.Parse(time.RFC3339, *last); err != nil || !at.After(old.Add(47*time.Hour)) {
			t.Errorf("last_session %s did not move to now from %s", *last, old)
		}
	})
}

// TestAnalysisSessionQuotaHoldsUnderConcurrency records 50 sessions at once for five
// clients against a quota of 10: exactly 10 are recorded, each told a
// different number of sessions left.
func TestAnalysisSessionQuotaHoldsUnderConcurrency(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const prefix, attempts, limit = "/user-management/users", 50, 10
		e.setOrg(e.org, quota(limit))
		var clients []string
		for i := range 5 {
			clients = append(clients, e.create(prefix, map[string]any{"email": fmt.Sprintf("c%d@example.com", i), "display_name": "C"}).UserUID)
		}
		type result struct {
			req *http.Request
			res response
			err error
		}
		results := make(chan result, attempts)
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Go(func() {
				hr, _ := http.NewRequest("POST", e.srv.URL+analysisSessionsPath(prefix, clients[i%len(clients)]),
					strings.NewReader(`{"activity":"Running","duration":60}`))
				hr.Header.Set("Content-Type", "application/json")
				hr.Header.Set("API-KEY", e.org.APIKey)
				res, err := http.DefaultClient.Do(hr)
				if err != nil {
					results <- result{err: err}
					return
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				results <- result{hr, response{res.StatusCode, res.Header, body}, err}
			})
		}
		wg.Wait()
		close(results)
		var left []int64
		refused := 0
		for r := range results {
			if r.err != nil {
				t.Fatal(r.err)
			}
			checkOpenAPI(t, r.req, r.res)
			switch r.res.Status {
			case 201:
				var out recordedOut
				r.res.decode(t, &out)
				left = append(left, out.SessionNumber)
			case 403:
				if msg := r.res.errorText(t); msg != noSessionsLeft {
					t.Errorf("403 message %q", msg)
				}
				refused++
			default:
				t.Errorf("status %d: %s", r.res.Status, r.res.Body)
			}
		}
		slices.Sort(left)
		if want := []int64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(left, want) || refused != attempts-limit {
			t.Errorf("recorded %d with sessions left %v, refused %d; want %v and %d refused", len(left), left, refused, want, attempts-limit)
		}
		stored, counted := 0, int64(0)
		for _, c := range clients {
			n := len(e.analysisSessions(e.org.APIKey, prefix, c, "limit=100").Sessions)
			stored += n
			got, err := e.st.Client(context.Background(), e.org.ID, c)
			if err != nil || got.SessionsCount != int64(n) {
				t.Errorf("client %s: sessions_count %d with %d sessions (%v)", c, got.SessionsCount, n, err)
			}
			counted += got.SessionsCount
		}
		if stored != limit || counted != limit {
			t.Errorf("%d sessions stored and %d counted, want %d", stored, counted, limit)
		}
		if n := e.sessionNumber(e.org.APIKey); n != 0 {
			t.Errorf("session_number %d, want 0", n)
		}
	})
}

// TestPostUnderClientRoutes checks the one route that serves both
// save-notes/{user_uid} and {user_uid}/sessions: anything else under it is
// a 404, and changes nothing.
func TestPostUnderClientRoutes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "routes@example.com", "display_name": "Routes"})
		before := e.get(prefixes[0] + "/" + c.UserUID)
		for _, path := range []string{"/" + c.UserUID + "/notes", "/save-notes-x/" + c.UserUID, "/sessions/" + c.UserUID} {
			// Sent outside e.do: these paths are not in the OpenAPI document.
			hr, _ := http.NewRequest("POST", e.srv.URL+prefixes[0]+path, strings.NewReader(`{"note":"x"}`))
			hr.Header.Set("API-KEY", e.org.APIKey)
			hr.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			badWant(t, response{Status: res.StatusCode, Body: body}, 404, "no such path")
		}
		if after := e.get(prefixes[0] + "/" + c.UserUID); string(after.Body) != string(before.Body) {
			t.Errorf("client changed: %s", after.Body)
		}
	})
}
