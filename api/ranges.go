package api

import (
	"math"
	"strconv"
	"time"

	"roster"
)

// rangeParams are the range filters (issue 14) that the filter endpoint and
// the client list take besides their own: the bounds of each of
// roster.RangeFields, and of the last session.
var rangeParams = func() []string {
	var names []string
	for _, f := range roster.RangeFields {
		col := roster.Fields[f].Column
		names = append(names, col+"_min", col+"_max")
	}
	return append(names, "last_session_after", "last_session_before")
}()

// parseRanges adds the range filters of v to f, whose last-session bounds
// the filter endpoint's start_date and end_date may have set already.
func parseRanges(v map[string]string, f *roster.ClientFilter) error {
	for _, field := range roster.RangeFields {
		spec := roster.Fields[field]
		r := roster.Range{Field: field}
		var err error
		if r.Min, err = boundParam(v, spec.Column+"_min", spec); err != nil {
			return err
		}
		if r.Max, err = boundParam(v, spec.Column+"_max", spec); err != nil {
			return err
		}
		if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
			return invalid("%s_min: must not be greater than %[1]s_max", spec.Column)
		}
		if r.Min != nil || r.Max != nil {
			f.Ranges = append(f.Ranges, r)
		}
	}
	after, err := parseTime(v["last_session_after"], "last_session_after")
	if err != nil {
		return err
	}
	before, err := parseTime(v["last_session_before"], "last_session_before")
	switch {
	case err != nil:
		return err
	case !after.IsZero() && !f.From.IsZero():
		return invalid("last_session_after and start_date: give one, not both")
	case !before.IsZero() && !f.To.IsZero():
		return invalid("last_session_before and end_date: give one, not both")
	case !after.IsZero() && !before.IsZero() && !after.Before(before):
		return invalid("last_session_after: must be before last_session_before")
	}
	if !after.IsZero() {
		f.From = after
	}
	if !before.IsZero() {
		f.To = before
	}
	return nil
}

// boundParam reads the parameter name, a bound of spec's values: a number
// within the field's own limits, or nil when absent.
func boundParam(v map[string]string, name string, spec roster.FieldSpec) (*float64, error) {
	s := v[name]
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || n < float64(spec.Min) || n > float64(spec.Max) {
		return nil, invalid("%s: must be a number from %d to %d", name, spec.Min, spec.Max)
	}
	return &n, nil
}

// parseTime reads a time in RFC 3339 form, or a date, which stands for its
// start in UTC.
func parseTime(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return t, invalid("%s: must be a time in RFC 3339 form (2006-01-02T15:04:05Z) or a date (2006-01-02)", name)
		}
	}
	t = t.UTC()
	return t, storedYears(t, name)
}

// storedYears refuses a time bound far outside any session: it keeps the
// stored text times comparable (year 10000 would sort before 2025 on
// SQLite).
func storedYears(t time.Time, name string) error {
	if t.Year() < 1900 || t.Year() > 9998 {
		return invalid("%s: must be between 1900-01-01 and 9998-12-31", name)
	}
	return nil
}
