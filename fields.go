package roster

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A raw value is what a request carried for a field: a string (forms and
// query strings, or JSON strings), a json.Number, a []any, a bool, or nil
// (JSON null).

// parse parses one raw value into the field of f, by the field's type and
// limits. A nil or empty value clears an optional field.
func (s *FieldSpec) parse(f *ClientFields, v any) (err error) {
	ref := s.ref(f)
	switch s.Type {
	case TypeEmail:
		*ref.(*string), err = emailValue(v)
	case TypeText:
		if s.Required {
			*ref.(*string), err = requiredText(v, s.Max)
		} else {
			*ref.(**string), err = optString(v, s.Max)
		}
	case TypeGender:
		*ref.(**string), err = gender(v)
	case TypeInteger:
		*ref.(**int64), err = optInt(v, s.Min, s.Max)
	case TypeMeasure:
		*ref.(**float64), err = optFloat(v, s.Min, s.Max)
	case TypeActivities:
		*ref.(*[]string), err = ParseActivities(v)
	}
	return err
}

// NewClientFields validates the fields of a client to create.
func NewClientFields(raw map[string]any) (ClientFields, error) {
	u, err := NewClientUpdate(raw)
	if err != nil {
		return ClientFields{}, err
	}
	for i, spec := range Fields {
		if spec.Required && !u.Set.Has(Field(i)) {
			return ClientFields{}, FieldErrorf(spec.Name, "required")
		}
	}
	return u.ClientFields, nil
}

// NewClientUpdate validates the fields of a partial update. Fields are
// checked in name order so that the first error reported is stable.
func NewClientUpdate(raw map[string]any) (ClientUpdate, error) {
	var u ClientUpdate
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		field, ok := FieldNamed(name)
		if !ok {
			return ClientUpdate{}, FieldErrorf(name, "unknown field")
		}
		if err := Fields[field].parse(&u.ClientFields, raw[name]); err != nil {
			return ClientUpdate{}, FieldErrorf(name, "%v", err)
		}
		u.Set |= FieldsOf(field)
	}
	return u, nil
}

func isEmpty(v any) bool { return v == nil || v == "" }

func stringValue(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("must be a string")
	}
	return s, nil
}

// text checks a single line of display text that a person typed, and keeps
// it as typed (checkDisplayText).
func text(v any, max int64) (string, error) {
	s, err := stringValue(v)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); int64(n) > max {
		return "", fmt.Errorf("must be at most %d characters", max)
	}
	if err := checkDisplayText(s); err != nil {
		return "", err
	}
	return s, nil
}

func optString(v any, max int64) (*string, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, err := text(v, max)
	if err != nil || s == "" {
		return nil, err
	}
	return &s, nil
}

func displayName(v any) (string, error) { return requiredText(v, maxDisplayName) }

// requiredText is text that may not be empty.
func requiredText(v any, max int64) (string, error) {
	if isEmpty(v) {
		return "", fmt.Errorf("required")
	}
	s, err := text(v, max)
	if err == nil && s == "" {
		err = fmt.Errorf("required")
	}
	return s, err
}

func emailValue(v any) (string, error) {
	if isEmpty(v) {
		return "", fmt.Errorf("required")
	}
	s, err := stringValue(v)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	return s, ValidateEmail(s)
}

func gender(v any) (*string, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, err := stringValue(v)
	if err != nil {
		return nil, err
	}
	g, err := ParseGender(s)
	return &g, err
}

// ParseGender accepts male or female in any letter case and returns the
// stored, lower-case form.
func ParseGender(s string) (string, error) {
	g := strings.ToLower(strings.TrimSpace(s))
	if g != "male" && g != "female" {
		return "", fmt.Errorf("must be male or female")
	}
	return g, nil
}

// numberText returns the textual number in v: JSON numbers and numeric
// strings (forms, and the v1 seed's "age": "23") are both accepted, in
// decimal notation only (strconv alone would also take 0x1p4 and 1_0).
func numberText(v any) (string, error) {
	var s string
	switch n := v.(type) {
	case json.Number:
		s = n.String()
	case string:
		s = strings.TrimSpace(n)
	default:
		return "", fmt.Errorf("must be a number")
	}
	if s == "" || strings.Trim(s, "0123456789.eE+-") != "" {
		return "", fmt.Errorf("must be a number")
	}
	return s, nil
}

func optInt(v any, min, max int64) (*int64, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, err := numberText(v)
	if err != nil {
		return nil, fmt.Errorf("must be an integer")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("must be an integer")
	}
	if n < min || n > max {
		return nil, fmt.Errorf("must be between %d and %d", min, max)
	}
	return &n, nil
}

func optFloat(v any, min, max int64) (*float64, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, err := numberText(v)
	if err != nil {
		return nil, err
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, fmt.Errorf("must be a number")
	}
	if x < float64(min) || x > float64(max) {
		return nil, fmt.Errorf("must be between %d and %d", min, max)
	}
	return &x, nil
}

// ParseActivities accepts a JSON array of allowed activities, either as a
// decoded array or as a string holding one (forms and query strings). Empty
// means none. Duplicates are dropped, order is kept.
func ParseActivities(v any) ([]string, error) {
	if isEmpty(v) {
		return []string{}, nil
	}
	var items []any
	switch a := v.(type) {
	case []any:
		items = a
	case string:
		if err := json.Unmarshal([]byte(a), &items); err != nil {
			return nil, fmt.Errorf(`must be a JSON array such as ["Running", "Weightlifting"]`)
		}
	default:
		return nil, fmt.Errorf(`must be a JSON array such as ["Running", "Weightlifting"]`)
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok || !slices.Contains(Activities, s) {
			return nil, fmt.Errorf("unknown activity %v: allowed are %s", jsonText(it), strings.Join(Activities, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// jsonText quotes v for a message as JSON does, but leaves &, < and > as
// they are: messages go out in JSON answers, which are never pages.
func jsonText(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// ParseSessionsLimit validates a sessions_limit given on its own; nil (or
// an empty value) means no limit.
func ParseSessionsLimit(v any) (*int64, error) {
	var f ClientFields
	spec := &Fields[FieldSessionsLimit]
	if err := spec.parse(&f, v); err != nil {
		return nil, Errorf(KindInvalid, "%s: %v", spec.Name, err)
	}
	return f.SessionsLimit, nil
}
