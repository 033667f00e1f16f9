package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"roster"
)

// importChunk is how many clients one multi-row INSERT of an import writes,
// each chunk in a transaction of its own, which is as long as a create
// queued behind it waits for SQLite's writer: 100 rows, with their audit
// entries and activities, hold it a fifth as long as 500 (measured beside
// other work on 2 cores, 500 took 70 to 800 ms), and bind 2,400 values,
// far within both engines' limits. The chunk's INSERT of clients is not
// kept prepared (it binds more than maxPreparedArgs): parsing it costs less
// than a millisecond, and a prepared statement for every tail size would
// pile up in the store's cache.
const importChunk = 100

// importLease is how long an import may go without writing a chunk before
// SweepImports takes it for dead. A live import writes one every few tens
// of milliseconds: it never waits for its caller while it writes.
const importLease = 5 * time.Minute

// visible is true of a client row that is not one of an unpublished
// import's. Every query that reads clients must include it, and every
// write by uid: an import's uids are a block of consecutive ones, so a
// caller who saw one could guess the others, and a write to a row that is
// not counted yet would move the counters wrongly. import_id is NULL on
// every row but those of an import being written or tidied, so the
// subquery runs for few rows and only for a short while.
const visible = `(import_id IS NULL OR EXISTS (SELECT 1 FROM client_imports
	WHERE client_imports.id = import_id AND client_imports.state = 'published'))`

// errImportSwept is the answer to an import that went without writing for
// longer than importLease, and which SweepImports has since removed.
var errImportSwept = errors.New("store: the import stalled for too long and was abandoned; nothing was imported")

// ImportClients creates n clients, all or none: next is called n times, in
// order, for the clients, which the caller has validated and given uids and
// times. The plan's limit is checked on the total first. The rows are
// written in chunks, each committed alone so that other writes go on
// between them, and hidden until one short transaction publishes them all
// and moves the counters once, by the sums of what each client would have
// moved, within the plan's limit. A failure removes what was written.
// progress, if set, is called with the number of clients written so far
// after each chunk, outside any transaction.
func (s *Store) ImportClients(ctx context.Context, org roster.OrgID, n int, next func() (*roster.Client, error),
	progress func(done int)) error {
	_, err := s.ImportClientsWithClaimLinks(ctx, org, n, next, progress, nil)
	return err
}

// ImportClientsWithClaimLinks imports as ImportClients does and, with
// claims, sends each new client a link invitation, with its mail, in the
// transaction that publishes them: a failed import sends none. An import
// with more new clients than the organization's limit of link invitations
// has room for is refused before anything is written (see
// roster.TooManyClaimLinks). It returns how many it sent.
func (s *Store) ImportClientsWithClaimLinks(ctx context.Context, org roster.OrgID, n int, next func() (*roster.Client, error),
	progress func(done int), claims *roster.ClaimLinks) (sent int, err error) {
	if claims != nil {
		if err := s.checkClaimRoom(ctx, org, n, *claims); err != nil {
			return 0, err
		}
	}
	// What imports that died left behind would otherwise hold their emails
	// until the next start.
	if err := s.SweepImports(ctx, false); err != nil {
		return 0, err
	}
	id, err := s.beginImport(ctx, org, n)
	if err != nil {
		return 0, err
	}
	// The rows are removed and tidied whatever the request's fate: a client
	// that hangs up must not leave them for the sweep.
	bg := context.WithoutCancel(ctx)
	if sent, err = s.stageAndPublish(ctx, org, id, n, next, progress, claims); err != nil {
		return 0, errors.Join(err, s.discardImport(bg, id))
	}
	// Published: what follows only tidies, and the sweep finishes it should
	// this fail.
	s.tidyImport(bg, id)
	if n >= analyzeAfter {
		s.afterLargeImport(bg)
	}
	return sent, nil
}

// analyzeAfter is the size of import after which PostgreSQL's statistics
// are refreshed and SQLite's write-ahead log is truncated at once.
const analyzeAfter = 10_000

