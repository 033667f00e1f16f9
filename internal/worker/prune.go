package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Retention is how long an outbox keeps what it is done with (mail sent or
// given up on, webhook deliveries delivered or given up on) by default: 30
// days, long enough to see what went out last month, and not for ever,
// since it holds people's addresses and what was sent to them.
const Retention = 30 * 24 * time.Hour

// Pruning's pace: once an hour among all of a loop's workers, a batch per
// transaction, so that no delete holds the writer for long.
const (
	pruneEvery = time.Hour
	pruneBatch = 1000
)

// Pruner deletes what an outbox is done with once it is older than its
// retention. Its methods are safe to call from any goroutine.
type Pruner struct {
	retention time.Duration
	// del deletes up to max items done with before t and returns how many.
	del  func(ctx context.Context, t time.Time, max int) (int64, error)
	log  *slog.Logger
	what string // what is deleted, for the log

	mu   sync.Mutex
	next time.Time // when a worker next prunes
}

// NewPruner returns a Pruner of what, which del deletes, kept for
// retention (Retention when zero).
func NewPruner(what string, retention time.Duration, log *slog.Logger,
	del func(ctx context.Context, t time.Time, max int) (int64, error)) *Pruner {
	if retention <= 0 {
		retention = Retention
	}
	return &Pruner{retention: retention, del: del, log: log, what: what}
}

// IfDue prunes when the last prune was an hour or more before now, and
// logs what it did.
func (p *Pruner) IfDue(ctx context.Context, now time.Time) {
	p.mu.Lock()
	due := !now.Before(p.next)
	if due {
		p.next = now.Add(pruneEvery)
	}
	p.mu.Unlock()
	if !due {
		return
	}
	if n, err := p.Prune(ctx, now); err != nil && ctx.Err() == nil {
		p.log.Error("deleting old "+p.what+" failed", "err", err)
	} else if n > 0 {
		p.log.Info("old "+p.what+" deleted", "count", n, "retention", p.retention)
	}
}

// Prune deletes what is older than the retention at now, a batch per
// transaction, and returns how many it deleted.
func (p *Pruner) Prune(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for {
		n, err := p.del(ctx, now.Add(-p.retention), pruneBatch)
		total += n
		if err != nil || n < pruneBatch {
			return total, err
		}
	}
}
