package api

import (
	"context"
	"net/http"

	"roster"
)

// History pages hold 100 entries unless asked otherwise, and never more
// than maxLimit: a year of weekly weigh-ins in two pages.
const defaultMetricLimit = maxLimit

// metricJSON is an entry of a client's metric history as the API shows it.
// value is a JSON number for every field, shoeSize included.
type metricJSON struct {
	UID        string  `json:"uid"`
	Field      string  `json:"field"`
	Value      float64 `json:"value"`
	RecordedAt string  `json:"recorded_at"`
	RecordedBy string  `json:"recorded_by"`
}

func toMetricJSON(m *roster.Metric) metricJSON {
	return metricJSON{UID: m.UID, Field: m.Field, Value: m.Value, RecordedAt: timeJSON(m.RecordedAt), RecordedBy: m.RecordedBy}
}

// appendMetricJSON appends an entry as metricJSON shows it, for the
// export, which writes its clients by hand (clientJSON).
func appendMetricJSON(b []byte, m *roster.Metric) []byte {
	b = appendJSONString(append(b, `{"uid":`...), m.UID)
	b = appendJSONString(append(b, `,"field":`...), m.Field)
	b = appendJSONFloat(append(b, `,"value":`...), m.Value)
	b = appendJSONString(append(b, `,"recorded_at":`...), timeJSON(m.RecordedAt))
	b = appendJSONString(append(b, `,"recorded_by":`...), m.RecordedBy)
	return append(b, '}')
}

func (s *Server) recordMetric(w http.ResponseWriter, r *http.Request) error {
	fields, err := readJSONOnly(w, r)
	if err != nil {
		return err
	}
	m, err := s.RecordMetric(r.Context(), principal(r), r.PathValue("user_uid"), fields)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toMetricJSON(&m))
	return nil
}

// RecordMetric records a measurement from the raw fields for the client
// uid of p's organization, as POST .../{user_uid}/metrics does, and
// returns the entry stored.
func (s *Server) RecordMetric(ctx context.Context, p roster.Principal, uid string, raw map[string]any) (roster.Metric, error) {
	now := s.now()
	m, err := roster.NewMetric(raw, now)
	if err != nil {
		return m, err
	}
	if !roster.ValidUID(uid) {
		return m, roster.ErrClientNotFound
	}
	m.UID, m.RecordedBy = roster.NewUID(now), p.AccountUID
	return m, s.store.RecordMetric(ctx, p.OrgID, uid, m)
}

type metricPageJSON struct {
	Metrics []metricJSON `json:"metrics"`
	LastUID string       `json:"last_uid"` // pass as start_after_id for the next page; "" on an empty page
}

func (s *Server) listMetrics(w http.ResponseWriter, r *http.Request) error {
	f, err := parseMetricFilter(r)
	if err != nil {
		return err
	}
	uid := r.PathValue("user_uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	entries, err := s.store.ClientMetrics(r.Context(), principal(r).OrgID, uid, f)
	if err != nil {
		return err
	}
	out := metricPageJSON{Metrics: make([]metricJSON, len(entries))}
	for i := range entries {
		out.Metrics[i] = toMetricJSON(&entries[i])
	}
	if len(entries) > 0 {
		out.LastUID = entries[len(entries)-1].UID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseMetricFilter reads field, from and to (dates, both inclusive),
// start_after_id and limit.
func parseMetricFilter(r *http.Request) (roster.MetricFilter, error) {
	var f roster.MetricFilter
	v, err := params(r, []string{"field", "from", "to", "start_after_id", "limit"})
	if err != nil {
		return f, err
	}
	if f.Field = v["field"]; f.Field != "" {
		if _, err := roster.HistoryField(f.Field); err != nil {
			return f, err
		}
	}
	if f.From, err = parseDate(v["from"], "from"); err != nil {
		return f, err
	}
	if f.To, err = parseDate(v["to"], "to"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1) // inclusive end date
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, invalid("from: must not be after to")
	}
	if f.Limit, err = intParam(v, "limit", defaultMetricLimit, 1, maxLimit); err != nil {
		return f, err
	}
	f.StartAfter, err = uidParam(v, "start_after_id")
	return f, err
}
