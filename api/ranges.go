package api

import (
	"slices"
	"time"

	"roster"
)

// rangeParams are the range filters (issue 14) that the filter endpoint and
// the client list take besides their own: the bounds of each of
// roster.RangeFields, and of the last session.
var rangeParams = append(slices.Clip(roster.RangeParams), "last_session_after", "last_session_before")

// parseRanges adds the range filters of v to f, whose last-session bounds
// the filter endpoint's start_date and end_date may have set already.
func parseRanges(v map[string]string, f *roster.ClientFilter) error {
	var err error
	if f.Ranges, err = roster.ParseRanges(func(name string) string { return v[name] }); err != nil {
		return err
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
