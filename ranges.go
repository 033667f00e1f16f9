package roster

import (
	"math"
	"strconv"
)

// RangeFields are the numeric fields a client list may be filtered by a
// range of (issue 14). The API names a range's bounds after the field's
// column (age_min, shoe_size_max), as the filter endpoint's other
// parameters are spelled.
var RangeFields = []Field{FieldAge, FieldHeight, FieldWeight, FieldShoeSize}

// Range selects the clients whose value of Field lies from Min to Max, both
// inclusive; a nil bound leaves that end open. A client without a value is
// never in a range.
type Range struct {
	Field    Field
	Min, Max *float64
}

// Contains reports whether f's value of the range's field lies within it:
// what the SQL of a range filter does, for tests that work lists out in Go.
func (r Range) Contains(f *ClientFields) bool {
	v := RangeValue(f, r.Field)
	return v != nil && (r.Min == nil || *v >= *r.Min) && (r.Max == nil || *v <= *r.Max)
}

// RangeValue returns f's value of field, one of RangeFields, as a float64
// (an exact one: whole numbers are small), or nil when f has none.
func RangeValue(f *ClientFields, field Field) *float64 {
	switch p := Fields[field].Ref(f).(type) {
	case **int64:
		if *p == nil {
			return nil
		}
		v := float64(**p)
		return &v
	case **float64:
		return *p
	}
	panic("roster: field " + Fields[field].Name + " is not a number")
}

// RangeParams are the names of the bounds of RangeFields, minimum then
// maximum of each, in RangeFields' order.
var RangeParams = func() []string {
	var names []string
	for _, f := range RangeFields {
		col := Fields[f].Column
		names = append(names, col+"_min", col+"_max")
	}
	return names
}()

// ParseRanges reads the bounds of RangeParams that get returns (a query's
// value by name, "" when absent): numbers within each field's own limits,
// a minimum no greater than its maximum. A field with neither bound has no
// range.
func ParseRanges(get func(name string) string) ([]Range, error) {
	var ranges []Range
	for i, field := range RangeFields {
		r := Range{Field: field}
		var err error
		if r.Min, err = parseBound(get, RangeParams[2*i], field); err != nil {
			return nil, err
		}
		if r.Max, err = parseBound(get, RangeParams[2*i+1], field); err != nil {
			return nil, err
		}
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			return nil, Errorf(KindInvalid, "%s: must not be greater than %s", RangeParams[2*i], RangeParams[2*i+1])
		}
		if r.Min != nil || r.Max != nil {
			ranges = append(ranges, r)
		}
	}
	return ranges, nil
}

// parseBound reads the bound name of field, or nil when absent.
func parseBound(get func(string) string, name string, field Field) (*float64, error) {
	s := get(name)
	if s == "" {
		return nil, nil
	}
	spec := Fields[field]
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || n < float64(spec.Min) || n > float64(spec.Max) {
		return nil, Errorf(KindInvalid, "%s: must be a number from %d to %d", name, spec.Min, spec.Max)
	}
	return &n, nil
}
