package roster

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// The registry names each field and column once, and covers every field of
// ClientFields once.
func TestFieldsAreDistinct(t *testing.T) {
	names, columns := map[string]bool{}, map[string]bool{}
	covered := map[uintptr]string{}
	var f ClientFields
	for i, spec := range Fields {
		if spec.Name == "" || spec.Column == "" || spec.ref == nil {
			t.Fatalf("field %d: incomplete %+v", i, spec)
		}
		if names[spec.Name] || columns[spec.Column] {
			t.Errorf("%s: name or column %s given twice", spec.Name, spec.Column)
		}
		names[spec.Name], columns[spec.Column] = true, true
		if got, ok := FieldNamed(spec.Name); !ok || got != Field(i) {
			t.Errorf("FieldNamed(%s) = %v, %v; want %d", spec.Name, got, ok, i)
		}
		at := reflect.ValueOf(spec.Ref(&f)).Pointer()
		if other, dup := covered[at]; dup {
			t.Errorf("%s and %s are the same field of ClientFields", other, spec.Name)
		}
		covered[at] = spec.Name
	}
	if n := reflect.TypeFor[ClientFields]().NumField(); len(covered) != n {
		t.Errorf("the registry covers %d of the %d fields of ClientFields", len(covered), n)
	}
	if len(Fields) > 64 {
		t.Errorf("%d fields: a FieldSet holds 64", len(Fields))
	}
}

// Each field's type, limits and uses agree with the Go value it points at.
func TestFieldTypesAgree(t *testing.T) {
	want := map[FieldType]string{TypeEmail: "*string", TypeGender: "**string", TypeInteger: "**int64",
		TypeMeasure: "**float64", TypeActivities: "*[]string", TypeText: "**string"}
	for _, spec := range Fields {
		w := want[spec.Type]
		if spec.Required {
			w = "*string"
		}
		if got := reflect.TypeOf(spec.Ref(&ClientFields{})).String(); got != w {
			t.Errorf("%s: points at a %s, want a %s", spec.Name, got, w)
		}
		number := spec.Type == TypeInteger || spec.Type == TypeMeasure
		switch {
		case number && spec.Min >= spec.Max, spec.Type == TypeText && spec.Max <= 0:
			t.Errorf("%s: bounds %d to %d", spec.Name, spec.Min, spec.Max)
		case spec.NumberAsString && !number:
			t.Errorf("%s: NumberAsString on a %v", spec.Name, w)
		case spec.Required && !spec.Uses.Has(UseCSV):
			t.Errorf("%s: required, but CSV does not carry it, so no CSV import could succeed", spec.Name)
		}
	}
}

// A value's text (a CSV cell, a form field) parses back to the same value,
// and the bounds are enforced.
func TestFieldTextRoundTrips(t *testing.T) {
	sample := map[FieldType]string{TypeText: "Ann", TypeEmail: "ann@example.com", TypeGender: "female",
		TypeActivities: `["Running","Weightlifting"]`}
	for i, spec := range Fields {
		text := sample[spec.Type]
		if spec.Type == TypeInteger || spec.Type == TypeMeasure {
			text = strconv.FormatInt(spec.Max, 10)
			var f ClientFields
			if err := spec.parse(&f, strconv.FormatInt(spec.Max+1, 10)); err == nil {
				t.Errorf("%s: %d accepted", spec.Name, spec.Max+1)
			}
		}
		var f, again ClientFields
		if err := spec.parse(&f, text); err != nil {
			t.Fatalf("%s: %q: %v", spec.Name, text, err)
		}
		if !spec.IsSet(&f) {
			t.Errorf("%s: %q gives no value", spec.Name, text)
		}
		got := string(spec.AppendText(nil, &f))
		if got != text {
			t.Errorf("%s: %q shows as %q", spec.Name, text, got)
		}
		if err := spec.parse(&again, got); err != nil || !reflect.DeepEqual(f, again) {
			t.Errorf("%s: %q parses to %+v, want %+v (%v)", spec.Name, got, again, f, err)
		}
		if u, err := NewClientUpdate(map[string]any{spec.Name: text}); err != nil || u.Set != FieldsOf(Field(i)) {
			t.Errorf("%s: update sets %b (%v)", spec.Name, u.Set, err)
		}
	}
}

// The audit log names the fields that have a value, or that an update sets,
// in the registry's order.
func TestPresentAndChanged(t *testing.T) {
	n := int64(3)
	f := ClientFields{Email: "a@example.com", DisplayName: "A", SessionsLimit: &n, PreferableActivities: []string{}}
	if got := f.Present(); !slices.Equal(got, []string{"email", "display_name", "sessions_limit"}) {
		t.Errorf("Present() = %v", got)
	}
	photo := "p.jpg"
	u := ClientUpdate{Set: FieldsOf(FieldShoeSize, FieldEmail), Photo: &photo}
	if got := u.Changed(); !slices.Equal(got, []string{"email", "shoeSize", "profile_photo"}) {
		t.Errorf("Changed() = %v", got)
	}
}