// afterLargeImport leaves the database as a large import should not find
// it. PostgreSQL plans by statistics that autovacuum refreshes only within
// a minute or so: until then a list of the new rows would sort every
// matching row for each list chunk (30 ms a chunk of 500 at 100,000 clients,
// instead of under one). SQLite's write-ahead log has grown by every page
// the import wrote and keeps that size on disk until it is truncated. The
// import has succeeded whatever either answers.
func (s *Store) afterLargeImport(ctx context.Context) {
	if s.postgres {
		s.wdb.ExecContext(ctx, `ANALYZE clients, client_activities, client_count_slots`)
		return
	}
	s.truncateWAL(ctx)
}

// beginImport checks the plan's room for n more clients and registers an
// import for the organization.
func (s *Store) beginImport(ctx context.Context, org roster.OrgID, n int) (id int64, err error) {
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Refused before the work, rather than after writing every row;
		// The publication reserves the room again, for good.
		if err := s.reserve(ctx, tx, org, n); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `INSERT INTO client_imports (org_id, state, renewed_at)
			VALUES ($1, 'staging', $2) RETURNING id`, org, dbTime{s.now()}).Scan(&id)
	})
	return id, err
}

// stageAndPublish writes the import's rows chunk by chunk, then publishes
// them, with their claim links when claims is set. The claim links' targets
// are kept in memory until then, a few dozen bytes each, as many as the
// limit of link invitations lets through (checkClaimRoom).
func (s *Store) stageAndPublish(ctx context.Context, org roster.OrgID, id int64, n int, next func() (*roster.Client, error),
	progress func(done int), claims *roster.ClaimLinks) (sent int, err error) {
	deltas := map[countKey]int{totalKey: n}
	// The coaches' counters, of the clients assigned to their creator as
	// they are written (see coachesCounted).
	coached, assigned := map[countKey]int{}, int64(0)
	chunk := make([]*roster.Client, 0, importChunk)
	var targets []claimTarget
	for done := 0; done < n; {
		chunk = chunk[:0]
		for len(chunk) < importChunk && done+len(chunk) < n {
			c, err := next()
			if err != nil {
				return 0, err
			}
			chunk = append(chunk, c)
			for _, k := range countedOf(c).counts() {
				deltas[k]++
			}
			if coach := creatorCoach(ctx, c); coach != "" {
				assigned++
				for _, k := range coachKeys(coach, countedOf(c)) {
					coached[k]++
				}
			}
		}
		err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if err := s.renewImport(ctx, tx, id); err != nil {
				return err
			}
			ids, err := s.insertChunk(ctx, tx, org, id, chunk)
			if err == nil && claims != nil {
				targets = append(targets, claimTargets(chunk, ids)...)
			}
			return err
		})
		if err != nil {
			return 0, err
		}
		done += len(chunk)
		if progress != nil {
			progress(done)
		}
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// First, so that on PostgreSQL a sweep that found the import
		// stalled either waits for this transaction or is waited for.
		res, err := tx.ExecContext(ctx, `UPDATE client_imports SET state = 'published' WHERE id = $1 AND state = 'staging'`, id)
		if err := mustAffect(res, err, errImportSwept); err != nil {
			return err
		}
		// Within the plan's limit, under concurrent creates.
		if err := s.reserve(ctx, tx, org, n); err != nil {
			return err
		}
		if err := s.emitImported(ctx, tx, org, id); err != nil {
			return err
		}
		if createsAssigned(ctx) {
			if err := s.coachesCounted(ctx, tx, org, id, assigned, coached, deltas); err != nil {
				return err
			}
		}
		if err := s.adjustCounts(ctx, tx, org, deltas); err != nil {
			return err
		}
		if claims == nil {
			return nil
		}
		// Counted here, for good, within the limit under concurrent
		// invitations.
		t := s.now()
		if err := claimLimits(ctx, tx, org, targets, claims.Limits, t); err != nil {
			return err
		}
		sent, err = s.claimLinks(ctx, tx, org, *claims, t, targets)
		return err
	})
	return sent, err
}

