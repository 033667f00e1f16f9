package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"roster/api"
)

// deepJSON is a JSON object nested depth levels deep, itself included, with
// leaf at the bottom.
func deepJSON(depth int, leaf string) string {
	return strings.Repeat(`{"a":`, depth) + leaf + strings.Repeat("}", depth)
}

// deepArray is a JSON array nested depth levels deep around leaf.
func deepArray(depth int, leaf string) string {
	return strings.Repeat("[", depth) + leaf + strings.Repeat("]", depth)
}

const tooDeep = "request body nests objects and arrays more than 32 levels deep"

// A session nested 10,000 levels deep, which encoding/json alone would take
// and Roster store, is refused as the body is read: nothing is recorded
// and no quota spent. Within the limit metrics are stored as sent.
func TestAnalysisSessionMetricsDepth(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.setOrg(e.org, quota(5))
		c := e.create(prefixes[0], map[string]any{"email": "deep@example.com", "display_name": "Deep"})
		session := func(metrics string) string {
			return `{"activity":"Running","duration":60,"metrics":` + metrics + `}`
		}
		// The body's own object is one level: metrics get the other 31.
		for _, depth := range []int{9999, 32} {
			badWant(t, e.record(e.org.APIKey, prefixes[0], c.UserUID, session(deepJSON(depth, "1"))), 400, tooDeep)
		}
		if page := e.analysisSessions(e.org.APIKey, prefixes[0], c.UserUID, ""); len(page.Sessions) != 0 {
			t.Fatalf("a refused session was stored: %+v", page.Sessions)
		}
		if n := e.sessionNumber(e.org.APIKey); n != 5 {
			t.Fatalf("session_number = %d after refused sessions, want 5", n)
		}

		deepest := deepJSON(30, `[1,"]]]}}}"]`)
		got := e.recorded(e.org.APIKey, prefixes[0], c.UserUID, session(deepest))
		if string(got.Session.Metrics) != deepest || got.SessionNumber != 4 {
			t.Fatalf("recorded metrics %s, session_number %d; want %s, 4", got.Session.Metrics, got.SessionNumber, deepest)
		}
		page := e.analysisSessions(e.org.APIKey, prefixes[0], c.UserUID, "")
		if len(page.Sessions) != 1 || string(page.Sessions[0].Metrics) != deepest {
			t.Fatalf("stored sessions %+v, want one with metrics %s", page.Sessions, deepest)
		}
	})
}

// Client bodies are capped as every JSON body is. Brackets inside strings,
// escaped quotes included, are text and do not count.
func TestClientBodyDepth(t *testing.T) {
	activities := func(depth int) string {
		return `{"email":"deep@example.com","display_name":"D \\","preferable_activities":` + deepArray(depth, `"Running"`) + `}`
	}
	cases := []badCase{
		{name: "33 levels", body: activities(32), status: 400, want: tooDeep},
		// Within the limit the activities are judged, and refused, as such.
		{name: "32 levels", body: activities(31), status: 400, want: "preferable_activities: unknown activity"},
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		badRun(t, e, "POST", prefix, strings.NewReplacer(), func(e *env) string { return badSnap(e, e.org.APIKey, prefix+"/") }, cases)
		name := `[{ \"` + strings.Repeat("[", 40) + `\" {`
		c := e.do(req{Method: "POST", Path: prefix + "/", Key: e.org.APIKey, ContentType: "application/json",
			Body: []byte(`{"email":"brackets-` + tag + `@example.com","display_name":"` + name + `"}`)})
		expect(t, c, 201)
		var out struct{ UserData client }
		c.decode(t, &out)
		if want := `[{ "` + strings.Repeat("[", 40) + `" {`; out.UserData.DisplayName != want {
			t.Errorf("display_name %q, want %q", out.UserData.DisplayName, want)
		}
	})
}

// An NDJSON line nested too deep is a bad row like any other.
func TestImportLineDepth(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		body := `{"email":"a@example.com","display_name":"A"}` + "\n" +
			`{"email":"b@example.com","display_name":"B","preferable_activities":` + deepArray(32, `"Running"`) + "}\n"
		bad := bulkRowError{Row: 2, Error: "the line nests objects and arrays more than 32 levels deep"}
		before := e.state(e.org)
		rejected(t, e.importAs(e.org.APIKey, prefixes[0], "", ndjsonType, strings.NewReader(body), nil),
			"1 of 2 rows is invalid", bad)
		if after := e.state(e.org); after != before {
			t.Fatalf("a refused import changed the data: %s", badChange(before, after))
		}
		imported(t, e.importAs(e.org.APIKey, prefixes[0], "mode=skip", ndjsonType, strings.NewReader(body), nil), 1, 1, bad)
	})
}

