package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"

	"roster"
)

// Session pages hold 20 sessions unless asked otherwise, and never more
// than maxLimit.
const defaultSessionLimit = 20

// sessionJSON is an analysis session as the API shows it.
type sessionJSON struct {
	SessionUID string          `json:"session_uid"`
	UserUID    string          `json:"user_uid"`
	Activity   string          `json:"activity"`
	Time       string          `json:"time"`
	Duration   float64         `json:"duration"`
	Metrics    json.RawMessage `json:"metrics,omitempty"`
	CreatedAt  string          `json:"created_at"`
}

func toSessionJSON(a *roster.AnalysisSession) sessionJSON {
	return sessionJSON{SessionUID: a.UID, UserUID: a.ClientUID, Activity: a.Activity, Time: timeJSON(a.Time),
		Duration: a.Duration, Metrics: a.Metrics, CreatedAt: timeJSON(a.CreatedAt)}
}

type sessionRecordedJSON struct {
	Session       sessionJSON `json:"session"`
	SessionNumber int64       `json:"session_number"` // sessions the organization has left
}

func (s *Server) recordSession(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	fields, err := readJSONOnly(w, r)
	if err != nil {
		return err
	}
	now := s.now()
	a, err := roster.NewAnalysisSession(fields, now)
	if err != nil {
		return err
	}
	uid := r.PathValue("user_uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	a.UID, a.CreatedBy, a.CreatedAt = roster.NewUID(now), p.AccountUID, now
	remaining, err := s.store.RecordSession(r.Context(), p.OrgID, uid, &a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sessionRecordedJSON{Session: toSessionJSON(&a), SessionNumber: remaining})
	return nil
}

type sessionPageJSON struct {
	Sessions []sessionJSON `json:"sessions"`
	LastUID  string        `json:"last_uid"` // pass as start_after_id for the next page; "" on an empty page
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	after, limit, err := parseSessionPage(q)
	if err != nil {
		return err
	}
	uid := r.PathValue("user_uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	sessions, err := s.store.ClientSessions(r.Context(), principal(r).OrgID, uid, after, limit)
	if err != nil {
		return err
	}
	out := sessionPageJSON{Sessions: make([]sessionJSON, len(sessions))}
	for i := range sessions {
		out.Sessions[i] = toSessionJSON(&sessions[i])
	}
	if len(sessions) > 0 {
		out.LastUID = sessions[len(sessions)-1].UID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseSessionPage reads start_after_id and limit, refusing anything else
// as the filter does, so that a typo is not a silently ignored parameter.
func parseSessionPage(q map[string][]string) (after string, limit int, err error) {
	for k, vs := range q {
		if !slices.Contains([]string{"start_after_id", "limit"}, k) {
			return "", 0, invalid("%s: unknown query parameter; accepted are start_after_id and limit", k)
		}
		if len(vs) > 1 {
			return "", 0, invalid("%s: given more than once", k)
		}
	}
	limit = defaultSessionLimit
	if vs := q["limit"]; len(vs) > 0 {
		if limit, err = strconv.Atoi(vs[0]); err != nil || limit < 1 || limit > maxLimit {
			return "", 0, invalid("limit: must be an integer from 1 to %d", maxLimit)
		}
	}
	if vs := q["start_after_id"]; len(vs) > 0 {
		if after = vs[0]; !roster.ValidUID(after) {
			return "", 0, invalid("start_after_id: not a valid uid")
		}
	}
	return after, limit, nil
}
