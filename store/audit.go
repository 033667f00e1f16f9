package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"roster"
)

// audit records a change in the transaction that makes it, with the actor
// of ctx. org is 0 for a change outside any organization (an account's
// own). fields are names only.
func audit(ctx context.Context, tx *sql.Tx, org roster.OrgID, action, objectType, objectUID string, fields ...string) error {
	t := systemNow()
	e := auditEntry{actor: roster.ActorFrom(ctx), org: org, action: action, objectType: objectType, objectUID: objectUID, fields: fields}
	values, err := e.values(roster.NewUID(t), t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES (`+placeholders(1, auditWidth)+`)`,
		values...)
	return err
}

// auditColumns are what an entry is written with. uid is the entry's id
// for the API: the INTEGER key counts every organization's entries, so it
// never leaves the store.
const (
	auditColumns = `uid, org_id, at, actor_uid, actor_kind, actor_key, action, object_type, object_uid, fields, remote_addr`
	auditWidth   = 11
)

// auditEntry is a change to record; fields are names only.
type auditEntry struct {
	actor                         roster.Actor
	org                           roster.OrgID
	action, objectType, objectUID string
	fields                        []string
}

// values are the entry's values, in auditColumns' order.
func (e auditEntry) values(uid string, at time.Time) ([]any, error) {
	fields := slices.Compact(slices.Sorted(slices.Values(e.fields)))
	names, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	if fields == nil {
		names = []byte("[]")
	}
	var orgID any
	if e.org != 0 {
		orgID = e.org
	}
	return []any{uid, orgID, dbTime{at}, e.actor.UID, e.actor.Kind, e.actor.KeyID, e.action, e.objectType, e.objectUID,
		string(names), truncateUTF8(e.actor.RemoteAddr, 100)}, nil
}

// clientEntries are the entries of clients created by the actor of ctx.
func clientEntries(ctx context.Context, org roster.OrgID, action string, clients []*roster.Client) []auditEntry {
	entries := make([]auditEntry, len(clients))
	for i, c := range clients {
		entries[i] = auditEntry{actor: roster.ActorFrom(ctx), org: org, action: action, objectType: "client",
			objectUID: c.UID, fields: c.ClientFields.Present()}
	}
	return entries
}

// insertAudit records many changes with one INSERT, for imports and
// batches of creates.
func (s *Store) insertAudit(ctx context.Context, tx *sql.Tx, entries []auditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	query, args, err := s.auditInsert(entries)
	if err != nil {
		return err
	}
	return s.execInsert(ctx, tx, query, args)
}

// auditInsert is the INSERT that records entries, one or more, with its
// arguments. The uids are one block, in the entries' order, so that the log
// lists them as if they had been made one by one.
func (s *Store) auditInsert(entries []auditEntry) (string, []any, error) {
	t := systemNow()
	uid := roster.NewUIDs(t, len(entries))
	args := make([]any, 0, auditWidth*len(entries))
	for i, e := range entries {
		values, err := e.values(uid(i), t)
		if err != nil {
			return "", nil, err
		}
		args = append(args, values...)
	}
	return `INSERT INTO audit_log (` + auditColumns + `) VALUES ` + s.valueLists(auditWidth, len(entries)), args, nil
}

// AuditLog returns one keyset page of the organization's audit log, newest
// first. Each filter has an index on (org_id, its column, uid).
func (s *Store) AuditLog(ctx context.Context, org roster.OrgID, f roster.AuditFilter) ([]roster.AuditEntry, error) {
	w := newWhere("org_id", org)
	for _, c := range []struct{ column, value string }{{"actor_uid", f.ActorUID}, {"object_uid", f.ObjectUID}, {"action", f.Action}} {
		if c.value != "" {
			w.and(c.column + " = " + w.arg(c.value))
		}
	}
	if !f.Since.IsZero() {
		w.and("at >= " + w.arg(dbTime{f.Since}))
	}
	if !f.Until.IsZero() {
		w.and("at < " + w.arg(dbTime{f.Until}))
	}
	if f.BeforeID != "" {
		w.and("uid < " + w.arg(f.BeforeID))
	}
	args := w.args
	rows, err := s.query(ctx, `SELECT uid, at, actor_uid, actor_kind, actor_key, action, object_type, object_uid, fields, remote_addr
		FROM audit_log WHERE `+w.String()+` ORDER BY uid DESC LIMIT `+s.limit(&args, f.Limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var log []roster.AuditEntry
	for rows.Next() {
		var e roster.AuditEntry
		var at dbTime
		var fields string
		if err := rows.Scan(&e.ID, &at, &e.Actor.UID, &e.Actor.Kind, &e.Actor.KeyID, &e.Action, &e.ObjectType, &e.ObjectUID,
			&fields, &e.Actor.RemoteAddr); err != nil {
			return nil, err
		}
		e.At = at.Time
		if err := json.Unmarshal([]byte(fields), &e.Fields); err != nil {
			return nil, err
		}
		log = append(log, e)
	}
	return log, rows.Err()
}
