package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/scim"
	"roster/store/storetest"
)

// metricOut is an entry of metric history, as a test reads it.
type metricOut struct {
	UID        string  `json:"uid"`
	Field      string  `json:"field"`
	Value      float64 `json:"value"`
	RecordedAt string  `json:"recorded_at"`
	RecordedBy string  `json:"recorded_by"`
}

type metricPageOut struct {
	Metrics []metricOut `json:"metrics"`
	LastUID string      `json:"last_uid"`
}

func metricsPath(prefix, uid string) string { return prefix + "/" + uid + "/metrics" }

// metricPage reads one page of the client's history as the organization.
func (e *env) metricPage(prefix, uid, query string) metricPageOut {
	e.t.Helper()
	return decodeAs[metricPageOut](e.t, e.get(metricsPath(prefix, uid)+"?"+query), 200)
}

// history is the client's whole history as field=value@time by whom,
// oldest first, read under both prefixes, which must agree.
func (e *env) history(uid string) []string {
	e.t.Helper()
	var got [][]string
	for _, prefix := range prefixes {
		var h []string
		for _, m := range e.metricPage(prefix, uid, "").Metrics {
			h = append(h, fmt.Sprintf("%s=%g@%s by %s", m.Field, m.Value, m.RecordedAt, m.RecordedBy))
		}
		got = append(got, h)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		e.t.Fatalf("the prefixes disagree:\n%v\n%v", got[0], got[1])
	}
	return got[0]
}

// recordMetric posts a measurement for the client as the organization.
func (e *env) recordMetric(prefix, uid, body string) response {
	e.t.Helper()
	return e.do(req{Method: "POST", Path: metricsPath(prefix, uid), Key: e.org.APIKey, ContentType: "application/json", Body: []byte(body)})
}

func (e *env) update(prefix string, fields map[string]any) response {
	e.t.Helper()
	return e.json("PUT", prefix+"/", fields)
}