// repeated reads b over and over, without end.
type repeated byte

func (b repeated) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// A CSV row is capped as an NDJSON line is, while it is read: a 99 MiB cell
// is refused after about 1 MiB, however much follows, and nothing is
// imported. The body is made as it is sent, and the server counts what its
// handler read of it.
func TestImportCSVRowLength(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		var consumed atomic.Int64
		h := api.New(e.st, e.cfg).Handler()
		counted := *e
		counted.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Body = countingBody{r.Body, &consumed}
			h.ServeHTTP(w, r)
		}))
		t.Cleanup(counted.srv.Close)

		before := e.state(e.org)
		body := io.MultiReader(strings.NewReader("email,display_name\nbig@example.com,"),
			io.LimitReader(repeated('x'), 99<<20), strings.NewReader("\n"))
		r := counted.importAs(e.org.APIKey, prefixes[0], "", csvType, body, nil)
		badWant(t, r, 413, "row 1 is longer than 1048576 bytes")
		if n := consumed.Load(); n > 1<<20+64<<10 {
			t.Errorf("the server read %.1f MiB of the body before refusing it", mib(uint64(n)))
		}
		if after := e.state(e.org); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}

		header := strings.Repeat("email,", 200_000) + "display_name\n"
		badWant(t, e.importAs(e.org.APIKey, prefixes[0], "", csvType, strings.NewReader(header), nil),
			413, "the CSV header row is longer than 1048576 bytes")

		// The cap is on each row, not on the body: rows just under it,
		// one after the other, are read (and refused for their content).
		long := strings.Repeat("y", 1<<20-100)
		rows := "email,display_name\n" + "l1@example.com," + long + "\n" + "l2@example.com," + long + "\n"
		r = e.importAs(e.org.APIKey, prefixes[0], "", csvType, strings.NewReader(rows), nil)
		var a bulkAnswer
		r.decode(t, &a)
		if r.Status != 400 || a.ErrorCount != 2 || a.Errors[0].Field != "display_name" || a.Errors[1].Row != 2 {
			t.Errorf("two long rows: status %d, %+v", r.Status, a)
		}
		if after := e.state(e.org); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}
	})
}

// countingBody adds what is read through it to n.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c countingBody) Read(p []byte) (int, error) {
	k, err := c.ReadCloser.Read(p)
	c.n.Add(int64(k))
	return k, err
}

