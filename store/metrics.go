package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"

	"roster"
)

// clientMetric is an entry of metric history to write for the client with
// the row id client.
type clientMetric struct {
	org    roster.OrgID
	client int64
	roster.Metric
}

// metricColumns are what an entry is written with.
const (
	metricColumns = `uid, org_id, client_id, field, value, recorded_at, recorded_by`
	metricWidth   = 7
)

// metricsInsert is the one INSERT of entries, with its arguments; "" when
// there are none. Entries without a uid get one, in their order.
func (s *Store) metricsInsert(entries []clientMetric) (string, []any) {
	if len(entries) == 0 {
		return "", nil
	}
	uid := roster.NewUIDs(systemNow(), len(entries))
	args := make([]any, 0, metricWidth*len(entries))
	for i, e := range entries {
		args = append(args, cmp.Or(e.UID, uid(i)), e.org, e.client, e.Field, e.Value, dbTime{e.RecordedAt}, e.RecordedBy)
	}
	return `INSERT INTO client_metrics (` + metricColumns + `) VALUES ` + s.valueLists(metricWidth, len(entries)), args
}

// insertMetrics writes entries of history with one INSERT.
func (s *Store) insertMetrics(ctx context.Context, tx *sql.Tx, entries []clientMetric) error {
	query, args := s.metricsInsert(entries)
	return s.execInsert(ctx, tx, query, args)
}

// execInsert runs a multi-row INSERT built with its arguments, unless it
// is "": nothing to write.
func (s *Store) execInsert(ctx context.Context, tx *sql.Tx, query string, args []any) error {
	if query == "" {
		return nil
	}
	_, err := s.txExec(ctx, tx, query, args...)
	return err
}

// createdMetrics are the entries of history of new clients whose row ids
// are known by uid: their measures, recorded when and by whom each client
// was created.
func createdMetrics(org roster.OrgID, clients []*roster.Client, ids map[string]int64) []clientMetric {
	var entries []clientMetric
	for _, c := range clients {
		for _, m := range roster.Metrics(&c.ClientFields, c.CreatedAt, c.CreatedBy) {
			entries = append(entries, clientMetric{org: org, client: ids[c.UID], Metric: m})
		}
	}
	return entries
}

// historyColumns are the columns of the fields with history, in the
// registry's order.
var historyColumns = func() string {
	var cols []string
	for _, spec := range roster.FieldsFor(roster.UseHistory) {
		cols = append(cols, spec.Column)
	}
	return strings.Join(cols, ", ")
}()

// updatedMetrics are the entries of history of an update of the client
// with row id client: the measures it changes, read from the row, locked
// by the caller, before the update.
func (s *Store) updatedMetrics(ctx context.Context, tx *sql.Tx, org roster.OrgID, client int64, u *roster.ClientUpdate) ([]clientMetric, error) {
	if u.Set&roster.HistoryFields == 0 {
		return nil, nil
	}
	var before roster.ClientFields
	var dest []any
	for _, spec := range roster.FieldsFor(roster.UseHistory) {
		dest = append(dest, spec.Ref(&before))
	}
	if err := tx.QueryRowContext(ctx, `SELECT `+historyColumns+` FROM clients WHERE id = $1`, client).Scan(dest...); err != nil {
		return nil, err
	}
	var entries []clientMetric
	for _, m := range roster.ChangedMetrics(&before, u, s.now(), roster.ActorFrom(ctx).UID) {
		entries = append(entries, clientMetric{org: org, client: client, Metric: m})
	}
	return entries, nil
}

