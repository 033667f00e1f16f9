package store

import (
	"sync/atomic"
	"time"
)

// PoolStats is what one pool of database connections is doing: the
// connections in use and idle, and how many times and how long callers
// have waited for one since the store opened.
type PoolStats struct {
	Name         string // "postgres"; on SQLite "sqlite_read" and "sqlite_write"
	InUse, Idle  int
	Waits        int64
	WaitDuration time.Duration
}

// Pools returns the statistics of the store's connection pools, read now.
// On PostgreSQL database/sql borrows from pgx's pool, which therefore
// counts every connection of requests and mail.
func (s *Store) Pools() []PoolStats {
	if s.pool != nil {
		st := s.pool.Stat()
		return []PoolStats{{Name: "postgres", InUse: int(st.AcquiredConns()), Idle: int(st.IdleConns()),
			Waits: st.EmptyAcquireCount(), WaitDuration: st.EmptyAcquireWaitTime()}}
	}
	r, w := s.rdb.Stats(), s.wdb.Stats()
	return []PoolStats{
		{Name: "sqlite_read", InUse: r.InUse, Idle: r.Idle, Waits: r.WaitCount, WaitDuration: r.WaitDuration},
		{Name: "sqlite_write", InUse: w.InUse, Idle: w.Idle, Waits: w.WaitCount, WaitDuration: w.WaitDuration},
	}
}

// BatchKind names a group commit: Writes is SQLite's (see batcher), whose
// batches are write transactions; Creates is the client creates' (see
// creates), on both engines.
type BatchKind string

const (
	Writes  BatchKind = "writes"
	Creates BatchKind = "creates"
)

// ObserveBatches has f called with the size of every batch a group commit
// writes, from the goroutine that writes it; f must be quick. It may be
// set while the store runs.
func (s *Store) ObserveBatches(f func(kind BatchKind, size int)) {
	if s.batch != nil {
		s.batch.sizes.set(func(n int) { f(Writes, n) })
	}
	s.creates.sizes.set(func(n int) { f(Creates, n) })
}

// sizeObserver is told the size of each batch of a group commit.
type sizeObserver struct{ f atomic.Pointer[func(int)] }

func (o *sizeObserver) set(f func(int)) { o.f.Store(&f) }

func (o *sizeObserver) observe(n int) {
	if f := o.f.Load(); f != nil {
		(*f)(n)
	}
}
