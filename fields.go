package roster

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A raw value is what a request carried for a field: a string (forms and
// query strings, or JSON strings), a json.Number, a []any, a bool, or nil
// (JSON null).

// clientField parses one raw value into f. A nil or empty value clears an
// optional field.
type clientField func(f *ClientFields, v any) error

var clientFields = map[string]clientField{
	"email":        func(f *ClientFields, v any) (err error) { f.Email, err = emailValue(v); return },
	"display_name": func(f *ClientFields, v any) (err error) { f.DisplayName, err = displayName(v); return },
	"phone":        func(f *ClientFields, v any) (err error) { f.Phone, err = optString(v, 32); return },
	"age":          func(f *ClientFields, v any) (err error) { f.Age, err = optInt(v, 0, 150); return },
	"gender":       func(f *ClientFields, v any) (err error) { f.Gender, err = gender(v); return },
	"height":       func(f *ClientFields, v any) (err error) { f.Height, err = optFloat(v); return },
	"weight":       func(f *ClientFields, v any) (err error) { f.Weight, err = optFloat(v); return },
	"ycom":         func(f *ClientFields, v any) (err error) { f.YCOM, err = optFloat(v); return },
	"leg_length":   func(f *ClientFields, v any) (err error) { f.LegLength, err = optFloat(v); return },
	"shoeSize":     func(f *ClientFields, v any) (err error) { f.ShoeSize, err = optFloat(v); return },
	"brand":        func(f *ClientFields, v any) (err error) { f.Brand, err = optString(v, 100); return },
	"shoeModel":    func(f *ClientFields, v any) (err error) { f.ShoeModel, err = optString(v, 100); return },
	"external_id":  func(f *ClientFields, v any) (err error) { f.ExternalID, err = optString(v, 255); return },
	"sessions_limit": func(f *ClientFields, v any) (err error) {
		f.SessionsLimit, err = optInt(v, 1, MaxSessionsLimit)
		return
	},
	"preferable_activities": func(f *ClientFields, v any) (err error) {
		f.PreferableActivities, err = ParseActivities(v)
		return
	},
}

// NewClientFields validates the fields of a client to create.
func NewClientFields(raw map[string]any) (ClientFields, error) {
	u, err := NewClientUpdate(raw)
	if err != nil {
		return ClientFields{}, err
	}
	for _, name := range []string{"email", "display_name"} {
		if !u.Set[name] {
			return ClientFields{}, FieldErrorf(name, "required")
		}
	}
	return u.ClientFields, nil
}

// NewClientUpdate validates the fields of a partial update. Fields are
// checked in name order so that the first error reported is stable.
func NewClientUpdate(raw map[string]any) (ClientUpdate, error) {
	u := ClientUpdate{Set: make(map[string]bool, len(raw))}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		parse, ok := clientFields[name]
		if !ok {
			return ClientUpdate{}, FieldErrorf(name, "unknown field")
		}
		if err := parse(&u.ClientFields, raw[name]); err != nil {
			return ClientUpdate{}, FieldErrorf(name, "%v", err)
		}
		u.Set[name] = true
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
func text(v any, max int) (string, error) {
	s, err := stringValue(v)
	if err != nil {
		return "", err
	}
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Errorf("must be at most %d characters", max)
	}
	if err := checkDisplayText(s); err != nil {
		return "", err
	}
	return s, nil
}

func optString(v any, max int) (*string, error) {
	if isEmpty(v) {
		return nil, nil
	}
	s, err := text(v, max)
	if err != nil || s == "" {
		return nil, err
	}
	return &s, nil
}

func displayName(v any) (string, error) {
	if isEmpty(v) {
		return "", fmt.Errorf("required")
	}
	s, err := text(v, 200)
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

// maxMeasure bounds physical measures: no real height, weight or shoe size
// comes near it, and it keeps absurd values out of the data.
const maxMeasure = 1000

func optFloat(v any) (*float64, error) {
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
	if x < 0 || x > maxMeasure {
		return nil, fmt.Errorf("must be between 0 and %d", maxMeasure)
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
	n, err := optInt(v, 1, MaxSessionsLimit)
	if err != nil {
		return nil, Errorf(KindInvalid, "sessions_limit: %v", err)
	}
	return n, nil
}