// RecordMetric records a measurement of the organization's client taken
// at m.RecordedAt, whose uid, time and author the caller sets. It becomes
// the client's current value of the field, as an update would make it,
// only if no entry of the field's history is newer; an older one only
// joins the history.
func (s *Store) RecordMetric(ctx context.Context, org roster.OrgID, clientUID string, m roster.Metric) error {
	field, err := roster.HistoryField(m.Field)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Locked, so that of two measurements recorded at once on
		// PostgreSQL the newer is the one that stays current, and the
		// counters of a range's values move from the value it replaces.
		old, err := s.lockClient(ctx, tx, org, clientUID)
		if err != nil {
			return err
		}
		client := old.id
		var newer bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM client_metrics
			WHERE client_id = $1 AND field = $2 AND recorded_at > $3)`, client, m.Field, dbTime{m.RecordedAt}).Scan(&newer); err != nil {
			return err
		}
		if err := s.insertMetrics(ctx, tx, []clientMetric{{org: org, client: client, Metric: m}}); err != nil {
			return err
		}
		if newer {
			return audit(ctx, tx, org, "client.metric", "client", clientUID, m.Field)
		}
		if err := s.emitClient(ctx, tx, org, roster.EventClientUpdated,
			`UPDATE clients SET `+roster.Fields[field].Column+` = $2, updated_at = $3 WHERE id = $1`,
			client, m.Value, dbTime{s.now()}); err != nil {
			return err
		}
		if err := audit(ctx, tx, org, "client.update", "client", clientUID, m.Field); err != nil {
			return err
		}
		after := old
		if i := slices.Index(roster.RangeFields, field); i >= 0 {
			after.ranges = slices.Clone(old.ranges)
			after.ranges[i] = &m.Value
		}
		return s.moveCounts(ctx, tx, org, old.counts(), after.counts())
	})
}

// ClientMetrics returns one page of the organization's client's metric
// history, oldest first: by recorded_at, then in the order written.
func (s *Store) ClientMetrics(ctx context.Context, org roster.OrgID, clientUID string, f roster.MetricFilter) ([]roster.Metric, error) {
	// Looked up apart, so that a client without history is told from one
	// that does not exist, and the page then walks one of the history's
	// indexes.
	client, err := s.clientID(ctx, org, clientUID)
	if err != nil {
		return nil, err
	}
	w := &where{conds: []string{"client_id = $1"}, args: []any{client}}
	if f.Field != "" {
		w.and("field = " + w.arg(f.Field))
	}
	if !f.From.IsZero() {
		w.and("recorded_at >= " + w.arg(dbTime{f.From}))
	}
	if !f.To.IsZero() {
		w.and("recorded_at < " + w.arg(dbTime{f.To}))
	}
	if f.StartAfter != "" {
		// An unknown cursor matches nothing: the comparison with NULL is
		// never true.
		w.and("(recorded_at, id) > (SELECT recorded_at, id FROM client_metrics WHERE client_id = $1 AND uid = " +
			w.arg(f.StartAfter) + ")")
	}
	args := w.args
	rows, err := s.query(ctx, `SELECT `+metricRead+` FROM client_metrics
		WHERE `+w.String()+` ORDER BY recorded_at, id LIMIT `+s.limit(&args, f.Limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	entries := []roster.Metric{}
	for rows.Next() {
		m, err := scanMetric(rows)
		if err != nil {
			return nil, err
		}
		entries = append(entries, m)
	}
	return entries, cmp.Or(rows.Err(), rows.Close())
}

// RecentMetrics returns the newest n entries of each field of the
// organization's client's history, each field's oldest first, by field
// name: one statement, each of its parts a walk down the index of
// (client, field, time) that stops after n.
func (s *Store) RecentMetrics(ctx context.Context, org roster.OrgID, clientUID string, n int) (map[string][]roster.Metric, error) {
	if err := s.inScope(ctx, nil, org, roster.ClientRef{UID: clientUID}); err != nil {
		return nil, err
	}
	fields := roster.FieldNames(roster.UseHistory)
	args := []any{org, clientUID}
	parts := make([]string, len(fields))
	for i, f := range fields {
		args = append(args, f)
		parts[i] = `SELECT * FROM (SELECT m.id, ` + qualified("m", metricRead) + ` FROM client_metrics m JOIN clients c ON c.id = m.client_id
			WHERE c.org_id = $1 AND c.uid = $2 AND m.field = $` + strconv.Itoa(len(args)) + `
			ORDER BY m.recorded_at DESC, m.id DESC LIMIT ` + strconv.Itoa(n) + `) AS f` + strconv.Itoa(i)
	}
	rows, err := s.query(ctx, strings.Join(parts, " UNION ALL ")+` ORDER BY 3, 5, 1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	recent := map[string][]roster.Metric{}
	for rows.Next() {
		var id int64
		m, err := scanMetric(rows, &id)
		if err != nil {
			return nil, err
		}
		recent[m.Field] = append(recent[m.Field], m)
	}
	return recent, cmp.Or(rows.Err(), rows.Close())
}

// EachClientWithHistory is EachClientMatching with each client's whole
// metric history, oldest first. The history is read with one query per
// chunk of listChunk clients, not one per client, so memory holds a
// chunk's clients and their history, however many clients there are.
func (s *Store) EachClientWithHistory(ctx context.Context, org roster.OrgID, q roster.ClientQuery,
	fn func(*roster.Client, []roster.Metric) error) error {
	batch := make([]roster.Client, 0, listChunk)
	flush := func() error {
		history, err := s.historyOf(ctx, org, batch)
		if err != nil {
			return err
		}
		for i := range batch {
			if err := fn(&batch[i], history[batch[i].UID]); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	err := s.EachClientMatching(ctx, org, q, func(c *roster.Client) error {
		batch = append(batch, *c)
		if len(batch) == listChunk {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	return err
}

// historyOf reads the whole history of the organization's clients, by
// client uid.
func (s *Store) historyOf(ctx context.Context, org roster.OrgID, clients []roster.Client) (map[string][]roster.Metric, error) {
	args := make([]any, 0, len(clients)+1)
	args = append(args, org)
	for i := range clients {
		args = append(args, clients[i].UID)
	}
	rows, err := s.query(ctx, `SELECT c.uid, `+qualified("m", metricRead)+`
		FROM clients c JOIN client_metrics m ON m.client_id = c.id
		WHERE c.org_id = $1 AND c.uid IN (`+placeholders(2, len(clients))+`)
		ORDER BY m.client_id, m.recorded_at, m.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	history := map[string][]roster.Metric{}
	for rows.Next() {
		var client string
		m, err := scanMetric(rows, &client)
		if err != nil {
			return nil, err
		}
		history[client] = append(history[client], m)
	}
	return history, cmp.Or(rows.Err(), rows.Close())
}

// metricRead are the columns scanMetric scans.
const metricRead = `uid, field, value, recorded_at, recorded_by`

// scanMetric scans metricRead, after the columns that lead selects
// before them.
func scanMetric(row scanner, lead ...any) (roster.Metric, error) {
	var m roster.Metric
	var at dbTime
	err := row.Scan(append(lead, &m.UID, &m.Field, &m.Value, &at, &m.RecordedBy)...)
	m.RecordedAt = at.Time
	return m, err
}
