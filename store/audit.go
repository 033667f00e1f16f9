package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"roster"
)

// audit records a change in the transaction that makes it, with the actor
// of ctx. org is 0 for a change outside any organization (an account's
// own). fields are names only.
func audit(ctx context.Context, tx *sql.Tx, org roster.OrgID, action, objectType, objectUID string, fields ...string) error {
	values, err := auditValues(ctx, org, action, objectType, objectUID, fields)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		values...)
	return err
}

const auditColumns = `org_id, at, actor_uid, actor_kind, actor_key, action, object_type, object_uid, fields, remote_addr`

// auditValues are one entry's values, in auditColumns' order.
func auditValues(ctx context.Context, org roster.OrgID, action, objectType, objectUID string, fields []string) ([]any, error) {
	a := roster.ActorFrom(ctx)
	fields = slices.Compact(slices.Sorted(slices.Values(fields)))
	names, err := json.Marshal(fields)
	if err != nil {
		return nil, err
	}
	if fields == nil {
		names = []byte("[]")
	}
	var orgID any
	if org != 0 {
		orgID = org
	}
	return []any{orgID, dbTime{now()}, a.UID, a.Kind, a.KeyID, action, objectType, objectUID, string(names),
		truncateUTF8(a.RemoteAddr, 100)}, nil
}

// auditClients records the creation of many clients with one INSERT, for
// imports.
func (s *Store) auditClients(ctx context.Context, tx *sql.Tx, org roster.OrgID, action string, clients []*roster.Client) error {
	args := make([]any, 0, 10*len(clients))
	for _, c := range clients {
		values, err := auditValues(ctx, org, action, "client", c.UID, c.ClientFields.Present())
		if err != nil {
			return err
		}
		args = append(args, values...)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (`+auditColumns+`) VALUES `+s.valueLists(10, len(clients)), args...)
	return err
}

// AuditLog returns one keyset page of the organization's audit log, newest
// first.
func (s *Store) AuditLog(ctx context.Context, org roster.OrgID, f roster.AuditFilter) ([]roster.AuditEntry, error) {
	where, args := "org_id = $1", []any{org}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND "+cond, len(args))
	}
	if f.ActorUID != "" {
		add("actor_uid = $%d", f.ActorUID)
	}
	if f.ObjectUID != "" {
		add("object_uid = $%d", f.ObjectUID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", dbTime{f.Since})
	}
	if !f.Until.IsZero() {
		add("at < $%d", dbTime{f.Until})
	}
	if f.BeforeID != 0 {
		add("id < $%d", f.BeforeID)
	}
	rows, err := s.query(ctx, `SELECT id, at, actor_uid, actor_kind, actor_key, action, object_type, object_uid, fields, remote_addr
		FROM audit_log WHERE `+where+` ORDER BY id DESC LIMIT `+s.limit(&args, f.Limit), args...)
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