// TestMetricHistoryOfChanges: create, update, import, SCIM and the
// athlete's own profile each append the measures they change, with who
// changed them and when; an unchanged or cleared value and a failed change
// append nothing.
func TestMetricHistoryOfChanges(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner := e.org.OwnerUID
		at := func() string { return apiTime(e.clock.Now()) }
		t0 := at()
		c := e.create(prefixes[0], map[string]any{"email": "h@example.com", "display_name": "H", "height": 180, "weight": "75.5"})
		other := e.create(prefixes[1], map[string]any{"email": "other@example.com", "display_name": "O"})
		want := []string{"height=180@" + t0 + " by " + owner, "weight=75.5@" + t0 + " by " + owner}
		check := func(step string) {
			t.Helper()
			if got := e.history(c.UserUID); !reflect.DeepEqual(got, want) {
				t.Fatalf("after %s:\n got %q\nwant %q", step, got, want)
			}
		}
		check("create")
		if h := e.history(other.UserUID); h != nil {
			t.Errorf("a client created without measures has history %q", h)
		}

		// Unchanged, cleared, or another field: nothing.
		e.clock.Advance(time.Minute)
		expect(t, e.update(prefixes[1], map[string]any{"user_uid": c.UserUID, "weight": 75.5, "height": nil, "brand": "Asics"}), 200)
		check("an update that keeps weight and clears height")

		// A change, by either prefix.
		e.clock.Advance(time.Minute)
		expect(t, e.update(prefixes[0], map[string]any{"user_uid": c.UserUID, "weight": 76, "height": 181, "ycom": 0.9}), 200)
		t2 := at()
		want = append(want, "height=181@"+t2+" by "+owner, "weight=76@"+t2+" by "+owner, "ycom=0.9@"+t2+" by "+owner)
		check("an update")

		// Failed changes: a taken email after the history was written in the
		// same transaction, and an invalid value.
		e.clock.Advance(time.Minute)
		badWant(t, e.update(prefixes[0], map[string]any{"user_uid": c.UserUID, "weight": 77, "email": "other@example.com"}),
			400, "email: a client with this email already exists")
		badWant(t, e.update(prefixes[1], map[string]any{"user_uid": c.UserUID, "weight": 1001}), 400, "weight: must be between 0 and 1000")
		check("failed updates")
		if got := e.details(prefixes[0], c.UserUID); got.Height == nil || *got.Height != 181 {
			t.Errorf("after failed updates: %+v", got)
		}

		// SCIM: the organization's key, whose account is the owner.
		e.clock.Advance(time.Minute)
		expect(t, e.scimDo("PATCH", "/Users/"+c.UserUID, map[string]any{"schemas": []string{scim.PatchSchema}, "Operations": []any{
			map[string]any{"op": "replace", "path": scim.AthleteSchema + ":weight", "value": 78},
		}}), 200)
		want = append(want, "weight=78@"+at()+" by "+owner)
		check("a SCIM PATCH")

		// The athlete, signed in, in their own profile.
		e.clock.Advance(time.Minute)
		tk := e.signup("h@example.com")
		e.link(e.org.APIKey, c.UserUID, tk.Token)
		expect(t, e.as(tk.Token, "PUT", "/auth/me/clients/"+c.UserUID, map[string]any{"shoeSize": "42.5", "weight": 78}), 200)
		want = append(want, "shoeSize=42.5@"+at()+" by "+tk.UID)
		check("a self-service update")
		badWant(t, e.as(tk.Token, "PUT", "/auth/me/clients/"+c.UserUID, map[string]any{"shoeSize": "huge"}), 400, "shoeSize")
		check("a failed self-service update")

		// An import: every client's measures, by the importer at its
		// creation; a refused import leaves none.
		e.clock.Advance(time.Minute)
		rejected(t, e.importAs(e.org.APIKey, prefixes[0], "", ndjsonType, strings.NewReader(
			`{"email":"i1@example.com","display_name":"I1","weight":60}`+"\n"+`{"email":"i2@example.com","display_name":"I2","weight":-1}`+"\n"), nil),
			"", bulkRowError{Row: 2, Field: "weight", Error: "must be between 0 and 1000"})
		imported(t, e.importAs(e.org.APIKey, prefixes[1], "", ndjsonType, strings.NewReader(
			`{"email":"i1@example.com","display_name":"I1","weight":60,"leg_length":"88"}`+"\n"+`{"email":"i2@example.com","display_name":"I2"}`+"\n"), nil), 2, 0)
		ti := at()
		var i1 string
		if err := e.st.EachClientMatching(context.Background(), e.org.ID, roster.ClientQuery{}, func(c *roster.Client) error {
			if c.Email == "i1@example.com" {
				i1 = c.UID
			}
			return nil
		}); err != nil || i1 == "" {
			t.Fatalf("the imported client: %q, %v", i1, err)
		}
		if got, want := e.history(i1), []string{"weight=60@" + ti + " by " + owner, "leg_length=88@" + ti + " by " + owner}; !reflect.DeepEqual(got, want) {
			t.Errorf("imported client's history %q, want %q", got, want)
		}
		check("imports")

		// Deleting the client deletes its history with it.
		expect(t, e.do(req{Method: "DELETE", Path: prefixes[0] + "/", Key: e.org.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + c.UserUID + `"}`)}), 200)
		badWant(t, e.get(metricsPath(prefixes[0], c.UserUID)), 404, badNotFound)
	})
}

// TestMetricHistoryOfConcurrentCreates: creates that share a transaction
// (group commit on SQLite, a pipeline on PostgreSQL) each write their own
// history, and one whose email is taken writes none.
func TestMetricHistoryOfConcurrentCreates(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const n = 24
		var wg sync.WaitGroup
		for i := range n + 1 {
			wg.Go(func() {
				email := fmt.Sprintf("c%d@example.com", min(i, n-1)) // the last two share an email
				b := fmt.Sprintf(`{"email":%q,"display_name":"C","weight":%d}`, email, 50+i)
				e.do(req{Method: "POST", Path: prefixes[0] + "/", Key: e.org.APIKey, ContentType: "application/json", Body: []byte(b)})
			})
		}
		wg.Wait()
		ctx := context.Background()
		var clients, entries int
		err := e.st.EachClientMatching(ctx, e.org.ID, roster.ClientQuery{}, func(c *roster.Client) error {
			clients++
			h, err := e.st.ClientMetrics(ctx, e.org.ID, c.UID, roster.MetricFilter{Limit: 10})
			if err != nil {
				return err
			}
			entries += len(h)
			if len(h) != 1 || h[0].Field != "weight" || h[0].Value != *c.Weight || !h[0].RecordedAt.Equal(c.CreatedAt) ||
				h[0].RecordedBy != e.org.OwnerUID {
				t.Errorf("client %s (weight %v): history %+v", c.UID, *c.Weight, h)
			}
			return nil
		})
		if err != nil || clients != n || entries != n {
			t.Errorf("%d clients, %d entries (%v); want %d of each", clients, entries, err, n)
		}
	})
}