// renewImport renews the import's lease, which it must still hold: once a
// sweep has taken it for dead, no more of its rows may be written.
func (s *Store) renewImport(ctx context.Context, tx *sql.Tx, id int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE client_imports SET renewed_at = $2 WHERE id = $1 AND state = 'staging'`,
		id, dbTime{s.now()})
	return mustAffect(res, err, errImportSwept)
}

// importColumns are insertColumns and the import that hides the row.
var importColumns = append(insertColumns[:len(insertColumns):len(insertColumns)], "import_id")

// insertChunk writes up to importChunk clients of the import with one
// INSERT, the history of their measures with one more, and their
// activities with as few more as their number needs, and returns their
// ids by uid.
func (s *Store) insertChunk(ctx context.Context, tx *sql.Tx, org roster.OrgID, id int64, chunk []*roster.Client) (map[string]int64, error) {
	columns := importColumns
	args := make([]any, 0, len(chunk)*len(columns))
	for _, c := range chunk {
		args = append(append(args, insertArgs(org, c)...), id)
	}
	ids, err := s.insertClients(ctx, tx, `INSERT INTO clients (`+strings.Join(columns, ", ")+`) VALUES `+
		s.valueLists(len(columns), len(chunk))+` RETURNING id, uid`, args)
	if err != nil {
		return nil, importWriteError(err)
	}
	if err := s.insertAudit(ctx, tx, clientEntries(ctx, org, "client.import", chunk)); err != nil {
		return nil, err
	}
	if err := s.insertMetrics(ctx, tx, createdMetrics(org, chunk, ids)); err != nil {
		return nil, err
	}
	// The activities before the assignments, which hold them.
	if err := s.insertActivitiesOf(ctx, tx, chunk, ids); err != nil {
		return nil, err
	}
	return ids, s.insertAssignments(ctx, tx, createdAssignments(ctx, org, chunk, ids))
}

// insertClients runs an INSERT of clients ... RETURNING id, uid and
// returns the ids of the rows written by uid: RETURNING lists them in no
// promised order.
func (s *Store) insertClients(ctx context.Context, tx *sql.Tx, query string, args []any) (map[string]int64, error) {
	rows, err := s.txQuery(ctx, tx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var id int64
		var uid string
		if err := rows.Scan(&id, &uid); err != nil {
			return nil, err
		}
		ids[uid] = id
	}
	return ids, rows.Err()
}

// discardImport removes a failed import's rows, with their audit entries,
// and then the import. It is marked failed first, in a transaction of its
// own, so that no chunk of it can be written after; an import found
// published (its publication committed, whatever was answered) is left.
func (s *Store) discardImport(ctx context.Context, id int64) error {
	var failed bool
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE client_imports SET state = 'failed' WHERE id = $1 AND state <> 'published'`, id)
		n, _ := rowsAffected(res, err)
		failed = n == 1
		return err
	})
	if err != nil || !failed {
		return err
	}
	return s.tidyRows(ctx, id, s.deleteImportChunk)
}

// tidyImport clears import_id from a published import's rows, so that
// reading them no longer costs visible's subquery, and then forgets the
// import. A failure leaves it for SweepImports.
func (s *Store) tidyImport(ctx context.Context, id int64) error {
	return s.tidyRows(ctx, id, func(ctx context.Context, tx *sql.Tx, id int64) (int64, error) {
		return rowsAffected(tx.ExecContext(ctx, `UPDATE clients SET import_id = NULL
			WHERE id IN (SELECT id FROM clients WHERE import_id = $1 LIMIT $2)`, id, tidyChunk))
	})
}

// tidyChunk bounds the rows one transaction of tidyRows changes, for as
// short a wait of the writes queued behind it as a chunk of the import.
const tidyChunk = importChunk

