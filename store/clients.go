package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"roster"
)

// clientColumns are a client's columns in scanClient's order: the
// registry's field columns (roster.Fields) between the client's identity
// and what Roster keeps about it.
var clientColumns = "uid, created_by, " + strings.Join(fieldColumns(), ", ") + `, profile_photo,
	note_text, note_updated_at, last_session, sessions_count, deactivated_at, created_at, updated_at`

// listColumns are clientColumns without the note, which lists leave out and
// which may hold 100 kB per client.
var listColumns = strings.Replace(clientColumns, "note_text, note_updated_at", "NULL, NULL", 1)

// fieldColumns are the columns of the registry's fields, in its order.
func fieldColumns() []string {
	cols := make([]string, len(roster.Fields))
	for i, spec := range roster.Fields {
		cols[i] = spec.Column
	}
	return cols
}

// insertColumns are the columns of a new client's row, in the order of
// insertArgs. Their order never changes, so that the INSERT's text is
// always the same and stays prepared.
var insertColumns = append([]string{"org_id", "uid", "created_by", "profile_photo", "created_at", "updated_at",
	"email_key", "name_key"}, fieldColumns()...)

var insertClient = `INSERT INTO clients (` + strings.Join(insertColumns, ", ") + `) VALUES (` +
	placeholders(1, len(insertColumns)) + `) RETURNING id`

// insertArgs are the values of a new client's row, for insertColumns.
func insertArgs(org roster.OrgID, c *roster.Client) []any {
	args := make([]any, 0, len(insertColumns))
	args = append(args, org, c.UID, c.CreatedBy, nullString(c.ProfilePhoto), dbTime{c.CreatedAt}, dbTime{c.UpdatedAt},
		roster.EmailKey(c.Email), roster.NameKey(c.DisplayName))
	for i := range roster.Fields {
		args = append(args, fieldArg(&roster.Fields[i], &c.ClientFields))
	}
	return args
}

// fieldArg is the field's value in f, ready to bind: a nil pointer binds as
// NULL, a list as its JSON text.
func fieldArg(spec *roster.FieldSpec, f *roster.ClientFields) any {
	switch p := spec.Ref(f).(type) {
	case *string:
		return *p
	case **string:
		return *p
	case **int64:
		return *p
	case **float64:
		return *p
	case *[]string:
		if *p == nil {
			return "[]"
		}
		list, _ := json.Marshal(*p)
		return string(list)
	}
	panic("store: no column type for client field " + spec.Name)
}

// jsonList scans a list column, a JSON array, into the list it points at.
type jsonList struct{ list *[]string }

func (l jsonList) Scan(src any) error {
	switch v := src.(type) {
	case string:
		return json.Unmarshal([]byte(v), l.list)
	case []byte:
		return json.Unmarshal(v, l.list)
	}
	return fmt.Errorf("a list column holds %T, not JSON text", src)
}

type scanner interface{ Scan(...any) error }

// scanClient scans clientColumns (or listColumns) into c, after the
// columns that lead selects before them.
func scanClient(row scanner, c *roster.Client, lead ...any) error {
	var photo, note sql.NullString
	var noteAt, last, deactivated, created, updated dbTime
	dest := make([]any, 0, len(lead)+len(roster.Fields)+10)
	dest = append(append(dest, lead...), &c.UID, &c.CreatedBy)
	for i := range roster.Fields {
		ref := roster.Fields[i].Ref(&c.ClientFields)
		if list, ok := ref.(*[]string); ok {
			ref = jsonList{list}
		}
		dest = append(dest, ref)
	}
	dest = append(dest, &photo, &note, &noteAt, &last, &c.SessionsCount, &deactivated, &created, &updated)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	c.ProfilePhoto = photo.String
	c.Note = nil
	if !noteAt.IsZero() {
		c.Note = &roster.Note{UpdatedAt: noteAt.Time}
		if note.Valid {
			c.Note.Text = &note.String
		}
	}
	c.LastSession, c.DeactivatedAt, c.CreatedAt, c.UpdatedAt = last.ptr(), deactivated.ptr(), created.Time, updated.Time
	return nil
}

// clientByUID reads one client; built once, as clientColumns is no
// constant.
var clientByUID = `SELECT ` + clientColumns + ` FROM clients WHERE org_id = $1 AND uid = $2 AND ` + visible