// TestRecordMetric: a measurement joins the history at its time, and
// becomes the current value only when it is the field's newest.
func TestRecordMetric(t *testing.T) {
	for _, prefix := range prefixes {
		t.Run(prefix, func(t *testing.T) {
			each(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				t0 := e.clock.Now().Truncate(time.Millisecond)
				c := e.create(prefix, map[string]any{"email": "m@example.com", "display_name": "M", "weight": 70})
				hook := e.hook(newReceiver(t).srv.URL+"/hooks", roster.EventClientUpdated)
				e.clock.Advance(time.Hour)
				before, _ := e.st.Client(ctx, e.org.ID, c.UserUID)

				// Older: history only.
				old := t0.Add(-24 * time.Hour)
				r := e.recordMetric(prefix, c.UserUID, fmt.Sprintf(`{"field":"weight","value":68,"recorded_at":%q}`,
					old.In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano)))
				older := decodeAs[metricOut](t, r, 201)
				if !roster.ValidUID(older.UID) || older.Field != "weight" || older.Value != 68 || older.RecordedAt != apiTime(old) ||
					older.RecordedBy != e.org.OwnerUID {
					t.Fatalf("recorded: %s", r.Body)
				}
				after, _ := e.st.Client(ctx, e.org.ID, c.UserUID)
				if *after.Weight != 70 || !after.UpdatedAt.Equal(before.UpdatedAt) {
					t.Errorf("an older measurement changed the client: weight %v, updated_at %s", *after.Weight, after.UpdatedAt)
				}

				// Newer, as a string, and now by default: the current value.
				newer := decodeAs[metricOut](t, e.recordMetric(prefix, c.UserUID, `{"field":"weight","value":"72.25"}`), 201)
				now := e.clock.Now()
				if newer.RecordedAt != apiTime(now) {
					t.Errorf("recorded_at %s, want now %s", newer.RecordedAt, apiTime(now))
				}
				if got, _ := e.st.Client(ctx, e.org.ID, c.UserUID); got.Weight == nil || *got.Weight != 72.25 || !got.UpdatedAt.Equal(now) {
					t.Errorf("a newer measurement left weight at %v, updated_at at %s", *got.Weight, got.UpdatedAt)
				}
				// A field without history: its first measurement is the newest.
				e.clock.Advance(time.Minute)
				hAt := now.Add(-30 * time.Minute)
				height := decodeAs[metricOut](t, e.recordMetric(prefix, c.UserUID,
					fmt.Sprintf(`{"field":"height","value":181.5,"recorded_at":%q}`, hAt.Format(time.RFC3339Nano))), 201)
				if got := e.details(prefix, c.UserUID); got.Height == nil || *got.Height != 181.5 {
					t.Errorf("height %v after its first measurement", got.Height)
				}

				// The series, oldest first, whole and by field, range and page.
				created := metricOut{Field: "weight", Value: 70, RecordedAt: apiTime(t0), RecordedBy: e.org.OwnerUID}
				all := e.metricPage(prefix, c.UserUID, "")
				if len(all.Metrics) != 4 {
					t.Fatalf("history: %+v", all)
				}
				created.UID = all.Metrics[1].UID
				want := []metricOut{older, created, height, newer}
				if !reflect.DeepEqual(all, metricPageOut{want, newer.UID}) {
					t.Errorf("history:\n got %+v\nwant %+v", all, want)
				}
				if got := e.metricPage(prefix, c.UserUID, "field=weight"); !reflect.DeepEqual(got.Metrics, []metricOut{older, created, newer}) {
					t.Errorf("weight only: %+v", got)
				}
				day := func(t time.Time) string { return t.UTC().Format(time.DateOnly) }
				if got := e.metricPage(prefix, c.UserUID, "from="+day(t0)+"&to="+day(now)); !reflect.DeepEqual(got.Metrics, want[1:]) {
					t.Errorf("from the day of t0 to today: %+v", got)
				}
				if got := e.metricPage(prefix, c.UserUID, "to="+day(old)); !reflect.DeepEqual(got.Metrics, want[:1]) {
					t.Errorf("to the day of the old one, inclusive: %+v", got)
				}
				if got := e.metricPage(prefix, c.UserUID, "field=height&from="+day(now.Add(24*time.Hour))); len(got.Metrics) != 0 || got.LastUID != "" {
					t.Errorf("from tomorrow: %+v", got)
				}
				p1 := e.metricPage(prefix, c.UserUID, "limit=3")
				p2 := e.metricPage(prefix, c.UserUID, "limit=3&start_after_id="+p1.LastUID)
				p3 := e.metricPage(prefix, c.UserUID, "limit=3&start_after_id="+p2.LastUID)
				if !reflect.DeepEqual(p1, metricPageOut{want[:3], height.UID}) || !reflect.DeepEqual(p2, metricPageOut{want[3:], newer.UID}) ||
					!reflect.DeepEqual(p3, metricPageOut{[]metricOut{}, ""}) {
					t.Errorf("pages:\n%+v\n%+v\n%+v", p1, p2, p3)
				}
				if got := e.metricPage(prefix, c.UserUID, "field=weight&limit=1&start_after_id="+older.UID); !reflect.DeepEqual(got.Metrics, []metricOut{created}) {
					t.Errorf("weight after the old one: %+v", got)
				}

				// client.updated for the two that moved a value, not the older one.
				if got := e.deliveries(hook.ID).Deliveries; len(got) != 2 || got[0].Type != roster.EventClientUpdated {
					t.Errorf("deliveries: %+v", got)
				}
				// Audited: an update when it moved the value, a metric when not.
				log, err := e.st.AuditLog(ctx, e.org.ID, roster.AuditFilter{ObjectUID: c.UserUID, Limit: 10})
				if err != nil {
					t.Fatal(err)
				}
				var actions []string
				for _, a := range log {
					actions = append(actions, a.Action+" "+strings.Join(a.Fields, ","))
				}
				if want := []string{"client.update height", "client.update weight", "client.metric weight", "client.create display_name,email,weight"}; !reflect.DeepEqual(actions, want) {
					t.Errorf("audit %q, want %q", actions, want)
				}
			})
		})
	}
}

