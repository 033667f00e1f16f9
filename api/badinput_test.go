package api_test

// Bad input: every request here must fail with the right status and a
// message that names the field or problem, and must leave the stored data
// exactly as it was. Each case runs on every engine and under both the v2
// and the v1 prefix.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"mime/multipart"
	"net/textproto"
	"regexp"
	"strings"
	"testing"

	"roster/photo"
	"roster/store/storetest"
)

// badPrefixes are the two prefixes that serve the same client handlers.
var badPrefixes = []struct{ tag, path string }{
	{"v2", "/client-management/clients"},
	{"v1", "/user-management/users"},
}

const (
	badNotFound   = "user not found or not under this organization"
	badUnknownUID = "AAAAAAAAAAAAAAAAAAAA"
	badNoCT       = "none" // a badCase.ct that sends no Content-Type at all
)

// badHuge is a string that alone fills the 1 MiB JSON and form body limit.
var badHuge = strings.Repeat("x", 1<<20)

// badEach runs fn on every engine and under both prefixes.
func badEach(t *testing.T, fn func(t *testing.T, e *env, tag, prefix string)) {
	each(t, func(t *testing.T, e *env) {
		for _, p := range badPrefixes {
			t.Run(p.tag, func(t *testing.T) { fn(t, badBind(e, t), p.tag, p.path) })
		}
	})
}

// badBind returns a copy of e whose helpers fail t rather than the test
// that made e, so that a failure inside a subtest stays in that subtest.
func badBind(e *env, t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// badCase is one request that must fail and change nothing. Its path, query
// and body, and the text fields of parts, may hold placeholders such as {A}
// that the test replaces.
type badCase struct {
	name   string
	path   string // after the prefix; "/" when empty
	query  string
	ct     string // Content-Type; application/json when empty and there is a body; badNoCT for none
	body   string
	parts  []badPart // a multipart/form-data body instead of body; ct, when set, replaces its Content-Type
	status int
	want   string // a distinctive part of the error message
}

func (c badCase) request(method, prefix, key string, vars *strings.Replacer) req {
	path := c.path
	if path == "" {
		path = "/"
	}
	path = prefix + vars.Replace(path)
	if c.query != "" {
		path += "?" + vars.Replace(c.query)
	}
	r := req{Method: method, Path: path, Key: key, ContentType: c.ct, Body: []byte(vars.Replace(c.body))}
	if c.parts != nil {
		ct, body := badMultipart(vars, c.parts...)
		r.Body = body
		if c.ct == "" {
			r.ContentType = ct
		}
	}
	switch {
	case c.ct == badNoCT:
		r.ContentType = ""
	case r.ContentType == "" && len(r.Body) > 0:
		r.ContentType = "application/json"
	}
	return r
}

// badRun sends each case as the env's organization, each in a subtest, and
// checks that it fails as the case says and that state (when not nil) is
// the same before and after.
func badRun(t *testing.T, e *env, method, prefix string, vars *strings.Replacer, state func(*env) string, cases []badCase) {
	t.Helper()
	badRunRequests(t, e, method, state, cases, func(c badCase) req { return c.request(method, prefix, e.org.APIKey, vars) })
}

// badRunRequests runs each case as the request that build makes of it.
func badRunRequests(t *testing.T, e *env, method string, state func(*env) string, cases []badCase, build func(badCase) req) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := badBind(e, t)
			var before string
			if state != nil {
				before = state(e)
			}
			r := e.do(build(c))
			badWant(t, r, c.status, c.want)
			if state != nil {
				if after := state(e); after != before {
					t.Errorf("a failed %s changed the data: %s", method, badChange(before, after))
				}
			}
		})
	}
}

// badWant checks the status and that the JSON error message contains want.
// It does not stop the test, so that the caller can still check the data.
func badWant(t testing.TB, r response, status int, want string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("status %d, want %d (error containing %q); body %s", r.Status, status, want, r.Body)
		return
	}
	var body struct{ Error string }
	if err := json.Unmarshal(r.Body, &body); err != nil || body.Error == "" {
		t.Errorf("status %d without a JSON error message: %s", r.Status, r.Body)
		return
	}
	if !strings.Contains(body.Error, want) {
		t.Errorf("error %q does not contain %q", body.Error, want)
	}
}

// badChange shows briefly where after first differs from before.
func badChange(before, after string) string {
	i := 0
	for i < len(before) && i < len(after) && before[i] == after[i] {
		i++
	}
	around := func(s string) string {
		lo, hi := max(i-120, 0), min(i+120, len(s))
		return "…" + s[lo:hi] + "…"
	}
	return fmt.Sprintf("at byte %d\nbefore: %s\nafter:  %s", i, around(before), around(after))
}

// badSignature matches the query of a signed photo URL (json.Marshal writes
// its & as \u0026), which changes on the hour.
var badSignature = regexp.MustCompile(`\?exp=[0-9]+(&|\\u0026)sig=[A-Za-z0-9_-]+`)

// badSnap returns the body of GET path as key sees it, photo URLs unsigned
// but with their blob keys, so that a new photo shows as a change.
func badSnap(e *env, key, path string) string {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: path, Key: key})
	expect(e.t, r, 200)
	return badSignature.ReplaceAllString(string(r.Body), "")
}

// badCreated checks a 201 from a create and returns the new client's uid.
func badCreated(t testing.TB, r response) string {
	t.Helper()
	expect(t, r, 201)
	var out struct {
		UserData struct {
			UserUID      string  `json:"user_uid"`
			ProfilePhoto *string `json:"profile_photo"`
		} `json:"userData"`
	}
	r.decode(t, &out)
	if out.UserData.UserUID == "" {
		t.Fatalf("create answered without a user_uid: %s", r.Body)
	}
	return out.UserData.UserUID
}

// badClient creates a client as key from a JSON object and returns its uid.
func badClient(e *env, key, prefix, body string) string {
	e.t.Helper()
	return badCreated(e.t, e.do(req{Method: "POST", Path: prefix + "/", Key: key,
		ContentType: "application/json", Body: []byte(body)}))
}