// Client returns one client of the organization, from the cache when it
// holds it (see caches).
func (s *Store) Client(ctx context.Context, org roster.OrgID, uid string) (roster.Client, error) {
	// Checked on every read, the cache's hits too: the cache holds the
	// client, not who may see it, and an assignment's change then needs
	// no invalidation.
	if err := s.inScope(ctx, nil, org, roster.ClientRef{UID: uid}); err != nil {
		return roster.Client{}, err
	}
	now := s.now()
	if c, ok := s.caches.client(org, uid, now); ok {
		return c, nil
	}
	ticket := s.caches.clients.Ticket()
	var c roster.Client
	err := scanClient(s.queryRow(ctx, clientByUID, org, uid), &c)
	if errors.Is(err, sql.ErrNoRows) {
		return c, roster.ErrClientNotFound
	}
	if err != nil {
		return c, err
	}
	s.caches.clients.Put(ticket, uid, int64(org), cachedClient{org: org, c: c.Clone()}, now)
	return c, nil
}

// CreateClient stores a new client, within the plan's client limit. The
// caller sets uid, creator, fields, photo and times; a DeactivatedAt
// creates it deactivated. Concurrent creates share a transaction (see
// creates).
func (s *Store) CreateClient(ctx context.Context, org roster.OrgID, c *roster.Client) error {
	if c.DeactivatedAt != nil {
		return s.createDeactivated(ctx, org, c)
	}
	return s.creates.do(ctx, org, c)
}

// createClient stores a new client in a transaction of its own.
func (s *Store) createClient(ctx context.Context, org roster.OrgID, c *roster.Client) error {
	if s.pool != nil {
		_, err := s.pipeCreates(ctx, []*createReq{{ctx: ctx, org: org, c: c}}, true)
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := s.insertClient(ctx, tx, org, c)
		return err
	})
}

// insertClient writes a new client, within the plan's client limit, with
// everything a create moves, and returns its row's id.
func (s *Store) insertClient(ctx context.Context, tx *sql.Tx, org roster.OrgID, c *roster.Client) (int64, error) {
	if err := s.reserve(ctx, tx, org, 1); err != nil {
		return 0, err
	}
	var id int64
	if err := s.txQueryRow(ctx, tx, insertClient, insertArgs(org, c)...).Scan(&id); err != nil {
		return 0, clientWriteError(err)
	}
	if err := s.insertActivities(ctx, tx, id, c.PreferableActivities); err != nil {
		return 0, err
	}
	ids := map[string]int64{c.UID: id}
	if err := s.insertMetrics(ctx, tx, createdMetrics(org, []*roster.Client{c}, ids)); err != nil {
		return 0, err
	}
	assigned := createdAssignments(ctx, org, []*roster.Client{c}, ids)
	if err := s.insertAssignments(ctx, tx, assigned); err != nil {
		return 0, err
	}
	if err := s.moveCounts(ctx, tx, org, nil, createdCounts(c)); err != nil {
		return 0, err
	}
	if err := s.countAssigned(ctx, tx, assigned); err != nil {
		return 0, err
	}
	if err := s.emit(ctx, tx, org, roster.EventClientCreated, clientSnapshot(c)); err != nil {
		return 0, err
	}
	if err := audit(ctx, tx, org, "client.create", "client", c.UID, c.ClientFields.Present()...); err != nil {
		return 0, err
	}
	return id, s.deactivateCreated(ctx, tx, org, id, c)
}

// clientWriteError explains a unique violation of the clients' table by
// the index it hit: an organization's clients have distinct emails and
// distinct external ids. A violation in another table (a client's
// activities, written in the same statement on PostgreSQL) is no taken
// field.
func clientWriteError(err error) error {
	var pe *pgconn.PgError
	if !isUniqueViolation(err) || errors.As(err, &pe) && pe.TableName != "clients" {
		return err
	}
	field := roster.Fields[roster.FieldEmail].Name
	if strings.Contains(err.Error(), "external") {
		field = roster.Fields[roster.FieldExternalID].Name
	}
	return roster.FieldErrorf(field, "%s", roster.TakenMessage(field))
}

// insertActivities writes a client's activities.
func (s *Store) insertActivities(ctx context.Context, tx *sql.Tx, clientID int64, activities []string) error {
	pairs := make([]any, 0, 2*len(activities))
	for _, a := range activities {
		pairs = append(pairs, clientID, a)
	}
	return s.insertActivityPairs(ctx, tx, pairs)
}