func TestBadRecordMetric(t *testing.T) {
	const valid = `{"field":"weight","value":70}`
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	withBody := func(name, body string, status int, want string) badCase {
		return badCase{name: name, body: body, status: status, want: want}
	}
	const fields = "field: must be one of height, weight, ycom, leg_length, shoeSize"
	cases := []badCase{
		withBody("no field", `{"value":70}`, 400, "field: required"),
		withBody("field null", `{"field":null,"value":70}`, 400, "field: must be a string"),
		withBody("field a number", `{"field":1,"value":70}`, 400, "field: must be a string"),
		withBody("unknown field", `{"field":"wingspan","value":70}`, 400, fields),
		withBody("field without history", `{"field":"age","value":30}`, 400, fields),
		withBody("field in other letter case", `{"field":"Weight","value":70}`, 400, fields),
		withBody("no value", `{"field":"weight"}`, 400, "value: required"),
		withBody("value null", `{"field":"weight","value":null}`, 400, "value: required"),
		withBody("value empty", `{"field":"weight","value":""}`, 400, "value: required"),
		withBody("value a word", `{"field":"weight","value":"heavy"}`, 400, "value: must be a number"),
		withBody("value a boolean", `{"field":"weight","value":true}`, 400, "value: must be a number"),
		withBody("value an array", `{"field":"weight","value":[70]}`, 400, "value: must be a number"),
		withBody("value negative", `{"field":"weight","value":-1}`, 400, "value: must be between 0 and 1000"),
		withBody("value over the bound", `{"field":"shoeSize","value":1000.5}`, 400, "value: must be between 0 and 1000"),
		withBody("recorded_at not a time", `{"field":"weight","value":70,"recorded_at":"yesterday"}`, 400, "recorded_at: must be an RFC 3339 time"),
		withBody("recorded_at a date only", `{"field":"weight","value":70,"recorded_at":"2025-07-14"}`, 400, "recorded_at: must be an RFC 3339 time"),
		withBody("recorded_at a number", `{"field":"weight","value":70,"recorded_at":1752485400}`, 400, "recorded_at: must be an RFC 3339 time"),
		withBody("recorded_at in the future", `{"field":"weight","value":70,"recorded_at":"`+future+`"}`, 400,
			"recorded_at: must not be more than 5 minutes in the future"),
		withBody("recorded_at before 2000", `{"field":"weight","value":70,"recorded_at":"1999-12-31T23:59:59Z"}`, 400,
			"recorded_at: must not be before 2000-01-01"),
		withBody("unknown member", `{"field":"weight","value":70,"unit":"kg"}`, 400, "unit: unknown field; accepted are field, value and recorded_at"),
		withBody("value given twice", `{"field":"weight","value":70,"value":71}`, 400, "value: given more than once"),
		withBody("body over 1 MiB", `{"field":"weight","value":70,"pad":"`+badHuge+`"}`, 413, "request body is larger than"),
		{name: "form body", ct: "application/x-www-form-urlencoded", body: "field=weight&value=70", status: 415,
			want: `Content-Type "application/x-www-form-urlencoded" is not accepted here: send application/json`},
		{name: "no body at all", ct: badNoCT, status: 415, want: `Content-Type "" is not accepted`},
		{name: "other organization's client", path: "/{O}/metrics", body: valid, status: 404, want: badNotFound},
		{name: "unknown client", path: "/" + badUnknownUID + "/metrics", body: valid, status: 404, want: badNotFound},
		{name: "client uid with invalid characters", path: "/a.b/metrics", body: valid, status: 404, want: badNotFound},
	}
	cases = append(cases, badBodyCases(valid)...)
	for i := range cases {
		if cases[i].path == "" {
			cases[i].path = "/{A}/metrics"
		}
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A","weight":70}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O","weight":80}`)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, metricsPath(prefix, a)) + badSnap(e, e.org.APIKey, prefix+"/"+a) +
				badSnap(e, e.other.APIKey, metricsPath(prefix, o)) + badSnap(e, e.other.APIKey, prefix+"/"+o)
		}
		badRun(t, e, "POST", prefix, strings.NewReplacer("{A}", a, "{O}", o), state, cases)

		t.Run("control", func(t *testing.T) {
			e := badBind(e, t)
			for _, body := range []string{
				`{"field":"weight","value":0}`,
				`{"field":"shoeSize","value":"1000","recorded_at":"2000-01-01T00:00:00Z"}`,
				`{"field":"leg_length","value":88,"recorded_at":"` + e.clock.Now().Add(4*time.Minute).Format(time.RFC3339) + `"}`,
				`{"field":"ycom","value":0.95,"recorded_at":null}`,
			} {
				expect(t, e.recordMetric(prefix, a, body), 201)
			}
			if page := e.metricPage(prefix, a, ""); len(page.Metrics) != 5 {
				t.Errorf("%d entries after 4 good recordings, want 5: %+v", len(page.Metrics), page)
			}
		})
	})
}

func TestBadListMetrics(t *testing.T) {
	cases := []badCase{
		{name: "unknown field", query: "field=wingspan", status: 400, want: "field: must be one of height, weight, ycom, leg_length, shoeSize"},
		{name: "field without history", query: "field=email", status: 400, want: "field: must be one of"},
		{name: "from not a date", query: "from=yesterday", status: 400, want: "from: must be a date in YYYY-MM-DD form"},
		{name: "to a time", query: "to=2025-07-14T00:00:00Z", status: 400, want: "to: must be a date in YYYY-MM-DD form"},
		{name: "from after to", query: "from=2025-07-15&to=2025-07-14", status: 400, want: "from: must not be after to"},
		{name: "limit 0", query: "limit=0", status: 400, want: "limit: must be an integer from 1 to 100"},
		{name: "limit 101", query: "limit=101", status: 400, want: "limit: must be an integer from 1 to 100"},
		{name: "limit twice", query: "limit=1&limit=2", status: 400, want: "limit: given more than once"},
		{name: "start_after_id not a uid", query: "start_after_id=a.b", status: 400, want: "start_after_id: not a valid uid"},
		{name: "unknown parameter", query: "offset=3", status: 400,
			want: "offset: unknown query parameter; accepted are field, from, to, start_after_id, limit"},
		{name: "malformed query", query: "field=%zz", status: 400, want: "query string: invalid URL escape"},
		{name: "other organization's client", path: "/{O}/metrics", status: 404, want: badNotFound},
		{name: "unknown client", path: "/" + badUnknownUID + "/metrics", status: 404, want: badNotFound},
		{name: "client uid with invalid characters", path: "/a.b/metrics", status: 404, want: badNotFound},
	}
	for i := range cases {
		if cases[i].path == "" {
			cases[i].path = "/{A}/metrics"
		}
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O","weight":80}`)
		badRun(t, e, "GET", prefix, strings.NewReplacer("{A}", a, "{O}", o), nil, cases)
		if page := e.metricPage(prefix, a, "start_after_id="+badUnknownUID); len(page.Metrics) != 0 || page.LastUID != "" {
			t.Errorf("a client without history, after an unknown entry: %+v", page)
		}
		if page := e.metricPage(prefix, a, "from=2025-07-14&to=2025-07-14"); len(page.Metrics) != 0 {
			t.Errorf("a one-day range: %+v", page)
		}
	})
}

