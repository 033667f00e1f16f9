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
	var alone []*createReq
	err := s.inTx(context.WithoutCancel(batch[0].ctx), func(ctx context.Context, tx *sql.Tx) (err error) {
		alone, err = s.insertBatch(ctx, tx, batch)
		return err
	})
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

// insertBatch writes the creates of a batch that can go together, and
// returns the others. Organizations are reserved and counted in id order,
// so that concurrent batches lock their rows in one order.
func (s *Store) insertBatch(ctx context.Context, tx *sql.Tx, batch []*createReq) (alone []*createReq, err error) {
	batch = slices.SortedStableFunc(slices.Values(batch), func(a, b *createReq) int { return cmp.Compare(a.org, b.org) })
	for org, n := range orgRuns(batch) {
		if err := s.reserve(ctx, tx, org, n); err != nil {
			return nil, err
		}
	}
	args := make([]any, 0, len(batch)*len(insertColumns))
	for _, r := range batch {
		args = append(args, insertArgs(r.org, r.c)...)
	}
	// A create whose email or external id is taken, by a client of before
	// or by another create of the batch, is left out here and told why
	// when it runs alone.
	ids, err := s.insertClients(ctx, tx, `INSERT INTO clients (`+strings.Join(insertColumns, ", ")+`) VALUES `+
		s.valueLists(len(insertColumns), len(batch))+` ON CONFLICT DO NOTHING RETURNING id, uid`, args)
	if err != nil {
		return nil, err
	}
	var created []*roster.Client
	audits := make([]auditEntry, 0, len(batch))
	deltas := map[roster.OrgID]map[countKey]int{}
	for _, r := range batch {
		if _, ok := ids[r.c.UID]; !ok {
			alone = append(alone, r)
			continue
		}
		created = append(created, r.c)
		audits = append(audits, clientEntries(r.ctx, r.org, "client.create", []*roster.Client{r.c})...)
		if deltas[r.org] == nil {
			deltas[r.org] = map[countKey]int{}
		}
		for _, k := range append(countKeys(r.c.CreatedBy, r.c.Gender, r.c.PreferableActivities), totalKey) {
			deltas[r.org][k]++
		}
	}
	if err := s.insertActivitiesOf(ctx, tx, created, ids); err != nil {
		return nil, err
	}
	if err := s.insertAudit(ctx, tx, audits); err != nil {
		return nil, err
	}
	for org := range orgRuns(batch) {
		if err := s.adjustCounts(ctx, tx, org, deltas[org]); err != nil {
			return nil, err
		}
	}
	return alone, nil
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
