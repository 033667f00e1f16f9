package api

import (
	"net/http"
	"time"

	"roster"
)

type auditJSON struct {
	ID         string    `json:"id"`
	At         string    `json:"at"`
	Actor      actorJSON `json:"actor"`
	Action     string    `json:"action"`
	ObjectType string    `json:"object_type"`
	ObjectUID  string    `json:"object_uid"`
	Fields     []string  `json:"fields"`
}

type actorJSON struct {
	UID        string `json:"uid"`
	Kind       string `json:"kind"`
	KeyID      string `json:"key_id,omitempty"`
	RemoteAddr string `json:"remote_addr"`
}

const defaultAuditLimit = 50

// auditLog answers the organization's audit log, newest first, a keyset
// page at a time: next_before_id is the before_id of the next page, "" when
// no older entry is left. Entries are named by their uids, which tell
// nothing of other organizations' activity, as a count would.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	q, err := params(r, []string{"limit", "before_id", "actor_uid", "object_uid", "action", "since", "until"})
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", defaultAuditLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	// One entry more than the page tells whether another page follows.
	f := roster.AuditFilter{ActorUID: q["actor_uid"], ObjectUID: q["object_uid"], Action: q["action"], Limit: limit + 1}
	if f.BeforeID = q["before_id"]; f.BeforeID != "" && !roster.IsNewUID(f.BeforeID) {
		return invalid("before_id: must be an entry's id, 20 letters and digits, such as the previous page's next_before_id")
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q[name]; v != "" {
			if *dst, err = time.Parse(time.RFC3339, v); err != nil {
				return invalid("%s: must be an RFC 3339 time such as 2026-01-31T00:00:00Z", name)
			}
		}
	}
	entries, err := s.store.AuditLog(r.Context(), principal(r).OrgID, f)
	if err != nil {
		return err
	}
	entries, next := nextPage(entries, limit, func(e roster.AuditEntry) string { return e.ID })
	out := struct {
		Entries      []auditJSON `json:"entries"`
		NextBeforeID string      `json:"next_before_id"`
	}{Entries: make([]auditJSON, len(entries)), NextBeforeID: next}
	for i, e := range entries {
		out.Entries[i] = auditJSON{ID: e.ID, At: timeJSON(e.At), Action: e.Action, ObjectType: e.ObjectType,
			ObjectUID: e.ObjectUID, Fields: e.Fields,
			Actor: actorJSON{UID: e.Actor.UID, Kind: e.Actor.Kind, KeyID: e.Actor.KeyID, RemoteAddr: e.Actor.RemoteAddr}}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// beforePage reads the query of a page that takes only limit, def when
// absent, and before_id, the id of the last item of the previous page,
// which valid checks; what names such an id in the error.
func beforePage(r *http.Request, def int, valid func(string) bool, what string) (limit int, before string, err error) {
	q, err := params(r, []string{"limit", "before_id"})
	if err != nil {
		return 0, "", err
	}
	if limit, err = intParam(q, "limit", def, 1, maxLimit); err != nil {
		return 0, "", err
	}
	if before = q["before_id"]; before != "" && !valid(before) {
		return 0, "", invalid("before_id: must be %s, such as the previous page's next_before_id", what)
	}
	return limit, before, nil
}

// nextPage cuts list, read with one item more than limit to tell whether
// another page follows, to its page, and returns the next page's
// before_id: the id of the page's last item, "" when none follows.
func nextPage[T any](list []T, limit int, id func(T) string) ([]T, string) {
	if len(list) <= limit {
		return list, ""
	}
	return list[:limit], id(list[limit-1])
}