// TestExportHistory: history=true adds each client's history to its
// NDJSON line, under both prefixes; CSV cannot carry it.
func TestExportHistory(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		with := e.create(prefixes[0], map[string]any{"email": "w@example.com", "display_name": "W", "weight": 70, "leg_length": 90})
		without := e.create(prefixes[0], map[string]any{"email": "n@example.com", "display_name": "N"})
		e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "o@example.com", "display_name": "O", "weight": 99})
		e.clock.Advance(time.Minute)
		expect(t, e.recordMetric(prefixes[1], with.UserUID, `{"field":"weight","value":71}`), 201)
		history := e.metricPage(prefixes[0], with.UserUID, "").Metrics
		if len(history) != 3 {
			t.Fatalf("history: %+v", history)
		}
		for _, prefix := range prefixes {
			for _, q := range []string{"history=true", "format=ndjson&history=1"} {
				r := e.do(req{Method: "GET", Path: prefix + "/export/?" + q, Key: e.org.APIKey})
				expect(t, r, 200)
				type exported struct {
					UserUID string      `json:"user_uid"`
					Weight  *float64    `json:"weight"`
					History []metricOut `json:"history"`
				}
				var lines []exported
				for line := range strings.Lines(string(r.Body)) {
					var l exported
					if err := json.Unmarshal([]byte(line), &l); err != nil || !strings.Contains(line, `"history":[`) {
						t.Fatalf("%s?%s: line %q (%v)", prefix, q, line, err)
					}
					lines = append(lines, l)
				}
				if len(lines) != 2 || lines[0].UserUID != without.UserUID || len(lines[0].History) != 0 ||
					lines[1].UserUID != with.UserUID || *lines[1].Weight != 71 || !reflect.DeepEqual(lines[1].History, history) {
					t.Errorf("%s?%s: %s", prefix, q, r.Body)
				}
			}
			// It imports back: the history is ignored, the clients start
			// their own.
			if prefix == prefixes[0] {
				r := e.do(req{Method: "GET", Path: prefix + "/export/?history=true", Key: e.org.APIKey})
				imported(t, e.importAs(e.other.APIKey, prefix, "", ndjsonType, bytes.NewReader(r.Body), nil), 2, 0)
			}
			// Without it, as before: no history.
			r := e.do(req{Method: "GET", Path: prefix + "/export/?history=false", Key: e.org.APIKey})
			expect(t, r, 200)
			if strings.Contains(string(r.Body), "history") {
				t.Errorf("history=false: %s", r.Body)
			}
			badWant(t, e.do(req{Method: "GET", Path: prefix + "/export/?format=csv&history=true", Key: e.org.APIKey}), 400,
				"history: only an NDJSON export carries the history; use format=ndjson")
			badWant(t, e.do(req{Method: "GET", Path: prefix + "/export/?history=yes", Key: e.org.APIKey}), 400,
				"history: must be true or false")
		}
	})
}