// insertActivitiesOf writes the activities of clients whose ids are known
// by uid.
func (s *Store) insertActivitiesOf(ctx context.Context, tx *sql.Tx, clients []*roster.Client, ids map[string]int64) error {
	return s.insertActivityPairs(ctx, tx, activityPairs(clients, ids))
}

// activityPairs are the (client id, activity) pairs of clients whose ids
// are known by uid.
func activityPairs(clients []*roster.Client, ids map[string]int64) []any {
	var pairs []any
	for _, c := range clients {
		for _, a := range c.PreferableActivities {
			pairs = append(pairs, ids[c.UID], a)
		}
	}
	return pairs
}

// insertActivityPairs writes activities given as (client id, activity)
// pairs, at most 1,000 rows a statement.
func (s *Store) insertActivityPairs(ctx context.Context, tx *sql.Tx, pairs []any) error {
	queries, args := s.activitiesInserts(pairs)
	for i, q := range queries {
		if _, err := s.txExec(ctx, tx, q, args[i]...); err != nil {
			return err
		}
	}
	return nil
}

// activitiesInserts are the statements that write activities given as
// (client id, activity) pairs, with their arguments: on PostgreSQL one
// of two arrays, on SQLite one for each 1,000 pairs. Each row takes what
// else client_activities holds of its client (migration 26) from the
// client's row, which the transaction has written before.
func (s *Store) activitiesInserts(pairs []any) (queries []string, args [][]any) {
	const join = ` JOIN clients c ON c.id = v.id`
	if len(pairs) == 0 {
		return nil, nil
	}
	if s.postgres {
		ids, activities := make([]int64, 0, len(pairs)/2), make([]string, 0, len(pairs)/2)
		for i := 0; i < len(pairs); i += 2 {
			ids, activities = append(ids, pairs[i].(int64)), append(activities, pairs[i+1].(string))
		}
		return []string{activitiesInsert + `unnest($1::bigint[], $2::text[]) AS v (id, activity)` + join}, [][]any{{ids, activities}}
	}
	for part := range slices.Chunk(pairs, 2000) {
		queries = append(queries, activitiesInsert+`(SELECT column1 AS id, column2 AS activity FROM (VALUES `+
			s.valueLists(2, len(part)/2)+`)) AS v`+join)
		args = append(args, part)
	}
	return queries, args
}

// activitiesInsert writes activity rows from a FROM, which the caller
// completes, that joins the activities v (activity) to their clients' rows c.
const activitiesInsert = `INSERT INTO client_activities
	(client_id, activity, org_id, client_uid, deactivated, import_id, age, height, weight, shoe_size)
	SELECT c.id, v.activity, c.org_id, c.uid, c.deactivated_at IS NOT NULL, c.import_id, c.age, c.height, c.weight, c.shoe_size
	FROM `

