package roster

import (
	"encoding/json"
	"strconv"
)

// The client-field registry: Fields describes, once, every client field a
// caller may set. Parsing (NewClientUpdate), the store's columns, the API's
// JSON, CSV import and export, the audit log's names and what an athlete
// may change in their own profile all derive from it. A new field is a row
// here, a column in both engines' migrations and its place in the OpenAPI
// document; tests check that those agree with the registry.

// Field identifies a client field, so that code below the API handles
// fields without their names.
type Field int

// The client fields, in the registry's order.
const (
	FieldEmail Field = iota
	FieldDisplayName
	FieldPhone
	FieldAge
	FieldGender
	FieldHeight
	FieldWeight
	FieldYCOM
	FieldLegLength
	FieldShoeSize
	FieldBrand
	FieldShoeModel
	FieldPreferableActivities
	FieldExternalID
	FieldSessionsLimit
)

// FieldType is what a field holds: it decides how a raw value is parsed.
type FieldType uint8

// The field types.
const (
	TypeText       FieldType = iota // a line of display text of at most Max characters
	TypeEmail                       // an email address (ValidateEmail)
	TypeGender                      // male or female (ParseGender)
	TypeInteger                     // a whole number from Min to Max
	TypeMeasure                     // a decimal number from Min to Max
	TypeActivities                  // a list of Activities
)

// FieldUse is a set of the places that carry a field besides the API's
// client objects, which carry them all.
type FieldUse uint8

// The places a field may go.
const (
	UseOwn     FieldUse = 1 << iota // the athlete may change it in their own profile
	UseCSV                          // CSV export and import carry it as a column
	UseSCIM                         // SCIM provisioning maps it (issue 13)
	UseHistory                      // metric history keeps its past values (issue 14)
)

// Has reports whether u includes every place of v.
func (u FieldUse) Has(v FieldUse) bool { return u&v == v }

// FieldSpec describes one client field.
type FieldSpec struct {
	Name     string // in the API, as the seeds spell it (shoeSize, leg_length)
	Column   string // in the clients table
	Type     FieldType
	Min, Max int64 // the bounds of a number; Max is also the most characters of a text
	// Required fields must be given on create (and as a CSV import's
	// columns) and are never empty. They are strings; every other field is
	// a pointer, nil when empty, or a list.
	Required bool
	// NumberAsString shows a number as a JSON string ("30"), as the seeds'
	// list and details schemas do.
	NumberAsString bool
	Uses           FieldUse
	ref            func(f *ClientFields) any
}

// maxDisplayName is the most characters of a display name, a client's or an
// account's.
const maxDisplayName = 200

// maxMeasure bounds physical measures: no real height, weight or shoe size
// comes near it, and it keeps absurd values out of the data.
const maxMeasure = 1000

// Fields is the registry, indexed by Field. Its order is the order of CSV
// columns and of the fields in a client's JSON. email, external_id and
// sessions_limit are the organization's, not the athlete's to change.
var Fields = []FieldSpec{
	FieldEmail: {Name: "email", Column: "email", Type: TypeEmail, Required: true, Uses: UseCSV | UseSCIM,
		ref: func(f *ClientFields) any { return &f.Email }},
	FieldDisplayName: {Name: "display_name", Column: "display_name", Type: TypeText, Max: maxDisplayName, Required: true,
		Uses: UseOwn | UseCSV | UseSCIM, ref: func(f *ClientFields) any { return &f.DisplayName }},
	FieldPhone: {Name: "phone", Column: "phone", Type: TypeText, Max: 32, Uses: UseOwn | UseCSV | UseSCIM,
		ref: func(f *ClientFields) any { return &f.Phone }},
	FieldAge: {Name: "age", Column: "age", Type: TypeInteger, Max: 150, NumberAsString: true, Uses: UseOwn | UseCSV,
		ref: func(f *ClientFields) any { return &f.Age }},
	FieldGender: {Name: "gender", Column: "gender", Type: TypeGender, Uses: UseOwn | UseCSV,
		ref: func(f *ClientFields) any { return &f.Gender }},
	FieldHeight: {Name: "height", Column: "height", Type: TypeMeasure, Max: maxMeasure, Uses: UseOwn | UseCSV | UseHistory,
		ref: func(f *ClientFields) any { return &f.Height }},
	FieldWeight: {Name: "weight", Column: "weight", Type: TypeMeasure, Max: maxMeasure, Uses: UseOwn | UseCSV | UseHistory,
		ref: func(f *ClientFields) any { return &f.Weight }},
	FieldYCOM: {Name: "ycom", Column: "ycom", Type: TypeMeasure, Max: maxMeasure, Uses: UseOwn | UseCSV | UseHistory,
		ref: func(f *ClientFields) any { return &f.YCOM }},
	FieldLegLength: {Name: "leg_length", Column: "leg_length", Type: TypeMeasure, Max: maxMeasure,
		Uses: UseOwn | UseCSV | UseHistory, ref: func(f *ClientFields) any { return &f.LegLength }},
	FieldShoeSize: {Name: "shoeSize", Column: "shoe_size", Type: TypeMeasure, Max: maxMeasure, NumberAsString: true,
		Uses: UseOwn | UseCSV | UseHistory, ref: func(f *ClientFields) any { return &f.ShoeSize }},
	FieldBrand: {Name: "brand", Column: "brand", Type: TypeText, Max: 100, Uses: UseOwn | UseCSV,
		ref: func(f *ClientFields) any { return &f.Brand }},
	FieldShoeModel: {Name: "shoeModel", Column: "shoe_model", Type: TypeText, Max: 100, Uses: UseOwn | UseCSV,
		ref: func(f *ClientFields) any { return &f.ShoeModel }},
	FieldPreferableActivities: {Name: "preferable_activities", Column: "preferable_activities", Type: TypeActivities,
		Uses: UseOwn | UseCSV, ref: func(f *ClientFields) any { return &f.PreferableActivities }},
	FieldExternalID: {Name: "external_id", Column: "external_id", Type: TypeText, Max: 255, Uses: UseCSV | UseSCIM,
		ref: func(f *ClientFields) any { return &f.ExternalID }},
	FieldSessionsLimit: {Name: "sessions_limit", Column: "sessions_limit", Type: TypeInteger, Min: 1,
		Max: MaxSessionsLimit, Uses: UseCSV, ref: func(f *ClientFields) any { return &f.SessionsLimit }},
}

