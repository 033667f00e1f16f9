package api

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"roster"
)

// A client is written by hand, so its strings and numbers must come out as
// encoding/json writes them without escaping HTML: straight into a body,
// and within another value through encoding/json.
func TestClientJSONEncodesAsEncodingJSON(t *testing.T) {
	strs := []string{"", "Ann", `quote " and \ backslash`, "tab\tnew\nline\rcr\bbs\fff", "\x00\x01\x1f\x7f",
		"<b>&amp;</b>", "Zoë 李 🏃", "line\u2028para\u2029", "bad \xff\xfe utf8", "\xe2\x80", "end \\"}
	for _, s := range strs {
		c := &roster.Client{UID: s, ClientFields: roster.ClientFields{Email: s, Brand: &s}}
		want := append([]byte(`"brand":`), encode(t, s)...)
		for _, got := range [][]byte{toJSON(c, nil, false).appendJSON(nil), encode(t, toJSON(c, nil, false))} {
			if !bytes.Contains(got, want) {
				t.Errorf("%q is written as\n%s\nwant %s", s, got, want)
			}
		}
	}
	for _, x := range []float64{0, 1, 0.96, 174, 8.5, 1000, 1e-6, 1e-7, 1.5e-7, 0.000001234, 123456789, 1e20, 1e21, 1e-300,
		math.SmallestNonzeroFloat64} {
		if got, want := appendJSONFloat(nil, x), encode(t, x); !bytes.Equal(got, want) {
			t.Errorf("%g is written as %s, want %s", x, got, want)
		}
	}
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// A client's JSON has user_uid, every field of the registry in its order,
// then what Roster keeps about the client: null for what is absent.
func TestClientJSONKeys(t *testing.T) {
	at := time.Date(2024, 12, 2, 19, 17, 30, 371e6, time.UTC)
	age, size := int64(30), 8.5
	c := &roster.Client{UID: "u", CreatedBy: "a", CreatedAt: at, UpdatedAt: at, DeactivatedAt: &at,
		ClientFields: roster.ClientFields{Email: "a@example.com", DisplayName: "A", Age: &age, ShoeSize: &size},
		Note:         &roster.Note{UpdatedAt: at}}
	b, err := json.Marshal(toJSON(c, nil, true))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var keys []string
	values := map[string]any{}
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k.(string))
		values[k.(string)] = v
	}
	want := append(append([]string{"user_uid"}, roster.FieldNames(0)...), "profile_photo", "profile_photo_thumbnail", "notes", "last_session",
		"sessions_count", "status", "deactivated_at", "admin_uid", "created_at", "updated_at")
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Errorf("keys %v\nwant %v", keys, want)
	}
	for k, w := range map[string]any{"age": "30", "shoeSize": "8.5", "phone": nil, "height": nil, "profile_photo_thumbnail": nil,
		"preferable_activities": []any{}, "status": "deactivated", "deactivated_at": "2024-12-02T19:17:30.371Z",
		"notes": map[string]any{"text": nil, "updated_at": "2024-12-02T19:17:30.371Z"}, "sessions_count": 0.0} {
		if !reflect.DeepEqual(values[k], w) {
			t.Errorf("%s = %#v, want %#v", k, values[k], w)
		}
	}
}

// BenchmarkClientJSON measures what a read by id spends on the answer's
// body, without the database and HTTP around it that BenchmarkByID adds.
func BenchmarkClientJSON(b *testing.B) {
	at := time.Date(2024, 12, 2, 19, 17, 30, 371e6, time.UTC)
	s := func(v string) *string { return &v }
	f := func(v float64) *float64 { return &v }
	age := int64(30)
	c := &roster.Client{UID: "0TzQ5pVbWcE4nKd8ZqR2", CreatedBy: "0TzPx1LmNoPqRsTuVwXy", CreatedAt: at, UpdatedAt: at,
		LastSession: &at, SessionsCount: 12, ProfilePhoto: "org/c.jpg", ClientFields: roster.ClientFields{
			Email: "user1@example.com", DisplayName: "User 1", Phone: s("8328889011"), Age: &age, Gender: s("female"),
			Height: f(174), Weight: f(70), YCOM: f(0.96), LegLength: f(0.91), ShoeSize: f(6),
			Brand: s("Fabletics"), ShoeModel: s("The Everyday Sneaker II"), PreferableActivities: []string{"Running"}}}
	photoURL := func(key string) string { return "https://roster.example/photos/" + key + "?exp=1&sig=x" }
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		w.Body.Reset()
		j := toJSON(c, photoURL, true)
		writeBody(w, http.StatusOK, func(b []byte) []byte { return j.appendJSON(b) })
	}
}