// badClientWithPhoto creates a client of the env's organization with a PNG
// profile photo and returns its uid.
func badClientWithPhoto(e *env, prefix, email string) string {
	e.t.Helper()
	ct, body := badMultipart(nil, badField("email", email), badField("display_name", "With Photo"),
		badField("age", "30"), badField("preferable_activities", `["Running"]`),
		badFile("profile_photo", "me.png", badPNG(8, 8)))
	uid := badCreated(e.t, e.do(req{Method: "POST", Path: prefix + "/", Key: e.org.APIKey, ContentType: ct, Body: body}))
	var c struct {
		ProfilePhoto *string `json:"profile_photo"`
	}
	e.get(prefix+"/"+uid).decode(e.t, &c)
	if c.ProfilePhoto == nil {
		e.t.Fatalf("client %s was created with a photo but has no profile_photo", uid)
	}
	return uid
}

// badSaveNote saves a note as key, which must succeed.
func badSaveNote(e *env, key, prefix, uid, note string) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"note": note})
	expect(e.t, e.do(req{Method: "POST", Path: prefix + "/save-notes/" + uid, Key: key,
		ContentType: "application/json", Body: b}), 200)
}

// badPart is one part of a multipart body: a file when file is set, else a
// text field whose value may hold placeholders.
type badPart struct {
	name, file string
	data       []byte
}

func badField(name, value string) badPart { return badPart{name: name, data: []byte(value)} }

func badFile(name, file string, data []byte) badPart {
	return badPart{name: name, file: file, data: data}
}

// badMultipart encodes parts as multipart/form-data; vars may be nil.
func badMultipart(vars *strings.Replacer, parts ...badPart) (contentType string, body []byte) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		data := p.data
		if p.file == "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.name))
			if vars != nil {
				data = []byte(vars.Replace(string(data)))
			}
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.file))
			h.Set("Content-Type", "application/octet-stream")
		}
		w, err := mw.CreatePart(h)
		if err == nil {
			_, err = w.Write(data)
		}
		if err != nil {
			panic(err)
		}
	}
	if err := mw.Close(); err != nil {
		panic(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// badNoise returns a w×h image of random pixels, which compresses badly.
func badNoise(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(rand.Uint32())
	}
	return img
}

func badPNG(w, h int) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, badNoise(w, h)); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func badJPEG(w, h int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, badNoise(w, h), nil); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func badGIF() []byte {
	var buf bytes.Buffer
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.Black, color.White})
	if err := gif.Encode(&buf, img, nil); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// badPNGClaiming returns a 1×1 PNG whose header, checksum included, claims