var fieldsByName = func() map[string]Field {
	m := make(map[string]Field, len(Fields))
	for i, spec := range Fields {
		m[spec.Name] = Field(i)
	}
	return m
}()

// FieldNamed returns the field the API calls name.
func FieldNamed(name string) (Field, bool) {
	f, ok := fieldsByName[name]
	return f, ok
}

// FieldsFor returns the fields that go to every place of use, in the
// registry's order.
func FieldsFor(use FieldUse) []*FieldSpec {
	var specs []*FieldSpec
	for i := range Fields {
		if Fields[i].Uses.Has(use) {
			specs = append(specs, &Fields[i])
		}
	}
	return specs
}

// FieldNames returns the names of FieldsFor(use).
func FieldNames(use FieldUse) []string {
	var names []string
	for _, spec := range FieldsFor(use) {
		names = append(names, spec.Name)
	}
	return names
}

// Ref points at the field's value in f: a *string for a required field; a
// **string, **int64 or **float64, nil when empty, for an optional one; a
// *[]string for a list.
func (s *FieldSpec) Ref(f *ClientFields) any { return s.ref(f) }

// IsSet reports whether the field has a value in f.
func (s *FieldSpec) IsSet(f *ClientFields) bool {
	switch p := s.ref(f).(type) {
	case *string:
		return *p != ""
	case **string:
		return *p != nil
	case **int64:
		return *p != nil
	case **float64:
		return *p != nil
	case *[]string:
		return len(*p) > 0
	}
	panic("roster: field " + s.Name + " has no known representation")
}

// AppendText appends the field's value in f as a form or a CSV cell carries
// it, which parses back to the same value: nothing when it is empty, a list
// as a JSON array ("[]" when empty).
func (s *FieldSpec) AppendText(b []byte, f *ClientFields) []byte {
	switch p := s.ref(f).(type) {
	case *string:
		return append(b, *p...)
	case **string:
		if *p != nil {
			b = append(b, **p...)
		}
	case **int64:
		if *p != nil {
			b = strconv.AppendInt(b, **p, 10)
		}
	case **float64:
		if *p != nil {
			b = strconv.AppendFloat(b, **p, 'f', -1, 64)
		}
	case *[]string:
		if len(*p) == 0 {
			return append(b, "[]"...)
		}
		list, _ := json.Marshal(*p)
		b = append(b, list...)
	}
	return b
}

// Text is AppendText's text as a string.
func (s *FieldSpec) Text(f *ClientFields) string {
	switch p := s.ref(f).(type) {
	case *string:
		return *p
	case **string:
		if *p == nil {
			return ""
		}
		return **p
	}
	return string(s.AppendText(nil, f))
}

// FieldSet is a set of client fields.
type FieldSet uint64

// FieldsOf returns the set of the fields given.
func FieldsOf(fields ...Field) FieldSet {
	var s FieldSet
	for _, f := range fields {
		s |= 1 << f
	}
	return s
}

// Has reports whether f is in s.
func (s FieldSet) Has(f Field) bool { return s&(1<<f) != 0 }
