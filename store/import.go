package store

import (
	"context"
	"database/sql"
	"strings"

	"roster"
)

// importChunk is how many clients one multi-row INSERT of an import writes:
// 500 rows bind 11,500 values, within both engines' limits (SQLite 32,766,
// PostgreSQL 65,535), and take a five-hundredth of the round trips. The
// statements are not kept prepared: parsing one costs less than a
// millisecond per 500 rows, and a prepared statement for every tail size
// would pile up in the store's cache.
const importChunk = 500

// ImportClients creates n clients in one transaction, all or none: next is
// called n times, in order, for the clients, which the caller has
// validated and given uids and times. The plan's limit is checked on the
// total first, and the counters move once, by the sums of what each client
// would have moved. progress, if set, is called with the number of clients
// written so far after each chunk, from inside the transaction: it must not
// block (on SQLite every other write waits for the import).
func (s *Store) ImportClients(ctx context.Context, org roster.OrgID, n int, next func() (*roster.Client, error),
	progress func(done int)) error {
	err := s.importClients(ctx, org, n, next, progress)
	if err == nil && s.postgres && n >= analyzeAfter {
		// PostgreSQL plans by statistics that autovacuum refreshes only
		// within a minute or so: until then a list of the new rows would
		// sort every matching row for each chunk (30 ms a chunk of 500 at
		// 100,000 clients, instead of under one). The import has succeeded
		// whatever ANALYZE answers.
		s.wdb.ExecContext(ctx, `ANALYZE clients, client_activities, client_count_slots`)
	}
	return err
}

// analyzeAfter is the size of import after which PostgreSQL's statistics
// are refreshed at once.
const analyzeAfter = 10_000

func (s *Store) importClients(ctx context.Context, org roster.OrgID, n int, next func() (*roster.Client, error),
	progress func(done int)) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Refused before the work, rather than after writing every row;
		// the room is kept until the import commits.
		if err := s.reserve(ctx, tx, org, n); err != nil {
			return err
		}
		deltas := map[countKey]int{totalKey: n}
		chunk := make([]*roster.Client, 0, importChunk)
		for done := 0; done < n; {
			chunk = chunk[:0]
			for len(chunk) < importChunk && done+len(chunk) < n {
				c, err := next()
				if err != nil {
					return err
				}
				chunk = append(chunk, c)
				for _, k := range countKeys(c.CreatedBy, c.Gender, c.PreferableActivities) {
					deltas[k]++
				}
			}
			if err := s.insertChunk(ctx, tx, org, chunk); err != nil {
				return err
			}
			done += len(chunk)
			if progress != nil {
				progress(done)
			}
		}
		return s.adjustCounts(ctx, tx, org, deltas)
	})
}

// insertChunk writes up to importChunk clients with one INSERT, and their
// activities with as few more as their number needs.
func (s *Store) insertChunk(ctx context.Context, tx *sql.Tx, org roster.OrgID, chunk []*roster.Client) error {
	args := make([]any, 0, len(chunk)*len(insertColumns))
	for _, c := range chunk {
		args = append(args, insertArgs(org, c)...)
	}
	ids, err := s.insertClients(ctx, tx, `INSERT INTO clients (`+strings.Join(insertColumns, ", ")+`) VALUES `+
		s.valueLists(len(insertColumns), len(chunk))+` RETURNING id, uid`, args)
	if err != nil {
		return importWriteError(err)
	}
	if err := s.insertAudit(ctx, tx, clientEntries(ctx, org, "client.import", chunk)); err != nil {
		return err
	}
	return s.insertActivitiesOf(ctx, tx, chunk, ids)
}

// insertClients runs an INSERT of clients ... RETURNING id, uid and
// returns the ids of the rows written by uid: RETURNING lists them in no
// promised order.
func (s *Store) insertClients(ctx context.Context, tx *sql.Tx, query string, args []any) (map[string]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