// w×h pixels: a decompression bomb as far as the header tells.
func badPNGClaiming(w, h uint32) []byte {
	b := badPNG(1, 1)
	// 8-byte signature, then the IHDR chunk: length, type, data, CRC.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// badTruncatedPNG returns a PNG whose header is sound but whose pixel data
// is cut short.
func badTruncatedPNG() []byte {
	b := badPNG(64, 64)
	return b[:len(b)/2]
}

// badOversizedPNG returns one byte over the upload limit, starting with a
// PNG signature.
func badOversizedPNG() []byte {
	b := make([]byte, photo.MaxBytes+1)
	copy(b, "\x89PNG\r\n\x1a\n")
	return b
}

// badFieldValues are invalid values of client fields, as raw JSON; create
// and update must both refuse each of them.
var badFieldValues = []struct{ name, field, value, want string }{
	{"email malformed", "email", `"not-an-email"`, "email: must be a valid email address"},
	{"email with two @", "email", `"a@b@c"`, "email: must be a valid email address"},
	{"email with a display name", "email", `"Name <a@b.c>"`, "email: must be a valid email address"},
	{"email a number", "email", `42`, "email: must be a string"},
	{"email empty", "email", `""`, "email: required"},
	{"email null", "email", `null`, "email: required"},
	{"display_name empty", "display_name", `""`, "display_name: required"},
	{"display_name blank", "display_name", `"   "`, "display_name: required"},
	{"display_name null", "display_name", `null`, "display_name: required"},
	{"display_name too long", "display_name", `"` + strings.Repeat("n", 201) + `"`, "display_name: must be at most 200 characters"},
	{"age text", "age", `"abc"`, "age: must be an integer"},
	{"age fraction", "age", `1.5`, "age: must be an integer"},
	{"age negative", "age", `-1`, "age: must be between 0 and 150"},
	{"age over 150", "age", `151`, "age: must be between 0 and 150"},
	{"age boolean", "age", `true`, "age: must be an integer"},
	{"gender other", "gender", `"other"`, "gender: must be male or female"},
	{"gender a number", "gender", `1`, "gender: must be a string"},
	{"height text", "height", `"tall"`, "height: must be a number"},
	{"height negative", "height", `-1`, "height: must be between 0 and 1000"},
	{"height huge", "height", `1e9`, "height: must be between 0 and 1000"},
	{"weight an object", "weight", `{"kg":70}`, "weight: must be a number"},
	{"shoeSize with a decimal comma", "shoeSize", `"7,5"`, "shoeSize: must be a number"},
	{"phone too long", "phone", `"` + strings.Repeat("5", 33) + `"`, "phone: must be at most 32 characters"},
	{"brand with a control character", "brand", `"a\u0007b"`, "brand: must not contain control characters"},
	{"activities unknown", "preferable_activities", `["Swimming"]`, `preferable_activities: unknown activity "Swimming"`},
	{"activities not an array", "preferable_activities", `"Running"`, "preferable_activities: must be a JSON array"},
	{"activities a number", "preferable_activities", `[1]`, "preferable_activities: unknown activity 1"},
	{"unknown field", "nickname", `"Nick"`, "nickname: unknown field"},
	{"profile_photo as JSON", "profile_photo", `"https://example.com/me.png"`, "profile_photo: unknown field"},
}

// badFormValues are invalid field values as form (or query string) pairs.
var badFormValues = []struct{ name, pair, want string }{
	{"age text", "age=abc", "age: must be an integer"},
	{"age over 150", "age=151", "age: must be between 0 and 150"},
	{"gender other", "gender=other", "gender: must be male or female"},
	{"height text", "height=tall", "height: must be a number"},
	{"height a hex float", "height=0x1p4", "height: must be a number"},
	{"shoeSize with a decimal comma", "shoeSize=7%2C5", "shoeSize: must be a number"},
	{"activities not a JSON array", "preferable_activities=Running", "preferable_activities: must be a JSON array"},
	{"activities unknown", "preferable_activities=%5B%22Swimming%22%5D", `preferable_activities: unknown activity "Swimming"`},
	{"unknown field", "nickname=Nick", "nickname: unknown field"},
}

// badJSONObject returns a JSON object of base with field set to the raw
// JSON value, replacing any base value of the same name.
func badJSONObject(base map[string]string, field, value string) string {
	obj := map[string]json.RawMessage{}
	for k, v := range base {
		obj[k] = json.RawMessage(v)
	}
	obj[field] = json.RawMessage(value)
	b, err := json.Marshal(obj)
	if err != nil {
		panic(fmt.Sprintf("%s=%s: %v", field, value, err))
	}
	return string(b)
}

// badBodyCases are malformed bodies that every JSON endpoint refuses the
// same way; base is a valid JSON object for the endpoint.
func badBodyCases(base string) []badCase {
	return []badCase{
		{name: "body not JSON", body: "{", status: 400, want: "request body is not valid JSON"},
		{name: "body a JSON array", body: "[]", status: 400, want: "JSON object"},
		{name: "body JSON null", body: "null", status: 400, want: "request body must be a JSON object"},
		{name: "two JSON objects", body: "{}{}", status: 400, want: "one JSON object only"},
		{name: "JSON object then garbage", body: base + "x", status: 400, want: "one JSON object only"},
		{name: "empty JSON body", ct: "application/json", status: 400, want: "request body is empty"},
		{name: "text/plain", ct: "text/plain", body: base, status: 415, want: `Content-Type "text/plain" is not accepted`},
		{name: "no Content-Type with a body", ct: badNoCT, body: base, status: 415, want: `Content-Type "" is not accepted`},
		{name: "malformed Content-Type", ct: "application/json; charset", body: base, status: 415, want: "is not valid"},
	}
}

func TestBadCreate(t *testing.T) {
	const valid = `{"email":"new-{T}@example.com","display_name":"New"}`
	cases := []badCase{
		{name: "missing email", body: `{"display_name":"New"}`, status: 400, want: "email: required"},
		{name: "missing display_name", body: `{"email":"new-{T}@example.com"}`, status: 400, want: "display_name: required"},
		{name: "no body at all", ct: badNoCT, status: 400, want: "email: required"},
		{name: "duplicate email", body: `{"email":"taken-{T}@example.com","display_name":"Twin"}`,
			status: 400, want: "email: a client with this email already exists"},
		{name: "duplicate email in other letter case", body: `{"email":"TAKEN-{T}@Example.COM","display_name":"Twin"}`,
			status: 400, want: "email: a client with this email already exists"},
		{name: "duplicate email in other non-ASCII letter case", body: `{"email":"ZOË-{T}@EXAMPLE.COM","display_name":"Twin"}`,
			status: 400, want: "email: a client with this email already exists"},
		{name: "duplicate email with spaces", body: `{"email":"  taken-{T}@example.com ","display_name":"Twin"}`,
			status: 400, want: "email: a client with this email already exists"},
		{name: "field given twice in JSON", body: `{"email":"twice1-{T}@example.com","email":"twice2-{T}@example.com","display_name":"Twice"}`,
			status: 400, want: "email: given more than once"},
		{name: "body over 1 MiB", body: `{"email":"huge-{T}@example.com","display_name":"` + badHuge + `"}`,
			status: 413, want: "request body is larger than 1048576 bytes"},
		// encoding/json would store each invalid byte as U+FFFD, unseen.
		{name: "JSON with invalid UTF-8 in the email", body: "{\"email\":\"bad\xff-{T}@example.com\",\"display_name\":\"New\"}",
			status: 400, want: "request body is not valid UTF-8"},
		{name: "JSON with invalid UTF-8 in the name", body: "{\"email\":\"utf-{T}@example.com\",\"display_name\":\"N\xc3\"}",
			status: 400, want: "request body is not valid UTF-8"},
		{name: "form with invalid UTF-8 in the name", ct: "application/x-www-form-urlencoded",
			body: "email=utf-{T}@x.io&display_name=N%FF", status: 400, want: "display_name: must be valid UTF-8"},

		{name: "form field given twice", ct: "application/x-www-form-urlencoded",
			body: "email=a-{T}@x.io&email=b-{T}@x.io&display_name=Twice", status: 400, want: "email: given more than once"},
		{name: "form with a bad escape", ct: "application/x-www-form-urlencoded",
			body: "email=a-{T}@x.io&display_name=%zz", status: 400, want: "form body"},
		{name: "form body over 1 MiB", ct: "application/x-www-form-urlencoded",
			body: "email=huge-{T}@x.io&display_name=" + badHuge, status: 413, want: "request body is larger than"},

		{name: "multipart text file as profile_photo", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "notes.txt", []byte("not an image at all"))},
			status: 400, want: "profile_photo: must be a JPEG or PNG image"},
		{name: "multipart GIF as profile_photo", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "me.gif", badGIF())},
			status: 400, want: "profile_photo: must be a JPEG or PNG image"},
		{name: "multipart profile_photo as a text field", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badField("profile_photo", "me.png")},
			status: 400, want: "profile_photo: must be a file upload"},
		{name: "multipart second file field", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "me.png", badPNG(4, 4)), badFile("other", "other.png", badPNG(4, 4))},
			status: 400, want: "other: unexpected file upload"},
		{name: "multipart two photos", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "a.png", badPNG(4, 4)), badFile("profile_photo", "b.png", badPNG(4, 4))},
			status: 400, want: "profile_photo: given more than once"},
		{name: "multipart valid PNG without email", parts: []badPart{
			badField("display_name", "MP"), badFile("profile_photo", "me.png", badPNG(4, 4))},
			status: 400, want: "email: required"},
		{name: "multipart valid PNG with a bad age", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"), badField("age", "abc"),
			badFile("profile_photo", "me.png", badPNG(4, 4))},
			status: 400, want: "age: must be an integer"},
		{name: "multipart valid PNG with a taken email", parts: []badPart{
			badField("email", "taken-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "me.png", badPNG(4, 4))},
			status: 400, want: "email: a client with this email already exists"},
		{name: "multipart field given twice", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("email", "mp2-{T}@example.com"), badField("display_name", "MP")},
			status: 400, want: "email: given more than once"},
		{name: "multipart text field over 64 KiB", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", strings.Repeat("n", 64<<10+1))},
			status: 413, want: "display_name: larger than 65536 bytes"},
		{name: "multipart PNG over 10 MB", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "big.png", badOversizedPNG())},
			status: 413, want: "profile_photo: larger than 10 MB"},
		{name: "multipart PNG claiming 20000x20000", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "bomb.png", badPNGClaiming(20000, 20000))},
			status: 400, want: "profile_photo: width and height must be at most 10000 pixels"},
		{name: "multipart PNG claiming 7000x7000", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "bomb.png", badPNGClaiming(7000, 7000))},
			status: 400, want: "profile_photo: must be at most 40000000 pixels in total"},
		{name: "multipart empty photo file", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "empty.png", nil)},
			status: 400, want: "profile_photo: must be a JPEG or PNG image"},
		{name: "multipart truncated PNG", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP"),
			badFile("profile_photo", "cut.png", badTruncatedPNG())},
			status: 400, want: "profile_photo: not a valid JPEG or PNG image"},
		{name: "multipart without a boundary", ct: "multipart/form-data", parts: []badPart{
			badField("email", "mp-{T}@example.com"), badField("display_name", "MP")},
			status: 400, want: "multipart body"},
	}
	cases = append(cases, badBodyCases(valid)...)
	for i, f := range badFieldValues {
		cases = append(cases, badCase{name: "JSON " + f.name, status: 400, want: f.want, body: badJSONObject(
			map[string]string{"email": fmt.Sprintf(`"field%d-{T}@example.com"`, i), "display_name": `"New"`}, f.field, f.value)})
	}
	for i, f := range badFormValues {
		cases = append(cases, badCase{name: "form " + f.name, ct: "application/x-www-form-urlencoded", status: 400, want: f.want,
			body: fmt.Sprintf("email=form%d-{T}@example.com&display_name=New&%s", i, f.pair)})
	}

	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		badClient(e, e.org.APIKey, prefix, `{"email":"taken-`+tag+`@example.com","display_name":"Taken"}`)
		badClient(e, e.org.APIKey, prefix, `{"email":"zoë-`+tag+`@example.com","display_name":"Zoë"}`)
		vars := strings.NewReplacer("{T}", tag)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, prefix+"/") + badSnap(e, e.other.APIKey, prefix+"/")
		}
		badRun(t, e, "POST", prefix, vars, state, cases)

		// Controls: the bodies above fail for the reason given, not because
		// their valid parts are not.
		t.Run("control", func(t *testing.T) {
			e := badBind(e, t)
			badCreated(t, e.do(badCase{body: valid}.request("POST", prefix, e.org.APIKey, vars)))
			// The same email in another organization is fine.
			badCreated(t, e.do(badCase{body: `{"email":"taken-{T}@example.com","display_name":"Other"}`}.
				request("POST", prefix, e.other.APIKey, vars)))
			badCreated(t, e.do(badCase{ct: "application/x-www-form-urlencoded",
				body: "email=form-{T}@example.com&display_name=Form&age=30&preferable_activities=%5B%22Running%22%5D"}.
				request("POST", prefix, e.org.APIKey, vars)))
			for _, img := range []badPart{badFile("profile_photo", "me.png", badPNG(16, 16)), badFile("profile_photo", "me.jpg", badJPEG(16, 16))} {
				r := e.do(badCase{parts: []badPart{badField("email", "photo-"+img.file+"-{T}@example.com"),
					badField("display_name", "Photo"), img}}.request("POST", prefix, e.org.APIKey, vars))
				badCreated(t, r)
				if !strings.Contains(string(r.Body), `"profile_photo":"/photos/`) {
					t.Errorf("created with %s but no profile_photo: %s", img.file, r.Body)
				}
			}
		})
	})
}

