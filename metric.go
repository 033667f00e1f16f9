package roster

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// Metric is one entry of a client's metric history: the value a field
// with UseHistory took at RecordedAt, set by RecordedBy (an account's uid,
// or "" for the operator).
type Metric struct {
	UID        string
	Field      string // the field's API name: height, weight, ycom, leg_length, shoeSize
	Value      float64
	RecordedAt time.Time
	RecordedBy string
}

// MetricFilter selects a page of a client's history, oldest first. Zero
// values do not filter; To is exclusive.
type MetricFilter struct {
	Field      string
	From, To   time.Time
	StartAfter string // the uid of the last entry of the page before
	Limit      int
}

// HistoryField returns the field with metric history named name.
func HistoryField(name string) (Field, error) {
	f, ok := FieldNamed(name)
	if !ok || !Fields[f].Uses.Has(UseHistory) {
		return 0, FieldErrorf("field", "must be one of %s", historyNames)
	}
	return f, nil
}

var historyNames = strings.Join(FieldNames(UseHistory), ", ")

// HistoryFields are the fields with UseHistory.
var HistoryFields = func() FieldSet {
	var set FieldSet
	for i, spec := range Fields {
		if spec.Uses.Has(UseHistory) {
			set |= FieldsOf(Field(i))
		}
	}
	return set
}()

// NewMetric validates a measurement to record, as POST
// .../{user_uid}/metrics carries it: field and value are required, value
// within the field's bounds, recorded_at an RFC 3339 time, now if absent,
// and not more than MaxAnalysisSessionAhead ahead of now.
func NewMetric(raw map[string]any, now time.Time) (Metric, error) {
	m := Metric{RecordedAt: now}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		if name != "field" && name != "value" && name != "recorded_at" {
			return Metric{}, Errorf(KindInvalid, "%s: unknown field; accepted are field, value and recorded_at", name)
		}
	}
	name, ok := raw["field"].(string)
	if !ok {
		if _, given := raw["field"]; !given {
			return Metric{}, FieldErrorf("field", "required")
		}
		return Metric{}, FieldErrorf("field", "must be a string")
	}
	field, err := HistoryField(name)
	if err != nil {
		return Metric{}, err
	}
	m.Field = name
	if isEmpty(raw["value"]) {
		return Metric{}, FieldErrorf("value", "required")
	}
	var f ClientFields
	if err := Fields[field].parse(&f, raw["value"]); err != nil {
		return Metric{}, FieldErrorf("value", "%v", err)
	}
	m.Value = **Fields[field].ref(&f).(**float64)
	if at, given := raw["recorded_at"]; given {
		if m.RecordedAt, err = timeField(at, now); err != nil {
			return Metric{}, FieldErrorf("recorded_at", "%v", err)
		}
	}
	return m, nil
}

// Metrics are the entries of history that the fields of f hold, as set
// at at by by: one for each field with UseHistory that has a value, in
// the registry's order, without uids.
func Metrics(f *ClientFields, at time.Time, by string) []Metric {
	var ms []Metric
	for _, spec := range FieldsFor(UseHistory) {
		if v := *spec.ref(f).(**float64); v != nil {
			ms = append(ms, Metric{Field: spec.Name, Value: *v, RecordedAt: at, RecordedBy: by})
		}
	}
	return ms
}

// ChangedMetrics are the entries of history of an update from before: one
// for each field with UseHistory that u sets to a value other than
// before's. Clearing a value records nothing: history holds measurements.
func ChangedMetrics(before *ClientFields, u *ClientUpdate, at time.Time, by string) []Metric {
	var ms []Metric
	for _, m := range Metrics(&u.ClientFields, at, by) {
		f, _ := FieldNamed(m.Field)
		if !u.Set.Has(f) {
			continue
		}
		if old := *Fields[f].ref(before).(**float64); old == nil || *old != m.Value {
			ms = append(ms, m)
		}
	}
	return ms
}