// UpdateClient applies a partial update, and then the change of state
// u.Active asks for, as SetClientActive makes it. It returns the previous
// photo key when the update replaced the photo, for the caller to delete
// once the change is committed.
func (s *Store) UpdateClient(ctx context.Context, org roster.OrgID, uid string, u roster.ClientUpdate) (oldPhoto string, err error) {
	// $1 is the client's id, known once its row is locked.
	args := []any{nil}
	var sets []string
	set := func(column string, v any) {
		args = append(args, v)
		sets = append(sets, fmt.Sprintf("%s = $%d", column, len(args)))
	}
	now := s.now()
	set("updated_at", dbTime{now})
	for i := range roster.Fields {
		if u.Set.Has(roster.Field(i)) {
			set(roster.Fields[i].Column, fieldArg(&roster.Fields[i], &u.ClientFields))
		}
	}
	if u.Set.Has(roster.FieldEmail) {
		set("email_key", roster.EmailKey(u.Email))
	}
	if u.Set.Has(roster.FieldDisplayName) {
		set("name_key", roster.NameKey(u.DisplayName))
	}
	if u.Photo != nil {
		set("profile_photo", *u.Photo)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old, err := s.lockClient(ctx, tx, org, uid)
		if err != nil {
			return err
		}
		if u.Photo != nil {
			oldPhoto = old.photo
		}
		args[0] = old.id
		metrics, err := s.updatedMetrics(ctx, tx, org, old.id, &u)
		if err != nil {
			return err
		}
		if err := s.insertMetrics(ctx, tx, metrics); err != nil {
			return err
		}
		if u.Set.Has(roster.FieldEmail) {
			if err := unlinkOnNewEmail(ctx, tx, old.id, roster.EmailKey(u.Email)); err != nil {
				return err
			}
		}
		if err := s.emitClient(ctx, tx, org, roster.EventClientUpdated,
			`UPDATE clients SET `+strings.Join(sets, ", ")+` WHERE id = $1`, args...); err != nil {
			return clientWriteError(err)
		}
		if err := audit(ctx, tx, org, "client.update", "client", uid, u.Changed()...); err != nil {
			return err
		}
		after := old
		if u.Set.Has(roster.FieldGender) {
			after.gender = u.Gender
		}
		after.ranges = slices.Clone(old.ranges)
		for i, f := range roster.RangeFields {
			if u.Set.Has(f) {
				after.ranges[i] = roster.RangeValue(&u.ClientFields, f)
			}
		}
		if u.Set.Has(roster.FieldPreferableActivities) {
			after.activities = u.PreferableActivities
			if _, err := tx.ExecContext(ctx, `DELETE FROM client_activities WHERE client_id = $1`, old.id); err != nil {
				return err
			}
			if err := s.insertActivities(ctx, tx, old.id, after.activities); err != nil {
				return err
			}
			if len(old.coaches) > 0 {
				// What the client's assignments hold of its activities, from
				// its activity rows as an assignment's insert takes them.
				if _, err := tx.ExecContext(ctx, `UPDATE client_coaches SET activity_bits = `+activityBitsOf("$1")+`
					WHERE client_id = $1`, old.id); err != nil {
					return err
				}
			}
		}
		if u.Active != nil && *u.Active == old.deactivated {
			if after, err = s.writeActive(ctx, tx, org, after, *u.Active, now); err != nil {
				return err
			}
		}
		return s.moveCounts(ctx, tx, org, old.counts(), after.counts())
	})
	return oldPhoto, err
}

// counted is what a client's counters and photo depend on.
type counted struct {
	id          int64
	uid         string
	photo       string
	createdBy   string
	gender      *string
	activities  []string
	ranges      []*float64 // the values of roster.RangeFields, in order
	coaches     []string   // the uids of its coaches, who count it too
	deactivated bool
	updated     dbTime
}

// countedOf is what counts of c.
func countedOf(c *roster.Client) counted {
	state := counted{uid: c.UID, createdBy: c.CreatedBy, gender: c.Gender, activities: c.PreferableActivities,
		deactivated: c.DeactivatedAt != nil}
	for _, f := range roster.RangeFields {
		state.ranges = append(state.ranges, roster.RangeValue(&c.ClientFields, f))
	}
	return state
}

// countedColumns are the columns lockedClient scans into a counted.
var countedColumns = `id, uid, profile_photo, created_by, gender, preferable_activities, deactivated_at IS NOT NULL, updated_at, ` +
	strings.Join(rangeColumns, ", ")

// withRanges returns dest followed by where to scan c's values of
// rangeColumns, which it makes room for.
func (c *counted) withRanges(dest ...any) []any {
	c.ranges = make([]*float64, len(rangeColumns))
	for i := range c.ranges {
		dest = append(dest, &c.ranges[i])
	}
	return dest
}

// scan reads a row of lead's columns, then preferable_activities and
// rangeColumns, into lead and c.
func (c *counted) scan(row scanner, lead ...any) error {
	var activities string
	if err := row.Scan(c.withRanges(append(lead, &activities)...)...); err != nil {
		return err
	}
	return json.Unmarshal([]byte(activities), &c.activities)
}

// rangeColumns are the columns of roster.RangeFields.
var rangeColumns = func() []string {
	var columns []string
	for _, f := range roster.RangeFields {
		columns = append(columns, roster.Fields[f].Column)
	}
	return columns
}()

// counts are the counters the client adds to. A deactivated client is in
// none of them but the count of deactivated clients.
func (c counted) counts() []countKey {
	if c.deactivated {
		return []countKey{deactivatedKey}
	}
	return countKeys(c)
}

