package roster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Limits of an analysis session. Its time is bounded because the client's
// last_session, which the filter's date bounds select on, takes it: an
// unset clock's 1970 or a time a zone ahead would otherwise stick there.
// Five minutes of slack allow for a device clock that runs a little fast.
const (
	MaxAnalysisSessionDuration = 24 * 60 * 60 // seconds
	MaxMetricsBytes            = 64 << 10
	MaxAnalysisSessionAhead    = 5 * time.Minute
)

// EarliestAnalysisSession is the earliest time a session may have taken place.
var EarliestAnalysisSession = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// AnalysisSession is a completed session of an activity for a client.
type AnalysisSession struct {
	UID       string
	ClientUID string
	Activity  string
	Time      time.Time       // when the session took place
	Duration  float64         // seconds
	Metrics   json.RawMessage // a JSON object; nil when there are none
	CreatedBy string          // uid of the staff account that recorded it
	CreatedAt time.Time
}

// ErrNoAnalysisSessionsLeft answers a recording when the organization's quota of
// analysis sessions is spent.
var ErrNoAnalysisSessionsLeft = Errorf(KindForbidden,
	"no analysis sessions left: the organization's session_number is 0; ask the operator to raise it")

// analysisFields parse one raw value each (see fields.go for raw values).
var analysisFields = map[string]func(s *AnalysisSession, v any, now time.Time) error{
	"activity": func(s *AnalysisSession, v any, _ time.Time) (err error) { s.Activity, err = activityField(v); return },
	"time":     func(s *AnalysisSession, v any, now time.Time) (err error) { s.Time, err = timeField(v, now); return },
	"duration": func(s *AnalysisSession, v any, _ time.Time) (err error) { s.Duration, err = durationField(v); return },
	"metrics":  func(s *AnalysisSession, v any, _ time.Time) (err error) { s.Metrics, err = metricsField(v); return },
}

// NewAnalysisSession validates the fields of a session to record, taking
// now as the present. Whether the organization has the activity enabled is
// for CheckAnalysisSessionActivity, with the organization's list. Fields are
// checked in name order so that the first error reported is stable.
func NewAnalysisSession(raw map[string]any, now time.Time) (AnalysisSession, error) {
	s := AnalysisSession{Time: now}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		parse, ok := analysisFields[name]
		if !ok {
			return AnalysisSession{}, Errorf(KindInvalid, "%s: unknown field; accepted are activity, time, duration and metrics", name)
		}
		if err := parse(&s, raw[name], now); err != nil {
			if KindOf(err) != KindInternal {
				return AnalysisSession{}, err // it has its own kind and names the field: metrics' 413
			}
			return AnalysisSession{}, FieldErrorf(name, "%v", err)
		}
	}
	for _, name := range []string{"activity", "duration"} {
		if _, ok := raw[name]; !ok {
			return AnalysisSession{}, FieldErrorf(name, "required")
		}
	}
	return s, nil
}

func activityField(v any) (string, error) {
	if isEmpty(v) {
		return "", fmt.Errorf("required")
	}
	return stringValue(v)
}

// CheckAnalysisSessionActivity reports whether a session of activity may be
// recorded by an organization that has enabled these activities.
func CheckAnalysisSessionActivity(activity string, enabled []string) error {
	switch {
	case slices.Contains(enabled, activity):
		return nil
	case len(enabled) == 0:
		return FieldErrorf("activity", "this organization has no activity enabled; ask the operator to enable some")
	}
	return FieldErrorf("activity", "%s is not enabled for this organization: allowed are %s",
		jsonText(activity), strings.Join(enabled, ", "))
}

// timeField parses an RFC 3339 time; null means now.
func timeField(v any, now time.Time) (time.Time, error) {
	if v == nil {
		return now, nil
	}
	s, err := stringValue(v)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time such as 2025-07-14T09:30:00Z")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("must be an RFC 3339 time such as 2025-07-14T09:30:00Z")
	}
	t = t.UTC().Truncate(time.Microsecond) // the store's precision
	switch {
	case t.Before(EarliestAnalysisSession):
		return time.Time{}, fmt.Errorf("must not be before %s", EarliestAnalysisSession.Format(time.DateOnly))
	case t.After(now.Add(MaxAnalysisSessionAhead)):
		return time.Time{}, fmt.Errorf("must not be more than %d minutes in the future", int(MaxAnalysisSessionAhead.Minutes()))
	}
	return t, nil
}

// durationField takes a JSON number only: unlike the seeds' client
// fields, no existing integration sends it as a string.
func durationField(v any) (float64, error) {
	if v == nil {
		return 0, fmt.Errorf("required")
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("must be a number of seconds")
	}
	d, err := strconv.ParseFloat(n.String(), 64)
	if err != nil && !math.IsInf(d, 0) {
		return 0, fmt.Errorf("must be a number of seconds")
	}
	if !(d > 0 && d <= MaxAnalysisSessionDuration) {
		return 0, fmt.Errorf("must be more than 0 and at most %d seconds", MaxAnalysisSessionDuration)
	}
	return d, nil
}

// metricsField re-encodes a metrics object; null means none. Encoding
// without HTML escaping keeps strings as the caller wrote them.
func metricsField(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("must be a JSON object")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("must be a JSON object")
	}
	if b.Len()-1 > MaxMetricsBytes {
		return nil, &Error{Kind: KindTooLarge, Field: "metrics",
			Message: fmt.Sprintf("metrics: larger than %d bytes when encoded", MaxMetricsBytes)}
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