// TestExportHistoryPastImportLine: a client whose history passes the
// 1 MiB an import line may hold exports to a longer line, and that export
// imports into another organization whole: every field the import takes
// comes back, the history is passed over, and the new clients start their
// own from their current values.
func TestExportHistoryPastImportLine(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		long := e.create(prefixes[0], map[string]any{"email": "long@example.com", "display_name": "Long", "weight": 70,
			"height": 181, "shoeSize": "44", "phone": "+44 20 7946 0958", "external_id": "ext-long",
			"preferable_activities": []string{"Running"}})
		e.create(prefixes[0], map[string]any{"email": "short@example.com", "display_name": "Short", "age": 30, "weight": 55})
		// Measurements older than the client only join its history.
		// Written through the store, as thousands of requests would take
		// minutes on a shared machine, and from several goroutines, so
		// that they share commits; the export reads them as any other
		// history.
		first := e.clock.Now().Add(-10000 * time.Hour)
		const entries, writers = 8200, 16
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for w := range writers {
			wg.Go(func() {
				for i := w; i < entries; i += writers {
					m := roster.Metric{UID: roster.NewUID(first), Field: []string{"height", "weight"}[i%2],
						Value: 40 + float64(i%400)/10, RecordedAt: first.Add(time.Duration(i) * time.Hour), RecordedBy: e.org.OwnerUID}
					if err := e.st.RecordMetric(context.Background(), e.org.ID, long.UserUID, m); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		r := e.do(req{Method: "GET", Path: prefixes[0] + "/export/?history=true", Key: e.org.APIKey})
		expect(t, r, 200)
		lines := strings.Split(strings.TrimSuffix(string(r.Body), "\n"), "\n")
		var line struct {
			UserUID string      `json:"user_uid"`
			History []metricOut `json:"history"`
		}
		if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &line) != nil || line.UserUID != long.UserUID {
			t.Fatalf("export: %d lines, the second %.200q", len(lines), lines[1])
		}
		// The creation's weight, height and shoeSize, then the measurements.
		if len(lines[1]) <= 1<<20 || len(line.History) != entries+3 {
			t.Fatalf("the long line has %d bytes and %d entries of history", len(lines[1]), len(line.History))
		}

		for _, prefix := range prefixes {
			fresh := *e
			fresh.org = storetest.NewOrg(t, e.st, "Enterprise")
			imported(t, fresh.importAs(fresh.org.APIKey, prefix, "", ndjsonType, bytes.NewReader(r.Body), nil), 2, 0)
			again := fresh.get(prefix + "/export/?history=true")
			expect(t, again, 200)
			got := strings.Split(strings.TrimSuffix(string(again.Body), "\n"), "\n")
			if len(got) != 2 {
				t.Fatalf("%s: the import exports %d lines: %s", prefix, len(got), again.Body)
			}
			for i := range got {
				want, have := importedFields(t, lines[i]), importedFields(t, got[i])
				if !reflect.DeepEqual(have, want) {
					t.Errorf("%s: line %d imported as\n%v\nwant\n%v", prefix, i+1, have, want)
				}
			}
			var imp struct {
				UserUID  string `json:"user_uid"`
				AdminUID string `json:"admin_uid"`
			}
			if err := json.Unmarshal([]byte(got[1]), &imp); err != nil {
				t.Fatal(err)
			}
			at := apiTime(fresh.clock.Now())
			by := fresh.org.OwnerUID
			if h, want := fresh.history(imp.UserUID), []string{"height=181@" + at + " by " + by,
				"weight=70@" + at + " by " + by, "shoeSize=44@" + at + " by " + by}; !reflect.DeepEqual(h, want) || imp.AdminUID != by {
				t.Errorf("%s: the imported client (by %s) has the history %v, want %v", prefix, imp.AdminUID, h, want)
			}
		}
	})
}

// importedFields are the fields of an exported NDJSON line that an import
// restores: all but those it ignores.
func importedFields(t *testing.T, line string) map[string]any {
	t.Helper()
	fields := map[string]any{}
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		t.Fatalf("line %.200q: %v", line, err)
	}
	for name := range fields {
		if roster.IgnoredOnImport(name) {
			delete(fields, name)
		}
	}
	return fields
}