func TestBadPlanLimit(t *testing.T) {
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		free := storetest.NewOrg(t, e.st, "Free")
		vars := strings.NewReplacer("{T}", tag)
		send := func(c badCase) response { return e.do(c.request("POST", prefix, free.APIKey, vars)) }
		create := func(i int) response {
			return send(badCase{body: fmt.Sprintf(`{"email":"c%d-{T}@example.com","display_name":"Client %d"}`, i, i)})
		}
		count := func() int {
			var list struct{ Users []json.RawMessage }
			e.do(req{Method: "GET", Path: prefix + "/", Key: free.APIKey}).decode(t, &list)
			return len(list.Users)
		}
		var first string
		for i := 1; i < 25; i++ {
			uid := badCreated(t, create(i))
			if i == 1 {
				first = uid
			}
		}
		// Creates that fail, in the handler or in the database, do not use
		// up the plan.
		for _, c := range []badCase{
			{body: `{"email":"bad-{T}@example.com","display_name":"Bad","age":"abc"}`, status: 400, want: "age: must be an integer"},
			{body: `{"email":"C1-{T}@example.com","display_name":"Twin"}`, status: 400, want: "email: a client with this email already exists"},
			{parts: []badPart{badField("email", "bad-{T}@example.com"), badField("display_name", "Bad"),
				badFile("profile_photo", "x.txt", []byte("text"))}, status: 400, want: "JPEG or PNG"},
			{ct: "text/plain", body: "hello", status: 415, want: "text/plain"},
		} {
			badWant(t, send(c), c.status, c.want)
		}
		badCreated(t, create(25))

		badWant(t, create(26), 404, "client limit of 25 reached for the Free plan")
		badWant(t, send(badCase{parts: []badPart{badField("email", "photo-{T}@example.com"), badField("display_name", "Photo"),
			badFile("profile_photo", "me.png", badPNG(8, 8))}}), 404, "limit")
		if n := count(); n != 25 {
			t.Errorf("list has %d clients after the limit was reached, want 25", n)
		}
		var page struct {
			QueryCount int64 `json:"query_count"`
		}
		r := e.do(req{Method: "GET", Path: prefix + "/filter/?limit=1", Key: free.APIKey})
		expect(t, r, 200)
		if r.decode(t, &page); page.QueryCount != 25 {
			t.Errorf("query_count %d, want 25", page.QueryCount)
		}

		// Deleting one client frees one place, not more.
		expect(t, e.do(req{Method: "DELETE", Path: prefix + "/", Key: free.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + first + `"}`)}), 200)
		badCreated(t, create(27))
		badWant(t, create(28), 404, "limit")
		if n := count(); n != 25 {
			t.Errorf("list has %d clients, want 25", n)
		}
		// The organization's own plan limit does not touch another's.
		badCreated(t, e.do(badCase{body: `{"email":"c26-{T}@example.com","display_name":"Pro"}`}.request("POST", prefix, e.org.APIKey, vars)))
	})
}

