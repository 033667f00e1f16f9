package roster

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
	var v float64
	switch p := Fields[r.Field].Ref(f).(type) {
	case **int64:
		if *p == nil {
			return false
		}
		v = float64(**p)
	case **float64:
		if *p == nil {
			return false
		}
		v = **p
	default:
		panic("roster: field " + Fields[r.Field].Name + " is not a number")
	}
	return (r.Min == nil || v >= *r.Min) && (r.Max == nil || v <= *r.Max)
}