// lockedClient reads a client's counted values with query, whose arguments
// are the organization and the client's key (uid or external_id), and its
// coaches (see clientCoaches). It fails with roster.ErrVersionChanged when ctx
// holds a version (IfVersion) that is not the client's. Its callers write
// the client, so it records that the client changes (clientsChanged). A
// client not found, or of another version, is recorded too: whatever a
// cache holds of it is stale, and the transaction that fails drops it
// (a uid, or an external id that names no cached client).
func (s *Store) lockedClient(ctx context.Context, tx *sql.Tx, query string, org roster.OrgID, key string) (counted, error) {
	var c counted
	var photo sql.NullString
	var activities string
	dest := c.withRanges(&c.id, &c.uid, &photo, &c.createdBy, &c.gender, &activities, &c.deactivated, &c.updated)
	err := tx.QueryRowContext(ctx, query, org, key).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		clientsChanged(ctx, key)
		return c, roster.ErrClientNotFound
	}
	if err != nil {
		return c, err
	}
	clientsChanged(ctx, c.uid)
	if v, ok := ctx.Value(versionKey{}).(time.Time); ok && !c.updated.Equal(v) {
		return c, roster.ErrVersionChanged
	}
	c.photo = photo.String
	if c.coaches, err = s.clientCoaches(ctx, tx, c.id); err != nil {
		return c, err
	}
	return c, json.Unmarshal([]byte(activities), &c.activities)
}

// lockClient reads the counted values of the organization's client uid,
// locked on PostgreSQL (FOR UPDATE): a concurrent change of the same client
// waits, so the counters move from the values this transaction read.
// SQLite's writer is alone anyway. A client out of the caller's scope is
// not found.
func (s *Store) lockClient(ctx context.Context, tx *sql.Tx, org roster.OrgID, uid string) (counted, error) {
	c, err := s.lockedClient(ctx, tx, `SELECT `+countedColumns+`
		FROM clients WHERE org_id = $1 AND uid = $2 AND `+visible+s.forUpdate(), org, uid)
	if err == nil {
		err = s.inScope(ctx, tx, org, roster.ClientRef{UID: uid})
	}
	return c, err
}

type versionKey struct{}

// IfVersion is ctx with a precondition on the client that the next
// UpdateClient, DeleteClient or SetClientActive under it changes: that it
// was last modified at updatedAt (an If-Match). It is checked on the
// locked row, in the change's transaction.
func IfVersion(ctx context.Context, updatedAt time.Time) context.Context {
	return context.WithValue(ctx, versionKey{}, updatedAt)
}

// moveCounts takes a client out of the counters of before and into those
// of after, in one pass in key order; counters in both are left alone.
func (s *Store) moveCounts(ctx context.Context, tx *sql.Tx, org roster.OrgID, before, after []countKey) error {
	deltas := map[countKey]int{}
	for _, k := range before {
		deltas[k]--
	}
	for _, k := range after {
		deltas[k]++
	}
	return s.adjustCounts(ctx, tx, org, deltas)
}

// DeleteClient removes a client with its activities and returns its photo
// key, for the caller to delete once the change is committed.
func (s *Store) DeleteClient(ctx context.Context, org roster.OrgID, uid string) (photo string, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Read before the delete, which takes the client's assignments
		// along: its coaches' counters move by them.
		old, err := s.lockClient(ctx, tx, org, uid)
		if err != nil {
			return err
		}
		if err := s.emitClient(ctx, tx, org, roster.EventClientDeleted, `DELETE FROM clients WHERE id = $1`, old.id); err != nil {
			return err
		}
		photo = old.photo
		if err := s.moveCounts(ctx, tx, org, append(old.counts(), totalKey), nil); err != nil {
			return err
		}
		return audit(ctx, tx, org, "client.delete", "client", uid)
	})
	return photo, err
}

// SaveNote replaces a client's note; a nil text clears it. The note's
// history keeps it as a version the organization sees.
func (s *Store) SaveNote(ctx context.Context, org roster.OrgID, uid string, text *string) error {
	return s.AddNote(ctx, org, uid, text, roster.NoteOrganization)
}

