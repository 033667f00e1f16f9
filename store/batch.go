package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// maxBatch bounds how many write transactions share one commit.
const maxBatch = 256

// batcher is SQLite's group commit. SQLite has one writer and, with
// synchronous=FULL, one fsync per commit, which caps durable writes at the
// disk's sync rate. The batcher runs every write transaction that queued
// up while the previous commit was syncing inside one SQLite transaction,
// each in a savepoint of its own, and commits them all with one fsync. A
// transaction that fails is rolled back to its savepoint and leaves the
// others untouched; a failed commit fails them all. Nobody is told of
// success before the commit is durable.
type batcher struct {
	db     *sql.DB
	reqs   chan *writeReq
	alones chan *aloneReq
	done   chan struct{}
	sizes  sizeObserver
}

type writeReq struct {
	ctx context.Context
	fn  txFunc
	err chan error
}

// aloneReq is work for the write connection outside any transaction.
type aloneReq struct {
	ctx context.Context
	fn  func(ctx context.Context, conn *sql.Conn) error
	err chan error
}

func newBatcher(db *sql.DB) *batcher {
	b := &batcher{db: db, reqs: make(chan *writeReq), alones: make(chan *aloneReq), done: make(chan struct{})}
	go b.run()
	return b
}

// do runs fn in a write transaction and returns once it is committed.
func (b *batcher) do(ctx context.Context, fn txFunc) error {
	r := &writeReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return errClosed
	}
	// Once queued, the outcome is awaited even if ctx ends: the caller must
	// not report failure for a write that then commits.
	return <-r.err
}

// errClosed answers writes that come after Close.
var errClosed = errors.New("store: closed")

// alone runs fn on a write connection between two batches, while no write
// transaction of this process is open (a checkpoint that truncates the
// write-ahead log needs the writer), and returns its error.
func (b *batcher) alone(ctx context.Context, fn func(ctx context.Context, conn *sql.Conn) error) error {
	r := &aloneReq{ctx: ctx, fn: fn, err: make(chan error, 1)}
	select {
	case b.alones <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.done:
		return errClosed
	}
	return <-r.err
}

func (b *batcher) close() { close(b.done) }

func (b *batcher) run() {
	for {
		var first *writeReq
		select {
		case first = <-b.reqs:
		case r := <-b.alones:
			r.err <- b.runAlone(r)
			continue
		case <-b.done:
			return
		}
		batch := []*writeReq{first}
	collect:
		for len(batch) < maxBatch {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		b.sizes.observe(len(batch))
		b.commit(batch)
	}
}

func (b *batcher) commit(batch []*writeReq) {
	errs := make([]error, len(batch))
	tx, err := b.db.BeginTx(context.Background(), nil)
	if err == nil {
		for i, r := range batch {
			if errs[i], err = inSavepoint(tx, r); err != nil {
				break
			}
		}
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	for i, r := range batch {
		if err != nil {
			errs[i] = err
		}
		r.err <- errs[i]
	}
}

func (b *batcher) runAlone(r *aloneReq) error {
	conn, err := b.db.Conn(r.ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return r.fn(r.ctx, conn)
}

// inSavepoint runs r's transaction in a savepoint and returns its error. A
// fatal error means the batch's transaction can no longer be trusted to
// hold only successful work, and the whole batch must be rolled back.
func inSavepoint(tx *sql.Tx, r *writeReq) (err, fatal error) {
	if err := r.ctx.Err(); err != nil {
		return err, nil
	}
	// A panic would kill the process from this goroutine; as an error, it
	// rolls back the batch and reaches every caller.
	defer func() {
		if p := recover(); p != nil {
			err, fatal = nil, fmt.Errorf("store: panic in a write transaction: %v", p)
		}
	}()
	if _, err := tx.Exec("SAVEPOINT w"); err != nil {
		return nil, err
	}
	if err := r.fn(context.WithoutCancel(r.ctx), tx); err != nil {
		if _, rerr := tx.Exec("ROLLBACK TO w"); rerr != nil {
			// An I/O error or a full disk rolls the whole transaction
			// back, savepoint and all: the batch fails of err, which
			// tells its callers what happened.
			return err, fmt.Errorf("%w (and rolling back to its savepoint: %w)", err, rerr)
		}
		_, rerr := tx.Exec("RELEASE w")
		return err, rerr
	}
	_, err = tx.Exec("RELEASE w")
	return nil, err
}