func TestBadUpdate(t *testing.T) {
	const same = "email: a client with this email already exists"
	cases := []badCase{
		{name: "no user_uid", body: `{"display_name":"X"}`, status: 400, want: "user_uid: required"},
		{name: "user_uid empty", body: `{"user_uid":"","display_name":"X"}`, status: 400, want: "user_uid: required"},
		{name: "user_uid a number", body: `{"user_uid":7,"display_name":"X"}`, status: 400, want: "user_uid: must be a string"},
		{name: "other organization's client", body: `{"user_uid":"{O}","display_name":"Hijacked"}`, status: 404, want: badNotFound},
		{name: "other organization's client in the query", query: "user_uid={O}&display_name=Hijacked", status: 404, want: badNotFound},
		{name: "unknown user_uid", body: `{"user_uid":"` + badUnknownUID + `","display_name":"X"}`, status: 404, want: badNotFound},
		{name: "user_uid with invalid characters", body: `{"user_uid":"../x","display_name":"X"}`, status: 404, want: badNotFound},
		{name: "user_uid with invalid characters in the query", query: "user_uid=..%2Fx&display_name=X", status: 404, want: badNotFound},
		{name: "nothing to update", body: `{"user_uid":"{A}"}`, status: 400, want: "nothing to update"},
		{name: "nothing to update in the query", query: "user_uid={A}", status: 400, want: "nothing to update"},
		{name: "malformed pair in the query", query: "user_uid={A}&brand=A%zz", status: 400, want: "query string: invalid URL escape"},
		{name: "email of another client", body: `{"user_uid":"{A}","email":"b-{T}@example.com"}`, status: 400, want: same},
		{name: "email of another client in other letter case", body: `{"user_uid":"{A}","email":"B-{T}@EXAMPLE.com"}`, status: 400, want: same},
		{name: "email of another client in the query", query: "user_uid={A}&email=b-{T}@example.com", status: 400, want: same},
		{name: "field in the query and in the body", query: "user_uid={A}&display_name=X", body: `{"display_name":"Y"}`,
			status: 400, want: "display_name: given more than once"},
		{name: "user_uid in the query and in the body", query: "user_uid={A}", body: `{"user_uid":"{B}","display_name":"Y"}`,
			status: 400, want: "user_uid: given more than once"},
		{name: "field twice in the query", query: "user_uid={A}&age=1&age=2", status: 400, want: "age: given more than once"},
		{name: "field given twice in JSON", body: `{"user_uid":"{A}","display_name":"X","display_name":"Y"}`,
			status: 400, want: "display_name: given more than once"},
		{name: "body over 1 MiB", body: `{"user_uid":"{A}","display_name":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},

		{name: "multipart text file as profile_photo", query: "user_uid={A}",
			parts:  []badPart{badFile("profile_photo", "notes.txt", []byte("not an image"))},
			status: 400, want: "profile_photo: must be a JPEG or PNG image"},
		{name: "multipart text file as profile_photo, uid in a field",
			parts:  []badPart{badField("user_uid", "{A}"), badFile("profile_photo", "notes.txt", []byte("not an image"))},
			status: 400, want: "profile_photo: must be a JPEG or PNG image"},
		{name: "multipart profile_photo as a text field",
			parts:  []badPart{badField("user_uid", "{A}"), badField("profile_photo", "me.png")},
			status: 400, want: "profile_photo: must be a file upload"},
		{name: "multipart PNG over 10 MB",
			parts:  []badPart{badField("user_uid", "{A}"), badFile("profile_photo", "big.png", badOversizedPNG())},
			status: 413, want: "profile_photo: larger than 10 MB"},
		{name: "multipart PNG claiming 20000x20000",
			parts:  []badPart{badField("user_uid", "{A}"), badFile("profile_photo", "bomb.png", badPNGClaiming(20000, 20000))},
			status: 400, want: "width and height must be at most 10000 pixels"},
		{name: "multipart valid PNG for another organization's client",
			parts:  []badPart{badField("user_uid", "{O}"), badFile("profile_photo", "me.png", badPNG(4, 4))},
			status: 404, want: badNotFound},
		{name: "multipart valid PNG for an unknown client",
			parts:  []badPart{badField("user_uid", badUnknownUID), badFile("profile_photo", "me.png", badPNG(4, 4))},
			status: 404, want: badNotFound},
		{name: "multipart valid PNG with a bad age",
			parts:  []badPart{badField("user_uid", "{A}"), badField("age", "abc"), badFile("profile_photo", "me.png", badPNG(4, 4))},
			status: 400, want: "age: must be an integer"},
		{name: "multipart valid PNG with a taken email",
			parts:  []badPart{badField("user_uid", "{A}"), badField("email", "b-{T}@example.com"), badFile("profile_photo", "me.png", badPNG(4, 4))},
			status: 400, want: same},
	}
	cases = append(cases, badBodyCases(`{"user_uid":"{A}","display_name":"X"}`)...)
	for i := range cases {
		// Without a body, the v2 PUT reads the query alone and may succeed.
		if cases[i].name == "empty JSON body" {
			cases[i].query = "user_uid={A}&display_name=X"
		}
	}
	for _, f := range badFieldValues {
		cases = append(cases, badCase{name: "JSON " + f.name, status: 400, want: f.want,
			body: badJSONObject(map[string]string{"user_uid": `"{A}"`}, f.field, f.value)})
	}
	for _, f := range badFormValues {
		cases = append(cases,
			badCase{name: "query " + f.name, query: "user_uid={A}&" + f.pair, status: 400, want: f.want},
			badCase{name: "form " + f.name, ct: "application/x-www-form-urlencoded", body: "user_uid={A}&" + f.pair, status: 400, want: f.want})
	}

	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClientWithPhoto(e, prefix, "a-"+tag+"@example.com")
		badSaveNote(e, e.org.APIKey, prefix, a, "A's note")
		b := badClient(e, e.org.APIKey, prefix, `{"email":"b-`+tag+`@example.com","display_name":"B","gender":"male"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O","age":40}`)
		vars := strings.NewReplacer("{T}", tag, "{A}", a, "{B}", b, "{O}", o)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, prefix+"/") + badSnap(e, e.org.APIKey, prefix+"/"+a) +
				badSnap(e, e.org.APIKey, prefix+"/"+b) + badSnap(e, e.other.APIKey, prefix+"/"+o)
		}
		badRun(t, e, "PUT", prefix, vars, state, cases)

		t.Run("control", func(t *testing.T) {
			e := badBind(e, t)
			before := badSnap(e, e.org.APIKey, prefix+"/"+a)
			expect(t, e.do(badCase{body: `{"user_uid":"{A}","display_name":"A2"}`}.request("PUT", prefix, e.org.APIKey, vars)), 200)
			expect(t, e.do(badCase{query: "user_uid={A}&age=31"}.request("PUT", prefix, e.org.APIKey, vars)), 200)
			expect(t, e.do(badCase{parts: []badPart{badField("user_uid", "{A}"), badFile("profile_photo", "new.png", badPNG(4, 4))}}.
				request("PUT", prefix, e.org.APIKey, vars)), 200)
			after := badSnap(e, e.org.APIKey, prefix+"/"+a)
			for _, want := range []string{`"display_name":"A2"`, `"age":"31"`} {
				if !strings.Contains(after, want) {
					t.Errorf("after the updates, details lack %s: %s", want, after)
				}
			}
			photoOf := func(s string) string { return regexp.MustCompile(`"profile_photo":"[^"]*"`).FindString(s) }
			if photoOf(before) == photoOf(after) || photoOf(after) == "" {
				t.Errorf("profile_photo not replaced: before %s, after %s", photoOf(before), photoOf(after))
			}
		})
	})
}

