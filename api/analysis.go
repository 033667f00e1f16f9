package api

import (
	"context"
	"encoding/json"
	"net/http"

	"roster"
)

// Session pages hold 20 sessions unless asked otherwise, and never more
// than maxLimit.
const defaultAnalysisSessionLimit = 20

// analysisSessionJSON is an analysis session as the API shows it.
type analysisSessionJSON struct {
	SessionUID string          `json:"session_uid"`
	UserUID    string          `json:"user_uid"`
	Activity   string          `json:"activity"`
	Time       string          `json:"time"`
	Duration   float64         `json:"duration"`
	Metrics    json.RawMessage `json:"metrics,omitempty"`
	CreatedAt  string          `json:"created_at"`
}

func toAnalysisSessionJSON(a *roster.AnalysisSession) analysisSessionJSON {
	return analysisSessionJSON{SessionUID: a.UID, UserUID: a.ClientUID, Activity: a.Activity, Time: timeJSON(a.Time),
		Duration: a.Duration, Metrics: a.Metrics, CreatedAt: timeJSON(a.CreatedAt)}
}

type analysisSessionRecordedJSON struct {
	Session       analysisSessionJSON `json:"session"`
	SessionNumber int64               `json:"session_number"` // sessions the organization has left
}

func (s *Server) recordAnalysisSession(w http.ResponseWriter, r *http.Request) error {
	fields, err := readJSONOnly(w, r)
	if err != nil {
		return err
	}
	a, remaining, err := s.RecordAnalysisSession(r.Context(), principal(r), r.PathValue("user_uid"), fields)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, analysisSessionRecordedJSON{Session: toAnalysisSessionJSON(&a), SessionNumber: remaining})
	return nil
}

// RecordAnalysisSession records a session with the raw fields for the
// client uid of p's organization, as POST .../{user_uid}/sessions does (and
// the console's form), and returns it with the sessions the organization
// has left.
func (s *Server) RecordAnalysisSession(ctx context.Context, p roster.Principal, uid string, raw map[string]any) (roster.AnalysisSession, int64, error) {
	now := s.now()
	a, err := roster.NewAnalysisSession(raw, now)
	if err != nil {
		return a, 0, err
	}
	if !roster.ValidUID(uid) {
		return a, 0, roster.ErrClientNotFound
	}
	a.UID, a.CreatedBy, a.CreatedAt = roster.NewUID(now), p.AccountUID, now
	remaining, err := s.store.RecordAnalysisSession(ctx, p.OrgID, uid, &a)
	return a, remaining, err
}

type analysisSessionPageJSON struct {
	Sessions []analysisSessionJSON `json:"sessions"`
	LastUID  string                `json:"last_uid"` // pass as start_after_id for the next page; "" on an empty page
}

func (s *Server) listAnalysisSessions(w http.ResponseWriter, r *http.Request) error {
	after, limit, err := parseAnalysisSessionPage(r)
	if err != nil {
		return err
	}
	uid := r.PathValue("user_uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	sessions, err := s.store.ClientAnalysisSessions(r.Context(), principal(r).OrgID, uid, after, limit)
	if err != nil {
		return err
	}
	out := analysisSessionPageJSON{Sessions: make([]analysisSessionJSON, len(sessions))}
	for i := range sessions {
		out.Sessions[i] = toAnalysisSessionJSON(&sessions[i])
	}
	if len(sessions) > 0 {
		out.LastUID = sessions[len(sessions)-1].UID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseAnalysisSessionPage reads start_after_id and limit.
func parseAnalysisSessionPage(r *http.Request) (after string, limit int, err error) {
	v, err := params(r, []string{"start_after_id", "limit"})
	if err != nil {
		return "", 0, err
	}
	if limit, err = intParam(v, "limit", defaultAnalysisSessionLimit, 1, maxLimit); err != nil {
		return "", 0, err
	}
	after, err = uidParam(v, "start_after_id")
	return after, limit, err
}
