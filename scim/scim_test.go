package scim

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"roster"
)

func TestParseFilter(t *testing.T) {
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		filter string
		want   Cond
	}{
		{`userName eq "a@example.com"`, Cond{Attr: AttrUserName, Op: OpEq, Value: "a@example.com"}},
		{`UserName EQ "a"`, Cond{Attr: AttrUserName, Op: OpEq, Value: "a"}},
		{`urn:ietf:params:scim:schemas:core:2.0:User:displayName co "x"`, Cond{Attr: AttrDisplayName, Op: OpCo, Value: "x"}},
		{`name.formatted sw "x"`, Cond{Attr: AttrDisplayName, Op: OpSw, Value: "x"}},
		{`externalId pr`, Cond{Attr: AttrExternalID, Op: OpPr}},
		{`active eq false`, Cond{Attr: AttrActive, Op: OpEq, Value: false}},
		{`meta.lastModified ge "2026-12-06T10:00:00Z"`, Cond{Attr: AttrLastModified, Op: OpGe, Value: at}},
		{`userName sw "a" and not (active eq true)`, Cond{Logic: And, Parts: []Cond{
			{Attr: AttrUserName, Op: OpSw, Value: "a"},
			{Logic: Not, Parts: []Cond{{Attr: AttrActive, Op: OpEq, Value: true}}}}}},
		{`userName sw "a" or externalId eq "b"`, Cond{Logic: Or, Parts: []Cond{
			{Attr: AttrUserName, Op: OpSw, Value: "a"}, {Attr: AttrExternalID, Op: OpEq, Value: "b"}}}},
		{`active eq true and (userName sw "a" or userName sw "b" or userName sw "c")`, Cond{Logic: And, Parts: []Cond{
			{Attr: AttrActive, Op: OpEq, Value: true}, {Logic: Or, Parts: []Cond{{Attr: AttrUserName, Op: OpSw, Value: "a"},
				{Attr: AttrUserName, Op: OpSw, Value: "b"}, {Attr: AttrUserName, Op: OpSw, Value: "c"}}}}}},
	}
	for _, tt := range tests {
		got, err := ParseFilter(tt.filter)
		if err != nil || !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%s: %+v, %v; want %+v", tt.filter, got, err, tt.want)
		}
	}
	for _, bad := range []string{strings.Repeat("(", maxFilter+1), ``, `userName`, `userName eq`, `userName eq "a" and`, `title eq "a"`,
		`active co "t"`, `active eq 1`, `meta.created gt "today"`, `userName gt "a"`, `emails[type eq "work"]`, `displayName eq 3`,
		strings.Repeat("not (", maxDepth+1) + `active pr` + strings.Repeat(")", maxDepth+1),
		strings.Repeat(`active pr and `, maxComparisons) + `active pr`, "externalId eq \"\xff\""} {
		if _, err := ParseFilter(bad); TypeOf(err) != TypeInvalidFilter || roster.KindOf(err) != roster.KindInvalid {
			t.Errorf("%q: %v, want an invalidFilter error", bad, err)
		}
	}
}