func TestBadDelete(t *testing.T) {
	cases := []badCase{
		{name: "no body", ct: badNoCT, status: 400, want: "user_uid: required"},
		{name: "body without user_uid", body: `{}`, status: 400, want: "user_uid: required"},
		{name: "user_uid empty", body: `{"user_uid":""}`, status: 400, want: "user_uid: required"},
		{name: "user_uid null", body: `{"user_uid":null}`, status: 400, want: "user_uid: required"},
		{name: "user_uid a number", body: `{"user_uid":5}`, status: 400, want: "user_uid: must be a string"},
		{name: "user_uid an array", body: `{"user_uid":["{A}"]}`, status: 400, want: "user_uid: must be a string"},
		{name: "extra field", body: `{"user_uid":"{A}","force":true}`, status: 400, want: "force: unknown field; only user_uid is accepted"},
		{name: "other organization's client", body: `{"user_uid":"{O}"}`, status: 404, want: badNotFound},
		{name: "unknown user_uid", body: `{"user_uid":"` + badUnknownUID + `"}`, status: 404, want: badNotFound},
		{name: "user_uid with invalid characters", body: `{"user_uid":"../x"}`, status: 404, want: badNotFound},
		{name: "user_uid given twice in JSON", body: `{"user_uid":"{A}","user_uid":"{B}"}`, status: 400, want: "user_uid: given more than once"},
		{name: "form extra field", ct: "application/x-www-form-urlencoded", body: "user_uid={A}&force=1",
			status: 400, want: "force: unknown field"},
		{name: "form user_uid twice", ct: "application/x-www-form-urlencoded", body: "user_uid={A}&user_uid={B}",
			status: 400, want: "user_uid: given more than once"},
		{name: "multipart", parts: []badPart{badField("user_uid", "{A}")}, status: 415, want: "is not accepted"},
		{name: "body over 1 MiB", body: `{"user_uid":"{A}","pad":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	cases = append(cases, badBodyCases(`{"user_uid":"{A}"}`)...)

	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClientWithPhoto(e, prefix, "a-"+tag+"@example.com")
		b := badClient(e, e.org.APIKey, prefix, `{"email":"b-`+tag+`@example.com","display_name":"B"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O"}`)
		vars := strings.NewReplacer("{T}", tag, "{A}", a, "{B}", b, "{O}", o)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, prefix+"/") + badSnap(e, e.other.APIKey, prefix+"/") +
				badSnap(e, e.other.APIKey, prefix+"/"+o)
		}
		badRun(t, e, "DELETE", prefix, vars, state, cases)

		t.Run("control", func(t *testing.T) {
			e := badBind(e, t)
			c := badClient(e, e.org.APIKey, prefix, `{"email":"c-`+tag+`@example.com","display_name":"C"}`)
			expect(t, e.do(badCase{body: `{"user_uid":"` + c + `"}`}.request("DELETE", prefix, e.org.APIKey, vars)), 200)
			badWant(t, e.get(prefix+"/"+c), 404, badNotFound)
			expect(t, e.do(req{Method: "GET", Path: prefix + "/" + o, Key: e.other.APIKey}), 200)
		})
	})
}