// tidyRows runs step, each time in a transaction of its own, until it
// finds no row of the import left, and then deletes the import.
func (s *Store) tidyRows(ctx context.Context, id int64, step func(ctx context.Context, tx *sql.Tx, id int64) (int64, error)) error {
	for n := int64(tidyChunk); n > 0; {
		err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
			n, err = step(ctx, tx, id)
			return err
		})
		if err != nil {
			return err
		}
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM client_imports WHERE id = $1`, id)
		return err
	})
}

// deleteImportChunk deletes up to tidyChunk rows of a failed import and
// the audit entries that recorded them.
func (s *Store) deleteImportChunk(ctx context.Context, tx *sql.Tx, id int64) (int64, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM clients WHERE id IN (SELECT id FROM clients WHERE import_id = $1 LIMIT $2)
		RETURNING org_id, uid`, id, tidyChunk)
	if err != nil {
		return 0, err
	}
	args := []any{nil}
	for rows.Next() {
		var uid string
		if err := rows.Scan(&args[0], &uid); err != nil {
			rows.Close()
			return 0, err
		}
		args = append(args, uid)
	}
	if err := cmp.Or(rows.Err(), rows.Close()); err != nil || len(args) == 1 {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM audit_log WHERE org_id = $1 AND action = 'client.import' AND object_uid IN (`+
		placeholders(2, len(args)-1)+`)`, args...)
	return int64(len(args) - 1), err
}

func rowsAffected(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SweepImports finishes what imports left undone: it removes the rows of
// those that failed, or stalled for longer than importLease (their process
// died), and tidies those that were published. With all, every import not
// yet published is taken for dead: serve does so at start on SQLite, where
// it holds the data directory alone and no other process imports.
func (s *Store) SweepImports(ctx context.Context, all bool) error {
	cutoff := dbTime{s.now().Add(-importLease)}
	type left struct {
		id    int64
		state string
	}
	var found []left
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, state FROM client_imports
		WHERE state <> 'staging' OR renewed_at < $1 OR $2`, cutoff, all)
	if err != nil {
		return err
	}
	for rows.Next() {
		var l left
		if err := rows.Scan(&l.id, &l.state); err != nil {
			rows.Close()
			return err
		}
		found = append(found, l)
	}
	if err := cmp.Or(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, l := range found {
		switch l.state {
		case "published":
			err = s.tidyImport(ctx, l.id)
		case "failed":
			err = s.tidyRows(ctx, l.id, s.deleteImportChunk)
		default:
			err = s.sweepStalled(ctx, l.id, cutoff, all)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sweepStalled fails a staging import that has not been renewed since
// cutoff (with all, whenever it was), and removes its rows. Its renewal is
// checked again where the import is marked failed, which a live import's
// chunk, renewing it first, waits for or is waited for by.
func (s *Store) sweepStalled(ctx context.Context, id int64, cutoff dbTime, all bool) error {
	var stalled bool
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n, err := rowsAffected(tx.ExecContext(ctx, `UPDATE client_imports SET state = 'failed'
			WHERE id = $1 AND state = 'staging' AND (renewed_at < $2 OR $3)`, id, cutoff, all))
		stalled = n == 1
		return err
	})
	if err != nil || !stalled {
		return err
	}
	return s.tidyRows(ctx, id, s.deleteImportChunk)
}

// truncateWAL checkpoints SQLite's write-ahead log and truncates it, on
// the batcher's connection between two batches, so that no write of this
// process is under way. A reader on an older snapshot keeps the log from
// being truncated: then it is left as it is (it is reused from its start
// once checkpointed) rather than holding every write back to wait.
func (s *Store) truncateWAL(ctx context.Context) error {
	return s.batch.alone(ctx, func(ctx context.Context, conn *sql.Conn) error {
		var timeout int
		if err := conn.QueryRowContext(ctx, `PRAGMA busy_timeout`).Scan(&timeout); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
			return err
		}
		// Busy, rather than an error, when a reader kept the log.
		_, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		_, rerr := conn.ExecContext(ctx, `PRAGMA busy_timeout = `+strconv.Itoa(timeout))
		return cmp.Or(err, rerr)
	})
}

