package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"

	"roster"
)

// Migration 6 recomputes the stored keys with roster.EmailKey and
// roster.NameKey. Keys were strings.ToLower of the text before, and the
// name keys of clients older than migration 3 SQL's lower(), which folds
// ASCII only on SQLite. An ASCII email keeps its key: only rows with other
// characters change.
//
// Rows whose new email keys collide where a unique index forbids it —
// twins, such as "kate@example.com" and "ｋate@example.com" (a full-width
// k), or "straße@example.com" and "strasse@example.com" — do not fail the
// migration. One of each group keeps the key; the
// others are set aside (keyTable.setAside), and each is reported in the
// audit log ("<object>.email_twin") and as a warning in the migration's
// log. So is each email that today's rules refuse ("<object>.email_refused"),
// such as a Kelvin sign that strings.ToLower made a k of: it holds the key
// of an address it may not reach.
func rekeyEmails(ctx context.Context, tx *sql.Tx) error {
	// Pending codes and link invitations first: link invitations are
	// matched against their clients' old keys.
	if err := rekeyPending(ctx, tx); err != nil {
		return err
	}
	for _, t := range []*keyTable{&accountKeys, &clientKeys, &invitationKeys} {
		if err := t.rekey(ctx, tx); err != nil {
			return fmt.Errorf("rekey %s: %w", t.table, err)
		}
	}
	return rekeyClientNames(ctx, tx)
}

// keyed is a row whose email key is recomputed.
type keyed struct {
	id       int64
	uid      string // what reports name the row by
	scope    int64  // the organization the key is unique in; 0 for accounts
	email    string
	old, key string // the stored key and the new one
	unique   bool   // under the unique index (invitations: pending ones)
	verified bool   // accounts: the email is verified
	created  dbTime
}

// keyTable is a table whose email keys are recomputed.
type keyTable struct {
	table, column string // the key column
	scope         string // the column the key is unique within, "" for the whole table
	// columns select a keyed's fields, in its order.
	columns string
	// keeps reports whether a keeps the key rather than b when they are
	// twins.
	keeps func(a, b *keyed) bool
	// setAside does to a twin what it needs beside the reports, and
	// returns the key it gets.
	setAside func(ctx context.Context, tx *sql.Tx, twin, keeper *keyed) (string, error)
	// refuse, when set, does to a row under the unique index whose email
	// today's rules refuse what it needs (before twins are found: such a
	// row never keeps a key), and returns the key it gets; without it, the
	// row keeps its key and is only reported.
	refuse       func(ctx context.Context, tx *sql.Tx, r *keyed) (string, error)
	object       string   // object type in the audit log and the log
	fields       []string // what changes on a twin, for the audit log
	refuseFields []string // what changes on a refused row, for the audit log
}

// twinKey is the key of a twin set aside: no email's key can equal it,
// since EmailKey folds every capital letter away, so no sign-in, invitation
// or client finds the twin by email; and it names the row that kept the key
// and the twin's own uid, which makes it unique where the key must be.
func twinKey(twin, keeper *keyed) string { return "TWIN:" + keeper.uid + ":" + twin.uid }

// An account whose email today's rules refuse (a look-alike form such as
// "ｋate", or the Kelvin sign that strings.ToLower made a "k" of) never
// holds the key of the plain address: whoever verified the look-alike
// mailbox proved nothing about the plain one, so with that key it would
// list and accept the plain address's invitations and take its owner's
// place. It gets a key no email has and its sessions end, until an
// operator gives it an address of its own. Among the others, an account
// keeps the key if its email is verified (its owner proved they read it),
// else if it is the oldest; the rest cannot sign in with the email any
// more: their sessions end.
var accountKeys = keyTable{
	table: "accounts", column: "email_key",
	columns: `id, uid, 0, email, email_key, TRUE, email_verified_at IS NOT NULL, created_at`,
	keeps: func(a, b *keyed) bool {
		if a.verified != b.verified {
			return a.verified
		}
		return keepsPlainThenOldest(a, b)
	},
	setAside: func(ctx context.Context, tx *sql.Tx, twin, keeper *keyed) (string, error) {
		return twinKey(twin, keeper), revokeSignInSessions(ctx, tx, twin.id, systemNow())
	},
	refuse: func(ctx context.Context, tx *sql.Tx, r *keyed) (string, error) {
		return "REFUSED:" + r.uid, revokeSignInSessions(ctx, tx, r.id, systemNow())
	},
	object: "account", fields: []string{"email_key", "sessions"}, refuseFields: []string{"email_key", "sessions"},
}