func TestParseSort(t *testing.T) {
	if s, err := ParseSort("meta.lastModified", "Descending"); err != nil || s != (Sort{AttrLastModified, true}) {
		t.Errorf("%+v, %v", s, err)
	}
	for _, bad := range [][2]string{{"title", ""}, {"active", ""}, {"userName", "up"}} {
		if _, err := ParseSort(bad[0], bad[1]); TypeOf(err) != TypeInvalidValue {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// fixture is a client with every mapped field set.
func fixture() roster.Client {
	s := func(v string) *string { return &v }
	n := func(v float64) *float64 { return &v }
	age := int64(30)
	at := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	return roster.Client{UID: "u1", ClientFields: roster.ClientFields{Email: "ann@example.com", DisplayName: "Ann",
		Phone: s("+41 1"), Age: &age, Gender: s("female"), Height: n(170), ShoeSize: n(40.5), ExternalID: s("hr-1"),
		PreferableActivities: []string{"Running"}}, CreatedAt: at, UpdatedAt: at}
}

func decode(t *testing.T, text string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestUserRoundTrip(t *testing.T) {
	c := fixture()
	u := NewUser(&c, "/scim/v2/Users/u1")
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	res, err := ParseUser(decode(t, string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Fields, c.ClientFields) || !res.Active || u.Meta.Version != `W/"1796551200000000000"` {
		t.Errorf("round trip: %+v from %s", res, b)
	}
	if v, ok := ParseVersion(u.Meta.Version); !ok || !v.Equal(c.UpdatedAt) {
		t.Errorf("version %s → %v %v", u.Meta.Version, v, ok)
	}
	if res.Update(&c.ClientFields).Set != 0 {
		t.Errorf("an unchanged User changes %v", res.Update(&c.ClientFields).Changed())
	}
}

func TestParseUserRefuses(t *testing.T) {
	tests := []struct{ body, scimType, detail string }{
		{`{"userName":"a@example.com","displayName":"A","shoeColour":"red"}`, TypeInvalidSyntax, "shoeColour: unknown attribute"},
		{`{"userName":"a@example.com","name":{"formatted":"A","nickName":"a"}}`, TypeInvalidSyntax, "name.nickName: unknown attribute"},
		{`{"userName":"a@example.com","displayName":"A","` + EnterpriseSchema + `":{"department":"x"}}`, TypeInvalidSyntax,
			EnterpriseSchema + ": not declared in schemas"},
		{`{"schemas":["` + UserSchema + `","` + EnterpriseSchema + `"],"userName":"a@example.com","displayName":"A","` + EnterpriseSchema + `":{"shoeSize":1}}`,
			TypeInvalidSyntax, EnterpriseSchema + ":shoeSize: unknown attribute"},
		{`{"schemas":["` + UserSchema + `","urn:example:User"],"userName":"a@example.com","displayName":"A","urn:example:User":{"a":1}}`,
			TypeInvalidSyntax, "urn:example:User: unknown attribute"},
		{`{"userName":"a@example.com","name":{"givenName":7}}`, TypeInvalidValue, "name.givenName: must be a string"},
		{`{"userName":"a@example.com"}`, TypeInvalidValue, "displayName: required"},
		{`{"displayName":"A"}`, TypeInvalidValue, "userName: required"},
		{`{"userName":"not an email","displayName":"A"}`, TypeInvalidValue, "userName: "},
		{`{"userName":"a@example.com","displayName":"A","active":"maybe"}`, TypeInvalidValue, "active: must be true or false"},
		{`{"userName":"a@example.com","displayName":"A","phoneNumbers":"+41"}`, TypeInvalidValue, "phoneNumbers: must be an array"},
		{`{"userName":"a@example.com","displayName":"A","urn:roster:params:scim:schemas:extension:athlete:2.0:User":{"age":"old"}}`,
			TypeInvalidValue, AthleteSchema + ":age: must be an integer"},
		{`{"userName":"a@example.com","displayName":"A","urn:roster:params:scim:schemas:extension:athlete:2.0:User":{"sessions_limit":3}}`,
			TypeInvalidSyntax, "sessions_limit: unknown attribute"},
	}
	for _, tt := range tests {
		_, err := ParseUser(decode(t, tt.body))
		if TypeOf(err) != tt.scimType || err == nil || !strings.Contains(err.Error(), tt.detail) {
			t.Errorf("%s: %v (%s), want %s %q", tt.body, err, TypeOf(err), tt.scimType, tt.detail)
		}
	}
	// Names are matched case aside; the name's parts make a display name.
	res, err := ParseUser(decode(t, `{"USERNAME":"a@example.com","name":{"givenName":"Ann","familyName":"Lee"},"Active":false}`))
	if err != nil || res.Fields.DisplayName != "Ann Lee" || res.Active {
		t.Errorf("%+v, %v", res, err)
	}
}

// TestParseUserIgnores: the core schema's and the enterprise extension's
// attributes that Roster does not store are accepted, whatever their
// values, and change nothing.
func TestParseUserIgnores(t *testing.T) {
	want, err := ParseUser(decode(t, `{"userName":"a@example.com","displayName":"A"}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, extra := range []string{`"title":"Coach"`, `"NICKNAME":"a"`, `"preferredLanguage":"de-CH"`, `"locale":"de-CH"`,
		`"timezone":"Europe/Zurich"`, `"userType":"Employee"`, `"profileUrl":7`, `"password":"x"`, `"groups":[]`,
		`"addresses":[{"type":"work","locality":"Bern","country":"CH"}]`, `"roles":"odd"`, `"x509Certificates":[]`,
		`"name":{"middleName":"B","honorificPrefix":"Dr."}`, `"meta":{"resourceType":"User"}`,
		`"schemas":["` + UserSchema + `","` + EnterpriseSchema + `"],"` + EnterpriseSchema + `":{"department":"R&D","manager":"m-1","employeeNumber":"7"}`,
	} {
		got, err := ParseUser(decode(t, `{"userName":"a@example.com","displayName":"A",`+extra+`}`))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %+v, %v", extra, got, err)
		}
	}
}

func TestApply(t *testing.T) {
	tests := []struct {
		name, ops string
		check     func(r Resource) bool
	}{
		{"replace active without a path", `[{"op":"Replace","value":{"active":false}}]`,
			func(r Resource) bool { return !r.Active && r.Fields.DisplayName == "Ann" }},
		{"replace active as a string", `[{"op":"replace","path":"active","value":"False"}]`,
			func(r Resource) bool { return !r.Active }},
		{"name.formatted changes the display name", `[{"op":"replace","path":"name.formatted","value":"Ann B"}]`,
			func(r Resource) bool { return r.Fields.DisplayName == "Ann B" }},
		{"displayName", `[{"op":"add","path":"displayName","value":"Ann C"}]`,
			func(r Resource) bool { return r.Fields.DisplayName == "Ann C" }},
		{"the primary email changes userName", `[{"op":"replace","path":"emails[type eq \"work\"].value","value":"b@example.com"}]`,
			func(r Resource) bool { return r.Fields.Email == "b@example.com" }},
		{"a new primary email", `[{"op":"add","path":"emails","value":[{"value":"c@example.com","primary":true}]}]`,
			func(r Resource) bool { return r.Fields.Email == "c@example.com" }},
		{"remove externalId", `[{"op":"remove","path":"externalId"}]`,
			func(r Resource) bool { return r.Fields.ExternalID == nil && r.Fields.Phone != nil }},
		{"remove the phone", `[{"op":"remove","path":"phoneNumbers[type eq \"mobile\"]"}]`,
			func(r Resource) bool { return r.Fields.Phone == nil }},
		{"add a phone", `[{"op":"remove","path":"phoneNumbers"},{"op":"add","path":"phoneNumbers[type eq \"work\"].value","value":"+41 2"}]`,
			func(r Resource) bool { return *r.Fields.Phone == "+41 2" }},
		{"an extension attribute", `[{"op":"replace","path":"urn:roster:params:scim:schemas:extension:athlete:2.0:User:height","value":180}]`,
			func(r Resource) bool { return *r.Fields.Height == 180 && *r.Fields.ShoeSize == 40.5 }},
		{"the extension as an object", `[{"op":"add","value":{"urn:roster:params:scim:schemas:extension:athlete:2.0:User":{"brand":"Asics"}}}]`,
			func(r Resource) bool { return *r.Fields.Brand == "Asics" && *r.Fields.Age == 30 }},
		{"remove the extension", `[{"op":"remove","path":"urn:roster:params:scim:schemas:extension:athlete:2.0:User"}]`,
			func(r Resource) bool { return r.Fields.Age == nil && len(r.Fields.PreferableActivities) == 0 }},
	}
	c := fixture()
	for _, tt := range tests {
		ops, err := ParsePatch(decode(t, `{"schemas":["`+PatchSchema+`"],"Operations":`+tt.ops+`}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		r, err := Apply(NewUser(&c, ""), ops)
		if err != nil || !tt.check(r) {
			t.Errorf("%s: %+v, %v", tt.name, r.Fields, err)
		}
	}
}

func TestApplyRefuses(t *testing.T) {
	tests := []struct{ ops, scimType string }{
		{`[{"op":"remove"}]`, TypeNoTarget},
		{`[{"op":"replace","path":"id","value":"x"}]`, TypeMutability},
		{`[{"op":"replace","path":"meta.created","value":"x"}]`, TypeMutability},
		{`[{"op":"replace","path":"shoeColour","value":"x"}]`, TypeInvalidPath},
		{`[{"op":"replace","path":"name.nickName","value":"x"}]`, TypeInvalidPath},
		{`[{"op":"replace","path":"title.value","value":"x"}]`, TypeInvalidPath},
		{`[{"op":"add","path":"addresses[type eq \"work\"].street","value":"x"}]`, TypeInvalidPath},
		{`[{"op":"add","path":"` + EnterpriseSchema + `:shoeSize","value":1}]`, TypeInvalidPath},
		{`[{"op":"add","path":"` + EnterpriseSchema + `","value":{"shoeSize":1}}]`, TypeInvalidPath},
		{`[{"op":"add","path":"` + EnterpriseSchema + `","value":"x"}]`, TypeInvalidValue},
		{`[{"op":"replace","path":"urn:other:User:x","value":"x"}]`, TypeInvalidPath},
		{`[{"op":"replace","path":"emails[","value":"x"}]`, TypeInvalidPath},
		{`[{"op":"replace","path":"emails[type eq \"home\"].value","value":"x@example.com"}]`, TypeNoTarget},
		{`[{"op":"replace","path":"displayName","value":7}]`, TypeInvalidValue},
		{`[{"op":"add","value":"x"}]`, TypeInvalidValue},
		{`[{"op":"add","value":{"shoeColour":"x"}}]`, TypeInvalidPath},
		{`[{"op":"replace","path":"name.givenName","value":7}]`, TypeInvalidValue},
		{`[{"op":"replace","path":"name","value":"Ann"}]`, TypeInvalidValue},
		{`[{"op":"remove","path":"userName"}]`, TypeMutability},
		{`[{"op":"remove","path":"displayName"}]`, TypeMutability},
		{`[{"op":"remove","path":"name.formatted"}]`, TypeMutability},
		{`[{"op":"remove","path":"name"}]`, TypeMutability},
		{`[{"op":"remove","path":"name.givenName"}]`, TypeMutability}, // "Ann" has no other part
		{`[{"op":"remove","path":"emails[type eq \"work\"]"}]`, TypeMutability},
	}
	c := fixture()
	for _, tt := range tests {
		ops, err := ParsePatch(decode(t, `{"schemas":["`+PatchSchema+`"],"Operations":`+tt.ops+`}`))
		if err == nil {
			_, err = Apply(NewUser(&c, ""), ops)
		}
		if TypeOf(err) != tt.scimType {
			t.Errorf("%s: %v (%s), want %s", tt.ops, err, TypeOf(err), tt.scimType)
		}
	}
	for _, body := range []string{`{"Operations":[{"op":"add","value":{}}]}`, `{"schemas":["` + PatchSchema + `"],"Operations":[]}`,
		`{"schemas":["` + PatchSchema + `"],"Operations":[{"op":"move"}]}`} {
		if _, err := ParsePatch(decode(t, body)); TypeOf(err) != TypeInvalidSyntax {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// TestApplyIgnores: operations on attributes Roster does not store, of
// the core schema or the enterprise extension, are accepted and change
// nothing, even a replace whose filter matches no value.
func TestApplyIgnores(t *testing.T) {
	c := fixture()
	for _, ops := range []string{
		`[{"op":"Add","path":"title","value":"Coach"}]`,
		`[{"op":"replace","path":"NickName","value":"a"},{"op":"remove","path":"locale"}]`,
		`[{"op":"Replace","path":"addresses[type eq \"work\"].locality","value":"Bern"}]`,
		`[{"op":"replace","path":"name.middleName","value":"B"}]`,
		`[{"op":"replace","path":"password","value":"secret"}]`,
		`[{"op":"Add","path":"` + EnterpriseSchema + `:manager","value":"m-1"},{"op":"add","path":"` + EnterpriseSchema + `:manager.displayName","value":"M"}]`,
		`[{"op":"replace","path":"` + EnterpriseSchema + `","value":{"department":"R&D"}},{"op":"remove","path":"` + EnterpriseSchema + `"}]`,
		`[{"op":"replace","value":{"title":"Coach","` + EnterpriseSchema + `:costCenter":"4","` + EnterpriseSchema + `":{"division":"D"}}}]`,
		`[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:User:userType","value":"Member"}]`,
	} {
		parsed, err := ParsePatch(decode(t, `{"schemas":["`+PatchSchema+`"],"Operations":`+ops+`}`))
		if err != nil {
			t.Fatalf("%s: %v", ops, err)
		}
		r, err := Apply(NewUser(&c, ""), parsed)
		if err != nil || r.Update(&c.ClientFields).Set != 0 || !r.Active {
			t.Errorf("%s: %+v, %v", ops, r, err)
		}
	}
}

// TestApplyName: how an operation on name's parts makes the display name
// (docs/API.md, "SCIM 2.0"): name.formatted, else the parts after the
// operations, those they leave taken from the display name's first word
// (given) and rest (family); displayName wins over both.
func TestApplyName(t *testing.T) {
	tests := []struct{ display, ops, want string }{
		{"Ann Lee", `[{"op":"replace","path":"name.familyName","value":"Jones"}]`, "Ann Jones"},
		{"Ann Lee", `[{"op":"replace","path":"name.givenName","value":"Bea"}]`, "Bea Lee"},
		{"Ann", `[{"op":"add","path":"name.familyName","value":"Jones"}]`, "Ann Jones"},
		{"Ann van Dijk", `[{"op":"replace","path":"name.givenName","value":"Bea"}]`, "Bea van Dijk"},
		{"Ann van Dijk", `[{"op":"replace","path":"name.familyName","value":"Jones"}]`, "Ann Jones"},
		{"Mary Ann Smith", `[{"op":"replace","path":"name.familyName","value":"Jones"}]`, "Mary Jones"}, // as documented
		{"Ann Lee", `[{"op":"replace","path":"name","value":{"familyName":"Jones"}}]`, "Ann Jones"},
		{"Ann Lee", `[{"op":"replace","value":{"name":{"givenName":"Bea"}}}]`, "Bea Lee"},
		{"Ann Lee", `[{"op":"replace","value":{"name.givenName":"Bea","name.familyName":"Jones"}}]`, "Bea Jones"},
		{"Ann Lee", `[{"op":"replace","path":"name.familyName","value":"Jones"},{"op":"replace","path":"name.formatted","value":"Dr. Ann Jones"}]`, "Dr. Ann Jones"},
		{"Ann Lee", `[{"op":"replace","path":"name.givenName","value":"Bea"},{"op":"replace","path":"displayName","value":"Bee"}]`, "Bee"},
		{"Ann Lee", `[{"op":"remove","path":"name.givenName"}]`, "Lee"},
		{"Ann Lee", `[{"op":"replace","path":"name.familyName","value":" "}]`, "Ann"},
	}
	for _, tt := range tests {
		c := fixture()
		c.DisplayName = tt.display
		ops, err := ParsePatch(decode(t, `{"schemas":["`+PatchSchema+`"],"Operations":`+tt.ops+`}`))
		if err != nil {
			t.Fatalf("%s: %v", tt.ops, err)
		}
		r, err := Apply(NewUser(&c, ""), ops)
		if err != nil || r.Fields.DisplayName != tt.want {
			t.Errorf("%q, %s: %q, %v; want %q", tt.display, tt.ops, r.Fields.DisplayName, err, tt.want)
		}
	}
}

func TestProjection(t *testing.T) {
	c := fixture()
	u := NewUser(&c, "/scim/v2/Users/u1")
	tests := []struct{ attributes, excluded, want string }{
		{"userName,name.formatted,meta.version", "",
			`{"id":"u1","meta":{"version":"W/\"1796551200000000000\""},"name":{"formatted":"Ann"},"schemas":["` + UserSchema + `","` + AthleteSchema + `"],"userName":"ann@example.com"}`},
		{"EMAILS.value," + AthleteSchema + ":age", "",
			`{"emails":[{"value":"ann@example.com"}],"id":"u1","schemas":["` + UserSchema + `","` + AthleteSchema + `"],"` + AthleteSchema + `":{"age":30}}`},
		{"", "meta,emails,phoneNumbers,name,displayName,externalId," + AthleteSchema + ",active,id,schemas",
			`{"id":"u1","schemas":["` + UserSchema + `","` + AthleteSchema + `"],"userName":"ann@example.com"}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(ParseProjection(tt.attributes, tt.excluded).Of(u))
		if err != nil || string(b) != tt.want {
			t.Errorf("%q %q: %s, want %s", tt.attributes, tt.excluded, b, tt.want)
		}
	}
	if got := ParseProjection(" ", "").Of(u); !reflect.DeepEqual(got, u) {
		t.Errorf("no projection: %v", got)
	}
}
