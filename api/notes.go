package api

import (
	"net/http"

	"roster"
)

// noteVersionJSON is one version of a client's note in its history.
type noteVersionJSON struct {
	UID        string  `json:"uid"`
	Text       *string `json:"text"`
	Visibility string  `json:"visibility"`
	AuthorUID  string  `json:"author_uid"`
	CreatedAt  string  `json:"created_at"`
}

type noteHistoryJSON struct {
	Notes   []noteVersionJSON `json:"notes"`
	LastUID string            `json:"last_uid"`
}

// defaultNoteHistoryLimit is the history page's size unless asked.
const defaultNoteHistoryLimit = 20

// noteHistory lists the versions of a client's note the caller may see,
// newest first.
func (s *Server) noteHistory(w http.ResponseWriter, r *http.Request) error {
	v, err := params(r, []string{"start_after_id", "limit"})
	if err != nil {
		return err
	}
	limit, err := intParam(v, "limit", defaultNoteHistoryLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	after, err := uidParam(v, "start_after_id")
	if err != nil {
		return err
	}
	uid := r.PathValue("user_uid")
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	p := principal(r)
	versions, err := s.store.NoteHistory(r.Context(), p.OrgID, uid, p, after, limit)
	if err != nil {
		return err
	}
	out := noteHistoryJSON{Notes: make([]noteVersionJSON, len(versions))}
	for i, n := range versions {
		out.Notes[i] = noteVersionJSON{UID: n.UID, Text: n.Text, Visibility: n.Visibility, AuthorUID: n.AuthorUID,
			CreatedAt: timeJSON(n.CreatedAt)}
	}
	if len(versions) > 0 {
		out.LastUID = versions[len(versions)-1].UID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// addNote saves a version of a client's note: {"text", "visibility"}. An
// organization version is also the client's note, as save-notes writes it.
func (s *Server) addNote(w http.ResponseWriter, r *http.Request) error {
	uid := r.PathValue("user_uid")
	in, err := readJSONOnly(w, r)
	if err != nil {
		return err
	}
	raw, ok := in["text"]
	delete(in, "text")
	visibility, err := roster.ParseNoteVisibility(in["visibility"])
	delete(in, "visibility")
	if err != nil {
		return err
	}
	for k := range in {
		return invalid("%s: unknown field; accepted: text, visibility", k)
	}
	text, isString := raw.(string)
	switch {
	case !ok || raw == nil || isString && text == "":
		return invalid("text: required")
	case !isString:
		return invalid("text: must be a string")
	}
	note, err := roster.ParseNoteField("text", text)
	if err != nil {
		return err
	}
	if !roster.ValidUID(uid) {
		return roster.ErrClientNotFound
	}
	if err := s.store.AddNote(r.Context(), principal(r).OrgID, uid, note, visibility); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, message{"Note saved."})
	return nil
}
