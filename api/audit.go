package api

import (
	"net/http"
	"strconv"
	"time"

	"roster"
)

type auditJSON struct {
	ID         int64     `json:"id"`
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
// page at a time: next_before_id is the before_id of the next page, 0 at
// the end.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	q, err := params(r, []string{"limit", "before_id", "actor_uid", "object_uid", "action", "since", "until"})
	if err != nil {
		return err
	}
	limit, err := intParam(q, "limit", defaultAuditLimit, 1, maxLimit)
	if err != nil {
		return err
	}
	f := roster.AuditFilter{ActorUID: q["actor_uid"], ObjectUID: q["object_uid"], Action: q["action"], Limit: limit}
	if v := q["before_id"]; v != "" {
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || f.BeforeID < 1 {
			return invalid("before_id: must be a positive integer, the next_before_id of the previous page")
		}
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
	out := struct {
		Entries      []auditJSON `json:"entries"`
		NextBeforeID int64       `json:"next_before_id"`
	}{Entries: make([]auditJSON, len(entries))}
	for i, e := range entries {
		out.Entries[i] = auditJSON{ID: e.ID, At: timeJSON(e.At), Action: e.Action, ObjectType: e.ObjectType,
			ObjectUID: e.ObjectUID, Fields: e.Fields,
			Actor: actorJSON{UID: e.Actor.UID, Kind: e.Actor.Kind, KeyID: e.Actor.KeyID, RemoteAddr: e.Actor.RemoteAddr}}
	}
	if len(entries) == limit {
		out.NextBeforeID = entries[len(entries)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