func TestBadDetails(t *testing.T) {
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O"}`)
		expect(t, e.get(prefix+"/"+a), 200)
		expect(t, e.do(req{Method: "GET", Path: prefix + "/" + o, Key: e.other.APIKey}), 200)
		if list := badSnap(e, e.org.APIKey, prefix+"/"); strings.Contains(list, o) {
			t.Errorf("the list shows another organization's client %s: %s", o, list)
		}

		unknown := e.get(prefix + "/" + badUnknownUID)
		badWant(t, unknown, 404, badNotFound)
		for _, c := range []struct{ name, uid string }{
			{"other organization's client", o},
			{"own uid in other letter case", badSwapCase(a)},
			{"with a dot", "a.b"},
			{"with a tilde", "a~b"},
			{"65 characters", strings.Repeat("A", 65)},
			{"encoded space", "a%20b"},
		} {
			t.Run(c.name, func(t *testing.T) {
				e := badBind(e, t)
				r := e.get(prefix + "/" + c.uid)
				badWant(t, r, 404, badNotFound)
				// Tenancy: another organization's client must be
				// indistinguishable from one that does not exist.
				if !bytes.Equal(r.Body, unknown.Body) {
					t.Errorf("body %s differs from an unknown uid's %s", r.Body, unknown.Body)
				}
			})
		}
	})
}

// badSwapCase swaps the letter case of every ASCII letter of s.
func badSwapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		case 'A' <= r && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

func TestBadNotes(t *testing.T) {
	cases := []badCase{
		{name: "note a number", body: `{"note":5}`, status: 400, want: "note: must be a string"},
		{name: "note an array", body: `{"note":["a"]}`, status: 400, want: "note: must be a string"},
		{name: "note over 100000 bytes", body: `{"note":"` + strings.Repeat("n", 100_001) + `"}`,
			status: 413, want: "note: must be at most 100000 bytes"},
		{name: "note over 100000 bytes in 50001 characters", body: `{"note":"` + strings.Repeat("é", 50_001) + `"}`,
			status: 413, want: "note: must be at most 100000 bytes"},
		{name: "unknown field", body: `{"note":"x","text":"y"}`, status: 400, want: "text: unknown field; only note is accepted"},
		{name: "note given twice in JSON", body: `{"note":"x","note":"y"}`, status: 400, want: "note: given more than once"},
		{name: "other organization's client", path: "/save-notes/{O}", body: `{"note":"hijacked"}`, status: 404, want: badNotFound},
		{name: "unknown uid", path: "/save-notes/" + badUnknownUID, body: `{"note":"x"}`, status: 404, want: badNotFound},
		{name: "malformed uid", path: "/save-notes/a.b", body: `{"note":"x"}`, status: 404, want: badNotFound},
		{name: "form note twice", ct: "application/x-www-form-urlencoded", body: "note=a&note=b", status: 400, want: "note: given more than once"},
		{name: "form note not UTF-8", ct: "application/x-www-form-urlencoded", body: "note=%FF", status: 400, want: "note: must be valid UTF-8"},
		{name: "multipart", parts: []badPart{badField("note", "x")}, status: 415, want: "is not accepted"},
		{name: "note in the query string and the body", query: "note=hello", body: `{"note":"x"}`, status: 400, want: "note: given more than once"},
		{name: "body over 1 MiB", body: `{"note":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	cases = append(cases, badBodyCases(`{"note":"x"}`)...)
	for i := range cases {
		if cases[i].path == "" {
			cases[i].path = "/save-notes/{A}"
		}
	}

	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O"}`)
		badSaveNote(e, e.org.APIKey, prefix, a, "original note")
		badSaveNote(e, e.other.APIKey, prefix, o, "their note")
		vars := strings.NewReplacer("{T}", tag, "{A}", a, "{O}", o)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, prefix+"/"+a) + badSnap(e, e.other.APIKey, prefix+"/"+o)
		}
		if s := state(e); !strings.Contains(s, "original note") || !strings.Contains(s, "their note") {
			t.Fatalf("notes not saved: %s", s)
		}
		badRun(t, e, "POST", prefix, vars, state, cases)

		t.Run("control", func(t *testing.T) {
			e := badBind(e, t)
			note := strings.Repeat("é", 50_000) // exactly 100000 bytes
			badSaveNote(e, e.org.APIKey, prefix, a, note)
			if !strings.Contains(badSnap(e, e.org.APIKey, prefix+"/"+a), note) {
				t.Error("a note of exactly 100000 bytes was not saved")
			}
		})
	})
}