// A client keeps the key if its email is plain, else if it is the oldest.
// The others stay in their organization's lists, linked to no account,
// until staff give them an email of their own or delete them.
var clientKeys = keyTable{
	table: "clients", column: "email_key", scope: "org_id",
	columns: `id, uid, org_id, email, email_key, TRUE, FALSE, created_at`,
	keeps:   keepsPlainThenOldest,
	setAside: func(ctx context.Context, tx *sql.Tx, twin, keeper *keyed) (string, error) {
		return twinKey(twin, keeper), nil
	},
	object: "client", fields: []string{"email_key"},
}

// Of pending invitations to one email, the newest stays pending and the
// others expire; their inviters can invite again. A pending invitation to
// an email that today's rules refuse expires too: the plain address's
// owner did not get its mail. Invitations have no uid: reports name them by
// the invitee's email, as their audit entries do.
var invitationKeys = keyTable{
	table: "invitations", column: "invitee_email_key", scope: "org_id",
	columns: `id, invitee_email, org_id, invitee_email, invitee_email_key, status = 'pending', FALSE, created_at`,
	keeps: func(a, b *keyed) bool {
		if c := a.created.Compare(b.created.Time); c != 0 {
			return c > 0
		}
		return a.id > b.id
	},
	setAside: func(ctx context.Context, tx *sql.Tx, twin, keeper *keyed) (string, error) {
		return twin.key, expireInvitation(ctx, tx, twin)
	},
	refuse: func(ctx context.Context, tx *sql.Tx, r *keyed) (string, error) {
		r.unique = false // no longer pending: it holds no place under the index
		return r.key, expireInvitation(ctx, tx, r)
	},
	object: "invitation", fields: []string{"status"}, refuseFields: []string{"status"},
}

func expireInvitation(ctx context.Context, tx *sql.Tx, r *keyed) error {
	_, err := tx.ExecContext(ctx, `UPDATE invitations SET status = 'expired' WHERE id = $1`, r.id)
	return err
}

// A client keeps the key if its email is plain, else if it is the oldest.
func keepsPlainThenOldest(a, b *keyed) bool {
	if ap, bp := roster.ValidateEmail(a.email) == nil, roster.ValidateEmail(b.email) == nil; ap != bp {
		return ap
	}
	if c := a.created.Compare(b.created.Time); c != 0 {
		return c < 0
	}
	return a.id < b.id
}

// rekey recomputes t's keys. Rows whose key stays need nothing; the ones
// whose key changes may collide with each other or with rows that keep
// theirs, found by key.
func (t *keyTable) rekey(ctx context.Context, tx *sql.Tx) error {
	var changed, refused []*keyed
	err := t.each(ctx, tx, "", nil, func(r *keyed) {
		if r.key != r.old {
			changed = append(changed, r)
		}
		if r.unique && roster.ValidateEmail(r.email) != nil {
			refused = append(refused, r)
		}
	})
	if err != nil {
		return err
	}
	if changed, err = t.refuseAll(ctx, tx, refused, changed); err != nil {
		return err
	}
	groups, err := t.twins(ctx, tx, changed)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if changed, err = t.setTwinsAside(ctx, tx, g, changed); err != nil {
			return err
		}
	}
	if err := t.write(ctx, tx, changed); err != nil {
		return err
	}
	return t.reportRefused(ctx, tx, refused)
}

