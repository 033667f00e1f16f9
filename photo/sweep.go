package photo

import (
	"context"
	"log/slog"
	"path"
	"strings"
	"time"
)

// Named reports whether the organization's client, by uids, has the photo
// key (store.Store.PhotoNamed).
type Named func(ctx context.Context, orgUID, clientUID, key string) (bool, error)

// Sweeper deletes the blobs that no client names: a photo whose client was
// never committed (a crash between the blob's Put and the commit that
// names it), one a failed delete left behind, a temporary file of a Put
// that a crash cut short. It walks the store a batch at a time, so that a
// pass does bounded work however many photos there are. Blobs younger than
// the grace period are never swept: they may be an upload whose commit is
// still to come. Objects whose names Roster does not make are left alone.
type Sweeper struct {
	blobs Blobs
	named Named
	cfg   SweepConfig
	after string // where the next pass starts; "" at the beginning
}

// SweepConfig tunes a Sweeper.
type SweepConfig struct {
	Grace time.Duration    // far longer than any upload takes to commit
	Batch int              // blobs looked at per pass
	Now   func() time.Time // the clock a blob's age is measured by
}

// DefaultSweep is what roster serve uses: a pass a minute walks 720,000
// blobs a day.
var DefaultSweep = SweepConfig{Grace: time.Hour, Batch: 500, Now: time.Now}

// NewSweeper returns a sweeper of blobs.
func NewSweeper(blobs Blobs, named Named, cfg SweepConfig) *Sweeper {
	return &Sweeper{blobs: blobs, named: named, cfg: cfg}
}

// Pass looks at the next batch of blobs and deletes the unnamed ones older
// than the grace period; it returns how many it deleted. After the last
// batch the next pass starts again from the first.
func (s *Sweeper) Pass(ctx context.Context) (deleted int, err error) {
	batch, err := s.blobs.List(ctx, s.after, s.cfg.Batch)
	if err != nil {
		return 0, err
	}
	s.after = ""
	if len(batch) == s.cfg.Batch {
		s.after = batch[len(batch)-1].Key
	}
	cutoff := s.cfg.Now().Add(-s.cfg.Grace)
	for _, b := range batch {
		if !b.ModTime.Before(cutoff) {
			continue
		}
		orphan, err := s.orphan(ctx, b.Key)
		if err != nil {
			return deleted, err
		}
		if !orphan {
			continue
		}
		if err := s.blobs.Delete(ctx, b.Key); err != nil {
			return deleted, err
		}
		deleted++
	}
	return deleted, nil
}

// orphan reports whether key is Roster's and no client names it.
func (s *Sweeper) orphan(ctx context.Context, key string) (bool, error) {
	if strings.HasPrefix(path.Base(key), TempPrefix) {
		return true, nil
	}
	orgUID, clientUID, photoKey, ok := keyParts(key)
	if !ok {
		return false, nil
	}
	named, err := s.named(ctx, orgUID, clientUID, photoKey)
	return !named, err
}

// Run sweeps a pass at once and then one at every tick, until ctx ends. A
// failed pass is logged; the next tick tries again.
func (s *Sweeper) Run(ctx context.Context, ticks <-chan time.Time, log *slog.Logger) {
	for {
		n, err := s.Pass(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("photo sweep failed", "err", err)
		case n > 0:
			log.Info("photo sweep deleted unnamed blobs", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
}