func TestBadFilter(t *testing.T) {
	cases := []badCase{
		{name: "limit 0", query: "limit=0", want: "limit: must be an integer from 1 to 100"},
		{name: "limit 101", query: "limit=101", want: "limit: must be an integer from 1 to 100"},
		{name: "limit x", query: "limit=x", want: "limit: must be an integer from 1 to 100"},
		{name: "limit negative", query: "limit=-1", want: "limit: must be an integer from 1 to 100"},
		{name: "limit fraction", query: "limit=1.5", want: "limit: must be an integer from 1 to 100"},
		{name: "limit twice", query: "limit=5&limit=6", want: "limit: given more than once"},
		{name: "unknown parameter", query: "sort=name", want: "sort: unknown query parameter"},
		{name: "both cursors", query: "start_after_id={A}&end_before_id={A}", want: "start_after_id and end_before_id: give one, not both"},
		{name: "start_date month 13", query: "start_date=2025-13-01", want: "start_date: must be a date in YYYY-MM-DD form"},
		{name: "start_date yesterday", query: "start_date=yesterday", want: "start_date: must be a date in YYYY-MM-DD form"},
		{name: "end_date February 30", query: "end_date=2025-02-30", want: "end_date: must be a date in YYYY-MM-DD form"},
		{name: "end_date with a time", query: "end_date=2025-02-01T00:00:00Z", want: "end_date: must be a date in YYYY-MM-DD form"},
		{name: "start_date after end_date", query: "start_date=2025-03-02&end_date=2025-03-01", want: "start_date: must not be after end_date"},
		{name: "gender x", query: "gender=x", want: "gender: must be male or female"},
		{name: "malformed query string", query: "gender=female%", want: "query string: invalid URL escape"},
		{name: "end_date in year 9999", query: "end_date=9999-12-31", want: "end_date: must be between 1900-01-01 and 9998-12-31"},
		{name: "start_date in year 1", query: "start_date=0001-01-01", want: "start_date: must be between 1900-01-01 and 9998-12-31"},
		{name: "activity Swimming", query: "activity=Swimming", want: `activity: unknown activity "Swimming"`},
		{name: "preferable_activities nope", query: "preferable_activities=nope", want: "preferable_activities: must be a JSON array"},
		{name: "preferable_activities unknown", query: "preferable_activities=%5B%22Swimming%22%5D", want: `preferable_activities: unknown activity "Swimming"`},
		{name: "activity and preferable_activities", query: "activity=Running&preferable_activities=%5B%22Running%22%5D",
			want: "activity and preferable_activities: give one, not both"},
		{name: "start_after_id with invalid characters", query: "start_after_id=..%2Fx", want: "start_after_id: not a valid uid"},
		{name: "end_before_id with invalid characters", query: "end_before_id=a.b", want: "end_before_id: not a valid uid"},
		{name: "admin_uid with invalid characters", query: "admin_uid=a%20b", want: "admin_uid: not a valid uid"},
	}
	for i := range cases {
		cases[i].path, cases[i].status = "/filter/", 400
	}

	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A","gender":"male"}`)
		o := badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O","gender":"male"}`)
		vars := strings.NewReplacer("{A}", a)
		badRun(t, e, "GET", prefix, vars, nil, cases)

		t.Run("control", func(t *testing.T) {
			e := badBind(e, t)
			var list, page struct {
				QueryCount int64 `json:"query_count"`
				Users      []struct {
					UserUID string `json:"user_uid"`
				}
			}
			e.get(prefix+"/").decode(t, &list)
			r := e.get(prefix + "/filter/?gender=male&limit=100")
			expect(t, r, 200)
			r.decode(t, &page)
			// Every client of the organization is male; the other's must not count.
			if page.QueryCount != int64(len(list.Users)) || len(page.Users) != len(list.Users) {
				t.Errorf("query_count %d with %d users, want %d", page.QueryCount, len(page.Users), len(list.Users))
			}
			if strings.Contains(string(r.Body), o) {
				t.Errorf("the filter shows another organization's client %s", o)
			}
			// Another organization's staff uid selects nothing here.
			badWant(t, e.get(prefix+"/filter/?admin_uid="+e.other.OwnerUID), 404, "no users found")
		})
	})
}

func TestBadAuth(t *testing.T) {
	routes := []struct{ name, method, path, body string }{
		{"list", "GET", "/", ""},
		{"create", "POST", "/", `{"email":"intruder-{T}@example.com","display_name":"Intruder"}`},
		{"update", "PUT", "/", `{"user_uid":"{A}","display_name":"Intruder"}`},
		{"delete", "DELETE", "/", `{"user_uid":"{A}"}`},
		{"filter", "GET", "/filter/", ""},
		{"details", "GET", "/{A}", ""},
		{"save-notes", "POST", "/save-notes/{A}", `{"note":"intruder"}`},
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		a := badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A"}`)
		badSaveNote(e, e.org.APIKey, prefix, a, "original note")
		vars := strings.NewReplacer("{T}", tag, "{A}", a)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, prefix+"/") + badSnap(e, e.org.APIKey, prefix+"/"+a)
		}

		key := e.org.APIKey
		change := func(c byte) byte {
			if c == 'A' {
				return 'B'
			}
			return 'A'
		}
		unknownSecret := key[:len(key)-1] + string(change(key[len(key)-1]))
		const idAt = len("rst_")
		unknownID := key[:idAt] + string(change(key[idAt])) + key[idAt+1:]
		creds := []struct {
			name   string
			header map[string]string
			want   string
		}{
			{"no credentials", nil, "missing credentials"},
			{"empty API-KEY", map[string]string{"API-KEY": "  "}, "missing credentials"},
			{"garbage API-KEY", map[string]string{"API-KEY": "rst_garbage"}, "invalid API key"},
			{"unknown secret", map[string]string{"API-KEY": unknownSecret}, "invalid API key"},
			{"unknown key id", map[string]string{"API-KEY": unknownID}, "invalid API key"},
			{"key without prefix", map[string]string{"API-KEY": strings.TrimPrefix(key, "rst_")}, "invalid API key"},
			{"bearer token", map[string]string{"Authorization": "Bearer x"}, "invalid or expired bearer token"},
			{"Authorization API-KEY garbage", map[string]string{"Authorization": "API-KEY rst_garbage"}, "invalid API key"},
			{"Authorization bare garbage", map[string]string{"Authorization": "garbage"}, "invalid API key"},
			{"Authorization unknown secret", map[string]string{"Authorization": "API-KEY " + unknownSecret}, "invalid API key"},
		}
		for _, c := range creds {
			for _, rt := range routes {
				t.Run(c.name+"/"+rt.name, func(t *testing.T) {
					e := badBind(e, t)
					before := state(e)
					r := badCase{path: rt.path, body: rt.body}.request(rt.method, prefix, "", vars)
					r.Header = c.header
					res := e.do(r)
					badWant(t, res, 401, c.want)
					if res.Header.Get("WWW-Authenticate") == "" {
						t.Error("401 without WWW-Authenticate")
					}
					if after := state(e); after != before {
						t.Errorf("an unauthenticated %s changed the data: %s", rt.method, badChange(before, after))
					}
				})
			}
		}
	})
}