// valueLists returns rows parenthesised lists of width placeholders each.
// On SQLite they are anonymous: SQLite finds each $N by its name in a list,
// and modernc's driver asks for every parameter's name, both linearly, which
// makes a statement of 11,500 $N placeholders take seconds; ? is bound by
// position. PostgreSQL takes only $N.
func (s *Store) valueLists(width, rows int) string {
	list := "(" + strings.TrimSuffix(strings.Repeat("?, ", width), ", ") + ")"
	lists := make([]string, rows)
	for i := range lists {
		if s.postgres {
			list = "(" + placeholders(1+i*width, width) + ")"
		}
		lists[i] = list
	}
	return strings.Join(lists, ", ")
}

// importWriteError explains a unique violation at insert time: validation
// found no client with these emails or external ids, so one was created
// while the import ran, and the whole import is rolled back.
func importWriteError(err error) error {
	if !isUniqueViolation(err) {
		return err
	}
	return roster.Errorf(roster.KindInvalid, "%v: one was created while the import ran, so nothing was imported; try again",
		clientWriteError(err))
}

// takenChunk is how many keys one query of TakenClientKeys looks up. Shorter
// lists are padded with "", which no client has, so that the query's text
// is always the same and stays prepared.
const takenChunk = 500

// TakenClientKeys returns which of the email keys (roster.EmailKey) and
// external ids already belong to clients of the organization, for an
// import to report the rows that would break their uniqueness.
func (s *Store) TakenClientKeys(ctx context.Context, org roster.OrgID, emailKeys, externalIDs []string) (
	emails, ids map[string]bool, err error) {
	if emails, err = s.taken(ctx, org, "email_key", emailKeys); err != nil {
		return nil, nil, err
	}
	ids, err = s.taken(ctx, org, "external_id", externalIDs)
	return emails, ids, err
}

func (s *Store) taken(ctx context.Context, org roster.OrgID, column string, keys []string) (map[string]bool, error) {
	found := map[string]bool{}
	query := `SELECT ` + column + ` FROM clients WHERE org_id = $1 AND ` + column + ` IN (` + placeholders(2, takenChunk) + `)`
	args := make([]any, 1+takenChunk)
	args[0] = org
	for len(keys) > 0 {
		part := keys[:min(len(keys), takenChunk)]
		keys = keys[len(part):]
		for i := range takenChunk {
			args[1+i] = ""
			if i < len(part) {
				args[1+i] = part[i]
			}
		}
		if err := s.collect(ctx, found, query, args); err != nil {
			return nil, err
		}
	}
	return found, nil
}

// collect adds the strings query returns to set.
func (s *Store) collect(ctx context.Context, set map[string]bool, query string, args []any) error {
	rows, err := s.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		set[k] = true
	}
	return rows.Err()
}

// coachesCounted counts the clients of the import id for their coaches as
// it is published, adding the coaches' counters to deltas. An Admin's
// import assigned them to the Admin; nobody else's has assignments (its
// rows are not visible to be assigned until now), and the statement would
// look each row up, with the writer held. The import expects assigned of
// them to be, with the counters coached: unless the Admin left the
// organization, or left and came back, as it ran. Then the counters are
// those of the assignments written, read back.
func (s *Store) coachesCounted(ctx context.Context, tx *sql.Tx, org roster.OrgID, id, assigned int64,
	coached, deltas map[countKey]int) error {
	// Held, so that a removal of the Admin, which locks their assignments
	// too, goes before or after this one and not across it.
	st, _ := ctx.Value(staffKey{}).(staff)
	if _, err := s.holdMember(ctx, tx, org, st.admin); err != nil {
		return err
	}
	n, err := rowsAffected(tx.ExecContext(ctx, `UPDATE client_coaches SET counted = TRUE
		WHERE client_id IN (SELECT id FROM clients WHERE import_id = $1)`, id))
	if err != nil {
		return err
	}
	if n != assigned {
		written, err := coachCounts(ctx, tx, `c.import_id = $1`, id)
		if err != nil {
			return err
		}
		coached = written[org]
	}
	for k, d := range coached {
		deltas[k] += d
	}
	return nil
}