// Every answer but a photo carries personal data, or could: none may be
// sniffed or stored by a browser or a cache, whatever its kind.
func TestPrivateAnswerHeaders(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "h@example.com", "display_name": "H"})
		csvBody := "email,display_name\nimp@example.com,Imp\n"
		progress := map[string]string{"Accept": ndjsonType}
		cases := []struct {
			name    string
			r       req
			status  int
			unknown bool // no operation of the OpenAPI document describes it
		}{
			{"client", req{Method: "GET", Path: prefixes[0] + "/" + c.UserUID, Key: e.org.APIKey}, 200, false},
			{"list page", req{Method: "GET", Path: prefixes[1] + "/?page=1&per_page=5", Key: e.org.APIKey}, 200, false},
			{"streamed list", req{Method: "GET", Path: prefixes[0] + "/", Key: e.org.APIKey}, 200, false},
			{"filter page", req{Method: "GET", Path: prefixes[0] + "/filter/?limit=2", Key: e.org.APIKey}, 200, false},
			{"NDJSON export", req{Method: "GET", Path: prefixes[0] + "/export/", Key: e.org.APIKey}, 200, false},
			{"CSV export", req{Method: "GET", Path: prefixes[0] + "/export/?format=csv", Key: e.org.APIKey}, 200, false},
			{"import", req{Method: "POST", Path: prefixes[0] + "/import/", Key: e.org.APIKey, ContentType: csvType,
				Body: []byte(csvBody)}, 201, false},
			{"import progress", req{Method: "POST", Path: prefixes[0] + "/import/", Key: e.org.APIKey, ContentType: csvType,
				Body: []byte(strings.Replace(csvBody, "imp@", "imp2@", 1)), Header: progress}, 201, false},
			{"sessions", req{Method: "GET", Path: analysisSessionsPath(prefixes[0], c.UserUID), Key: e.org.APIKey}, 200, false},
			{"400", req{Method: "GET", Path: prefixes[0] + "/filter/?limit=many", Key: e.org.APIKey}, 400, false},
			{"401", req{Method: "GET", Path: prefixes[0] + "/"}, 401, false},
			{"413", req{Method: "POST", Path: prefixes[0] + "/", Key: e.org.APIKey, ContentType: "application/json",
				Body: []byte(`{"email":"` + badHuge + `"}`)}, 413, false},
			{"404 unknown path", req{Method: "GET", Path: "/no/such/path", Key: e.org.APIKey}, 404, true},
			{"405", req{Method: "PATCH", Path: prefixes[0] + "/", Key: e.org.APIKey}, 405, true},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := badBind(e, t)
				var r response
				if tc.unknown {
					r = sendUnchecked(t, e, tc.r.Method, tc.r.Path)
				} else {
					r = e.do(tc.r)
				}
				expect(t, r, tc.status)
				if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("X-Content-Type-Options %q, want nosniff", got)
				}
				if got := r.Header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("Cache-Control %q, want no-store", got)
				}
			})
		}
	})
}

// sendUnchecked sends a request with no body that the OpenAPI document has
// no operation for, so that e.do would refuse to check its answer.
func sendUnchecked(t *testing.T, e *env, method, path string) response {
	t.Helper()
	hr, err := http.NewRequest(method, e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("API-KEY", e.org.APIKey)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: res.StatusCode, Header: res.Header, Body: body}
}

// photoLink creates a client with a photo, sending host as the request's
// Host, and returns its profile_photo.
func photoLink(t *testing.T, e *env, host string) string {
	t.Helper()
	ct, body := multipartBody(t, map[string]string{"email": "p@example.com", "display_name": "P"}, testPNG(t))
	r := e.do(req{Method: "POST", Path: prefixes[0] + "/", Key: e.org.APIKey, ContentType: ct, Body: body,
		Header: map[string]string{"Host": host}})
	expect(t, r, 201)
	var out struct{ UserData client }
	r.decode(t, &out)
	if out.UserData.ProfilePhoto == nil {
		t.Fatalf("created with a photo but no profile_photo: %s", r.Body)
	}
	return *out.UserData.ProfilePhoto
}

// checkPhoto fetches a photo link's path and query from the test server and
// checks the answer's headers.
func checkPhoto(t *testing.T, e *env, link, resourcePolicy string) {
	t.Helper()
	r := e.do(req{Method: "GET", Path: link})
	expect(t, r, 200)
	want := map[string]string{
		"Content-Type":                 "image/png",
		"X-Content-Type-Options":       "nosniff",
		"Content-Security-Policy":      "default-src 'none'; sandbox",
		"Cross-Origin-Resource-Policy": resourcePolicy,
		"Cache-Control":                "private, max-age=3600",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("photo %s: %q, want %q", k, got, v)
		}
	}
}

// A forged Host never reaches a photo link: without a public URL links
// are relative to the API, and they work.
func TestPhotoLinksIgnoreHost(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		link := photoLink(t, e, "evil.example")
		if !strings.HasPrefix(link, "/photos/"+e.org.UID+"/") || strings.Contains(link, "evil") {
			t.Fatalf("profile_photo %q, want a link relative to the API", link)
		}
		checkPhoto(t, e, link, "same-site")
	})
}

func TestPhotoLinksFromPublicURL(t *testing.T) {
	const public = "https://roster.example/api"
	each(t, func(t *testing.T, e *env) {
		link := photoLink(t, e, "evil.example")
		if !strings.HasPrefix(link, public+"/photos/"+e.org.UID+"/") {
			t.Fatalf("profile_photo %q, want it under %s", link, public)
		}
		checkPhoto(t, e, strings.TrimPrefix(link, public), "cross-origin")
	}, func(c *api.Config) { c.PublicURL, c.CrossSitePhotos = public+"/", true })
}
