package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strings"
	"sync"

	"roster"
)

// maxCreates bounds how many creates share one transaction.
const maxCreates = 64

// creates is the group commit of client creates. A create is a handful of
// statements (the client, its activities, its counters, its audit entry)
// and a commit; on PostgreSQL each is a round trip and each commit a WAL
// flush, so one create at a time per connection runs far below what the
// database can insert. Creates that arrive together instead share one
// transaction of the same handful of multi-row statements. A create that
// cannot join (its email is taken, its organization's plan is full, the
// batch failed) runs again alone, so every caller gets the answer a create
// of its own would have had. Nobody is answered before the commit.
type creates struct {
	store    *Store
	queue    chan *createReq
	inflight chan struct{} // one token per batch being written
	done     chan struct{}
	writing  sync.WaitGroup // run and the batches
	sizes    sizeObserver
}

type createReq struct {
	ctx context.Context
	org roster.OrgID
	c   *roster.Client
	err chan error
}

func newCreates(s *Store, inflight int) *creates {
	g := &creates{store: s, queue: make(chan *createReq), inflight: make(chan struct{}, inflight), done: make(chan struct{})}
	// run is one of the waited for, so that what it starts is always
	// counted before close waits.
	g.writing.Go(g.run)
	return g
}

// do creates c and returns once it is committed or refused.
func (g *creates) do(ctx context.Context, org roster.OrgID, c *roster.Client) error {
	r := &createReq{ctx: ctx, org: org, c: c, err: make(chan error, 1)}
	select {
	case g.queue <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.done:
		return errClosed
	}
	// Once queued, the outcome is awaited even if ctx ends: the caller must
	// not report failure for a create that then commits.
	return <-r.err
}

// close refuses new creates and waits for those under way.
func (g *creates) close() {
	close(g.done)
	g.writing.Wait()
}