// AddNote saves a version of a client's note, by ctx's actor, seen as
// visibility says. A version the organization sees is also the client's
// note, which it replaces (a nil text clears it); one for its coaches
// only is kept in the history alone.
func (s *Store) AddNote(ctx context.Context, org roster.OrgID, uid string, text *string, visibility string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		clientsChanged(ctx, uid) // not found too: a cached copy must be stale
		if err := s.inScope(ctx, tx, org, roster.ClientRef{UID: uid}); err != nil {
			return err
		}
		if err := s.insertNoteVersion(ctx, tx, org, uid, text, visibility); err != nil {
			return err
		}
		if visibility != roster.NoteOrganization {
			return audit(ctx, tx, org, "client.note", "client", uid, "notes-history")
		}
		err := s.emitClient(ctx, tx, org, roster.EventClientNoteSaved, `
			UPDATE clients SET note_text = $3, note_updated_at = $4, updated_at = $4
			WHERE org_id = $1 AND uid = $2 AND `+visible,
			org, uid, text, dbTime{s.now()})
		if errors.Is(err, sql.ErrNoRows) {
			return roster.ErrClientNotFound
		}
		if err != nil {
			return err
		}
		return audit(ctx, tx, org, "client.note", "client", uid, "notes")
	})
}

// listChunk is how many clients EachClientMatching reads per query. Between chunks
// it holds no connection, so a slow reader of a long list cannot starve the
// pool or, on SQLite, hold back WAL checkpoints. A variable only so that
// tests can cross chunk edges with few clients.
var listChunk = 500

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func placeholders(from, n int) string {
	b := make([]byte, 0, n*7)
	for i := range n {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = strconv.AppendInt(append(b, '$'), int64(from+i), 10)
	}
	return string(b)
}

// qualified prefixes each column of a comma-separated list with a table
// alias, for queries that join clients to other tables.
func qualified(alias, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		if c = strings.TrimSpace(c); c != "NULL" {
			cols[i] = alias + "." + c
		} else {
			cols[i] = c
		}
	}
	return strings.Join(cols, ", ")
}

// insertNoteVersion adds a version to the history of the organization's
// client uid, or fails with roster.ErrClientNotFound.
func (s *Store) insertNoteVersion(ctx context.Context, tx *sql.Tx, org roster.OrgID, uid string, text *string, visibility string) error {
	t := s.now()
	n, err := rowsAffected(tx.ExecContext(ctx, `INSERT INTO client_notes (uid, client_id, author_uid, text, visibility, created_at)
		SELECT $1, id, $2, $3, $4, $5 FROM clients WHERE org_id = $6 AND uid = $7 AND `+visible,
		roster.NewUID(t), roster.ActorFrom(ctx).UID, text, visibility, dbTime{t}, org, uid))
	if err == nil && n == 0 {
		err = roster.ErrClientNotFound
	}
	return err
}

// NoteHistory returns up to limit versions of the note of the
// organization's client uid older than the version after ("" for the
// newest), newest first, of those viewer sees: the organization's, and
// those for the client's coaches when viewer is an Owner, the author or
// one of the client's coaches.
func (s *Store) NoteHistory(ctx context.Context, org roster.OrgID, uid string, viewer roster.Principal, after string,
	limit int) ([]roster.NoteVersion, error) {
	clientID, err := s.clientID(ctx, org, uid)
	if err != nil {
		return nil, err
	}
	if after == "" {
		after = "~" // sorts after every uid
	}
	args := []any{clientID, after}
	seen := ""
	if viewer.Role != roster.RoleOwner {
		args = append(args, viewer.AccountUID)
		seen = ` AND (visibility = '` + roster.NoteOrganization + `' OR author_uid = $3
			OR EXISTS (SELECT 1 FROM client_coaches WHERE client_id = $1 AND coach_uid = $3))`
	}
	rows, err := s.query(ctx, `SELECT uid, author_uid, text, visibility, created_at FROM client_notes
		WHERE client_id = $1 AND uid < $2`+seen+` ORDER BY uid DESC LIMIT `+s.limit(&args, limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	versions := []roster.NoteVersion{}
	for rows.Next() {
		var v roster.NoteVersion
		var text sql.NullString
		var created dbTime
		if err := rows.Scan(&v.UID, &v.AuthorUID, &text, &v.Visibility, &created); err != nil {
			return nil, err
		}
		if text.Valid {
			v.Text = &text.String
		}
		v.CreatedAt = created.Time
		versions = append(versions, v)
	}
	return versions, rows.Err()
}
