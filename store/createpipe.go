package store

import (
	"context"
	"strconv"

	"github.com/jackc/pgx/v5"

	"roster"
)

// pipeCreates writes creates on PostgreSQL in one transaction through
// pgx's own API, in two round trips of pipelined statements: the begin,
// the plan limits and the clients' rows with their activities; then the
// audit entries, the history of their measures, the assignments, the
// counters and the commit. Through database/sql each statement is a round trip of its own
// and every argument is converted through driver.Value, which cost more
// of a create's CPU than the statements. Like insertBatch, it returns the
// creates left out by a taken email or external id; alone (a batch of
// one), that is the error.
func (s *Store) pipeCreates(ctx context.Context, batch []*createReq, alone bool) (left []*createReq, err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	defer func() {
		if err != nil {
			rollback(conn.Conn())
		}
	}()
	batch = byOrg(batch)
	first := &pgx.Batch{}
	first.Queue("BEGIN")
	for org, n := range orgRuns(batch) {
		first.Queue(lockLimited, org)
		first.Queue(orgRoom, org).QueryRow(func(row pgx.Row) error {
			var limit, count int64
			var plan string
			if err := row.Scan(&limit, &plan, &count); err != nil {
				return err
			}
			return room(limit, plan, count, n)
		})
	}
	query, args := s.pipeInsert(batch, alone)
	ids := map[string]int64{}
	first.Queue(query, args...).Query(func(rows pgx.Rows) error {
		var id int64
		var uid string
		_, err := pgx.ForEachRow(rows, []any{&id, &uid}, func() error {
			ids[uid] = id
			return nil
		})
		return err
	})
	// Any error leaves the transaction open, rolled back by the deferred
	// rollback: the plan's limit, checked before the rows are read (so that
	// it comes first, as reserve's), a unique violation when alone, or a
	// failure of the database.
	if err := conn.SendBatch(ctx, first).Close(); err != nil {
		return nil, clientWriteError(err)
	}
	w := writtenOf(batch, ids)
	second := &pgx.Batch{}
	if len(w.audits) > 0 {
		query, args, err := s.auditInsert(w.audits)
		if err != nil {
			return nil, err
		}
		second.Queue(query, args...)
	}
	if query, args := s.metricsInsert(w.metrics); query != "" {
		second.Queue(query, args...)
	}
	assigns, assignArgs := s.assignmentsInserts(w.assignments)
	for i, q := range assigns {
		second.Queue(q, assignArgs[i]...)
	}
	for org := range orgRuns(batch) {
		queries, args := s.countsUpserts(org, w.deltas[org], nil)
		for i, query := range queries {
			second.Queue(query, args[i]...)
		}
		if events := w.events[org]; len(events) > 0 {
			query, args, err := s.emitInsert(org, roster.EventClientCreated, events)
			if err != nil {
				return nil, err
			}
			second.Queue(query, args...)
		}
	}
	counts, countArgs := s.assignedCounts(w.assignments)
	for i, query := range counts {
		second.Queue(query, countArgs[i]...)
	}
	second.Queue("COMMIT")
	// Once the commit is sent, its answer is awaited whatever becomes of
	// ctx, as database/sql's Commit does: a create that commits must not
	// be reported failed.
	if err := conn.SendBatch(context.WithoutCancel(ctx), second).Close(); err != nil {
		return nil, err
	}
	return w.left, nil
}

// pipeInsert is the INSERT of a pipeline's clients (clientsInsert),
// extended to write their activities too, joined by uid to the rows it
// returns (the rows left out get none): in the same statement, as a later
// one could not read the rows before the pipeline's next round trip, and
// one joining them again by id, in that round trip, took a fifth of the
// creates' rate (1,854 to 2,159 creates/s against 2,655 to 2,733, with
// two activities each, under wrk -c32).
func (s *Store) pipeInsert(batch []*createReq, alone bool) (string, []any) {
	var uids, activities []string
	for _, r := range batch {
		for _, a := range r.c.PreferableActivities {
			uids, activities = append(uids, r.c.UID), append(activities, a)
		}
	}
	if len(uids) == 0 {
		return s.clientsInsert(batch, alone, "")
	}
	insert, args := s.clientsInsert(batch, alone, `, org_id, deactivated_at, import_id, age, height, weight, shoe_size`)
	n := len(args)
	return `WITH c AS (` + insert + `), a AS (` + activitiesInsert + `c JOIN unnest($` + strconv.Itoa(n+1) + `::text[], $` +
		strconv.Itoa(n+2) + `::text[]) AS v (uid, activity) USING (uid))
		SELECT id, uid FROM c`, append(args, uids, activities)
}

// rollback ends the transaction that a failed pipeline left open. A
// connection that cannot is closed, and the pool drops it.
func rollback(conn *pgx.Conn) {
	if conn.PgConn().TxStatus() == 'I' {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), DefaultPostgresTimeouts.Connect)
	defer cancel()
	if _, err := conn.Exec(ctx, "ROLLBACK"); err != nil {
		conn.Close(ctx)
	}
}