// refuseAll applies t.refuse to the refused rows and returns changed with
// the rows whose key changes only now.
func (t *keyTable) refuseAll(ctx context.Context, tx *sql.Tx, refused, changed []*keyed) ([]*keyed, error) {
	if t.refuse == nil {
		return changed, nil
	}
	for _, r := range refused {
		moved := r.key != r.old // already among changed
		var err error
		if r.key, err = t.refuse(ctx, tx, r); err != nil {
			return nil, err
		}
		if !moved && r.key != r.old {
			changed = append(changed, r)
		}
	}
	return changed, nil
}

// each calls fn with each of t's rows that where selects, in id order.
func (t *keyTable) each(ctx context.Context, tx *sql.Tx, where string, args []any, fn func(*keyed)) error {
	if where != "" {
		where = ` WHERE ` + where
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+t.columns+` FROM `+t.table+where+` ORDER BY id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r := &keyed{}
		if err := rows.Scan(&r.id, &r.uid, &r.scope, &r.email, &r.old, &r.unique, &r.verified, &r.created); err != nil {
			return err
		}
		r.key = roster.EmailKey(r.email)
		fn(r)
	}
	return rows.Err()
}

// setTwinsAside sets aside the twins of group but its first and reports
// them, and returns changed with the twins whose key changes only now.
func (t *keyTable) setTwinsAside(ctx context.Context, tx *sql.Tx, group, changed []*keyed) ([]*keyed, error) {
	for _, twin := range group[1:] {
		held := twin.key == twin.old // it keeps its key otherwise: it is not among changed
		var err error
		if twin.key, err = t.setAside(ctx, tx, twin, group[0]); err != nil {
			return nil, err
		}
		if held && twin.key != twin.old {
			changed = append(changed, twin)
		}
	}
	return changed, t.report(ctx, tx, group)
}

// write stores the changed keys. Every row first lets go of its old key,
// so that no row takes a key that another still holds, whatever the order.
func (t *keyTable) write(ctx context.Context, tx *sql.Tx, changed []*keyed) error {
	set := `UPDATE ` + t.table + ` SET ` + t.column + ` = $1 WHERE id = $2`
	for _, r := range changed {
		if _, err := tx.ExecContext(ctx, set, "MIGRATING:"+strconv.FormatInt(r.id, 10), r.id); err != nil {
			return err
		}
	}
	for _, r := range changed {
		if _, err := tx.ExecContext(ctx, set, r.key, r.id); err != nil {
			return err
		}
	}
	return nil
}

// twins returns the groups of rows under the unique index whose new keys
// collide, each sorted by t.keeps: the first keeps the key. A changed row
// collides with other changed rows and with the rows that keep the key it
// gets.
func (t *keyTable) twins(ctx context.Context, tx *sql.Tx, changed []*keyed) ([][]*keyed, error) {
	type place struct {
		scope int64
		key   string
	}
	moving := make(map[int64]bool, len(changed))
	for _, r := range changed {
		moving[r.id] = true
	}
	at := make(map[place][]*keyed)
	var places []place
	for _, r := range changed {
		if !r.unique {
			continue
		}
		p := place{r.scope, r.key}
		if _, seen := at[p]; !seen {
			where, args := t.column+` = $1`, []any{r.key}
			if t.scope != "" {
				where, args = where+` AND `+t.scope+` = $2`, append(args, r.scope)
			}
			var held []*keyed
			err := t.each(ctx, tx, where, args, func(h *keyed) {
				if h.unique && !moving[h.id] {
					held = append(held, h)
				}
			})
			if err != nil {
				return nil, err
			}
			at[p], places = held, append(places, p)
		}
		at[p] = append(at[p], r)
	}
	var groups [][]*keyed
	for _, p := range places {
		if g := at[p]; len(g) > 1 {
			slices.SortFunc(g, func(a, b *keyed) int {
				if t.keeps(a, b) {
					return -1
				}
				return 1
			})
			groups = append(groups, g)
		}
	}
	return groups, nil
}

// report records a group of twins: an audit entry per twin set aside, in
// the organization's log for clients and invitations (so that its staff
// see it) and outside any for accounts, and a warning in the migration's
// log.
func (t *keyTable) report(ctx context.Context, tx *sql.Tx, group []*keyed) error {
	keeper, set := group[0], make([]string, 0, len(group)-1)
	for _, twin := range group[1:] {
		if err := audit(ctx, tx, roster.OrgID(twin.scope), t.object+".email_twin", t.object, twin.uid, t.fields...); err != nil {
			return err
		}
		set = append(set, twin.uid)
	}
	migrationLog(ctx).Warn("email twins: rows whose emails now have one key; one keeps it, the others are set aside",
		"object", t.object, "organization_id", keeper.scope, "kept", keeper.uid, "set_aside", set)
	return nil
}

// reportRefused reports the rows (pending ones, for invitations) whose
// email ValidateEmail refuses today, as an audit entry and a warning each:
// mail to such an address, as a look-alike form of another (the Kelvin
// sign for a K), may reach another mailbox than the one its key stands
// for. Accounts and invitations were set aside (t.refuse); clients keep
// their key, since only a verified account that holds the plain key can
// link them, and their staff decide.
func (t *keyTable) reportRefused(ctx context.Context, tx *sql.Tx, refused []*keyed) error {
	fields := t.refuseFields
	if fields == nil {
		fields = []string{"email"}
	}
	for _, r := range refused {
		if err := audit(ctx, tx, roster.OrgID(r.scope), t.object+".email_refused", t.object, r.uid, fields...); err != nil {
			return err
		}
		migrationLog(ctx).Warn("a stored email that is refused today: mail to it may reach another mailbox than its key stands for",
			"object", t.object, "organization_id", r.scope, "uid", r.uid, "reason", roster.ValidateEmail(r.email).Error())
	}
	return nil
}

// rekeyPending gives the codes mailed (sign-ups, resets) the new keys of
// their emails, and the link invitations of each client's current email
// (those whose key is the client's) the new key of that email. A twin set
// aside then cannot use them: its key is no email's, and a code or link
// invitation is good only while its key is its account's or client's.
func rekeyPending(ctx context.Context, tx *sql.Tx) error {
	if err := recompute(ctx, tx, `SELECT token_hash, email, email_key FROM email_tokens`,
		`UPDATE email_tokens SET email_key = $1 WHERE token_hash = $2`, roster.EmailKey); err != nil {
		return err
	}
	return recompute(ctx, tx, `SELECT li.id, c.email, li.email_key
		FROM link_invitations li JOIN clients c ON c.id = li.client_id WHERE li.email_key = c.email_key`,
		`UPDATE link_invitations SET email_key = $1 WHERE id = $2`, roster.EmailKey)
}

// rekeyClientNames recomputes the clients' name keys, which need not be
// unique.
func rekeyClientNames(ctx context.Context, tx *sql.Tx) error {
	return recompute(ctx, tx, `SELECT id, display_name, name_key FROM clients`,
		`UPDATE clients SET name_key = $1 WHERE id = $2`, roster.NameKey)
}

// recompute reads the rows of query (an id, the text a key is made of, the
// stored key) and, where keyOf makes another key of the text, sets it with
// update ($1 the key, $2 the id). Only the changes are held.
func recompute(ctx context.Context, tx *sql.Tx, query, update string, keyOf func(string) string) error {
	type change struct {
		id  any
		key string
	}
	var changes []change
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c change
		var text, old string
		if err := rows.Scan(&c.id, &text, &old); err != nil {
			return err
		}
		if c.key = keyOf(text); c.key != old {
			changes = append(changes, c)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	rows.Close()
	for _, c := range changes {
		if _, err := tx.ExecContext(ctx, update, c.key, c.id); err != nil {
			return err
		}
	}
	return nil
}