// run takes a batch token before it gathers, so that the creates arriving
// while every batch is busy join the next one.
func (g *creates) run() {
	for {
		var first *createReq
		select {
		case first = <-g.queue:
		case <-g.done:
			return
		}
		g.inflight <- struct{}{}
		batch := []*createReq{first}
	gather:
		for len(batch) < maxCreates {
			select {
			case r := <-g.queue:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		g.sizes.observe(len(batch))
		g.writing.Go(func() {
			defer func() { <-g.inflight }()
			g.createBatch(batch)
		})
	}
}

// createBatch writes a batch and answers each of its creates.
func (g *creates) createBatch(batch []*createReq) {
	s := g.store
	if len(batch) == 1 {
		r := batch[0]
		r.err <- s.createClient(r.ctx, r.org, r.c)
		return
	}
	alone, err := s.insertTogether(context.WithoutCancel(batch[0].ctx), batch)
	if err != nil {
		alone = batch
	}
	for _, r := range batch {
		if !slices.Contains(alone, r) {
			r.err <- nil
		}
	}
	// The creates left out run alone one after another, in the order they
	// came: the first of two with one email gets it, as without batches.
	for _, r := range batch {
		if slices.Contains(alone, r) {
			r.err <- s.createClient(r.ctx, r.org, r.c)
		}
	}
}

// insertTogether writes the creates of a batch that can go together in
// one transaction, and returns the others.
func (s *Store) insertTogether(ctx context.Context, batch []*createReq) (alone []*createReq, err error) {
	if s.pool != nil {
		return s.pipeCreates(ctx, batch, false)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) (err error) {
		alone, err = s.insertBatch(ctx, tx, batch)
		return err
	})
	return alone, err
}

// insertBatch writes the creates of a batch that can go together, and
// returns the others, in a transaction of database/sql (SQLite's).
func (s *Store) insertBatch(ctx context.Context, tx *sql.Tx, batch []*createReq) (alone []*createReq, err error) {
	batch = byOrg(batch)
	for org, n := range orgRuns(batch) {
		if err := s.reserve(ctx, tx, org, n); err != nil {
			return nil, err
		}
	}
	query, args := s.clientsInsert(batch, false, "")
	ids, err := s.insertClients(ctx, tx, query, args)
	if err != nil {
		return nil, err
	}
	w := writtenOf(batch, ids)
	if err := s.insertActivitiesOf(ctx, tx, w.created, ids); err != nil {
		return nil, err
	}
	if err := s.insertMetrics(ctx, tx, w.metrics); err != nil {
		return nil, err
	}
	if err := s.insertAssignments(ctx, tx, w.assignments); err != nil {
		return nil, err
	}
	if err := s.insertAudit(ctx, tx, w.audits); err != nil {
		return nil, err
	}
	for org := range orgRuns(batch) {
		if err := s.adjustCounts(ctx, tx, org, w.deltas[org]); err != nil {
			return nil, err
		}
		if err := s.emitAll(ctx, tx, org, roster.EventClientCreated, w.events[org]); err != nil {
			return nil, err
		}
	}
	if err := s.countAssigned(ctx, tx, w.assignments); err != nil {
		return nil, err
	}
	return w.left, nil
}

// byOrg sorts a batch by organization, keeping the order of each one's
// creates: organizations are reserved and counted in id order, so that
// concurrent batches lock their rows in one order.
func byOrg(batch []*createReq) []*createReq {
	return slices.SortedStableFunc(slices.Values(batch), func(a, b *createReq) int { return cmp.Compare(a.org, b.org) })
}

// clientsInsert is the INSERT of the rows of a batch's clients, returning
// the id and uid of each row written, and the columns more given. A create
// whose email or external id is taken, by a client of before or by another
// create of the batch, is left out, to be told why when it runs alone;
// alone, it is the error.
func (s *Store) clientsInsert(batch []*createReq, alone bool, more string) (string, []any) {
	args := make([]any, 0, len(batch)*len(insertColumns))
	for _, r := range batch {
		args = append(args, insertArgs(r.org, r.c)...)
	}
	conflict := " ON CONFLICT DO NOTHING"
	if alone {
		conflict = ""
	}
	return `INSERT INTO clients (` + strings.Join(insertColumns, ", ") + `) VALUES ` +
		s.valueLists(len(insertColumns), len(batch)) + conflict + ` RETURNING id, uid` + more, args
}

// written is what the rows of a batch's clients leave to write: the
// creates left out, and the clients, audit entries and counter changes of
// the others.
type written struct {
	left        []*createReq
	created     []*roster.Client
	audits      []auditEntry
	metrics     []clientMetric // the history of their measures
	assignments []assignment   // to their creators, Admins
	deltas      orgDeltas
	events      map[roster.OrgID][]webhookEvent // client.created, for emitAll
}

// writtenOf sorts out a batch by the clients' ids of the rows written.
func writtenOf(batch []*createReq, ids map[string]int64) written {
	w := written{audits: make([]auditEntry, 0, len(batch)), deltas: orgDeltas{},
		events: map[roster.OrgID][]webhookEvent{}}
	for _, r := range batch {
		if _, ok := ids[r.c.UID]; !ok {
			w.left = append(w.left, r)
			continue
		}
		w.created = append(w.created, r.c)
		w.metrics = append(w.metrics, createdMetrics(r.org, []*roster.Client{r.c}, ids)...)
		w.assignments = append(w.assignments, createdAssignments(r.ctx, r.org, []*roster.Client{r.c}, ids)...)
		w.audits = append(w.audits, clientEntries(r.ctx, r.org, "client.create", []*roster.Client{r.c})...)
		w.events[r.org] = append(w.events[r.org], webhookEvent{clientSnapshot(r.c)})
		w.deltas.add(r.org, createdCounts(r.c))
	}
	return w
}

// orgRuns yields each organization of a batch sorted by organization, with
// its number of creates.
func orgRuns(batch []*createReq) func(yield func(roster.OrgID, int) bool) {
	return func(yield func(roster.OrgID, int) bool) {
		for i := 0; i < len(batch); {
			j := i + 1
			for j < len(batch) && batch[j].org == batch[i].org {
				j++
			}
			if !yield(batch[i].org, j-i) {
				return
			}
			i = j
		}
	}
}
