package api

import (
	"net/http"

	"roster"
	"roster/store"
)

// coachesJSON is a client's coaches after an assignment changed.
type coachesJSON struct {
	UserUID   string   `json:"user_uid"`
	CoachUIDs []string `json:"coach_uids"`
}

func (s *Server) assignCoach(w http.ResponseWriter, r *http.Request) error {
	return s.setCoach(w, r, true)
}
func (s *Server) unassignCoach(w http.ResponseWriter, r *http.Request) error {
	return s.setCoach(w, r, false)
}

// setCoach assigns or unassigns the staff member coach_uid as a coach of
// the client of the path. The store decides who may: the Owner and the
// Admins whose scope is all (see store.SetCoach).
func (s *Server) setCoach(w http.ResponseWriter, r *http.Request, assigned bool) error {
	uid := r.PathValue("user_uid")
	f, err := readStrings(w, r, []string{"coach_uid"})
	if err != nil {
		return err
	}
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	if !roster.ValidUID(f["coach_uid"]) {
		return store.ErrCoachNotFound
	}
	coaches, err := s.store.SetCoach(r.Context(), principal(r).OrgID, uid, f["coach_uid"], assigned)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, coachesJSON{UserUID: uid, CoachUIDs: coaches})
	return nil
}
