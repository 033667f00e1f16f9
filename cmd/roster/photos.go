package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"roster/photo"
	"roster/store"
)

// sweepEvery is how often serve sweeps a batch of photo blobs.
const sweepEvery = time.Minute

// openPhotos opens the blob store --blob-url names (local disk under the
// data directory by default) and starts its sweep: a pass at once, then
// one every sweepEvery, until stop.
func openPhotos(ctx context.Context, blobURL, dataDir string, st *store.Store, log *slog.Logger) (
	blobs photo.Blobs, stop func(), err error) {
	// Opening an S3 store asks whether its bucket exists; an endpoint that
	// does not answer must not hold the start for ever.
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if blobs, err = photo.Open(octx, blobURL, filepath.Join(dataDir, "photos"), os.Getenv); err != nil {
		return nil, nil, fmt.Errorf("--blob-url: %w", err)
	}
	sweeper := photo.NewSweeper(blobs, st.PhotoNamed, photo.DefaultSweep)
	sctx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	ticker := time.NewTicker(sweepEvery)
	done := make(chan struct{})
	go func() { defer close(done); sweeper.Run(sctx, ticker.C, log) }()
	return blobs, func() { stopSweep(); ticker.Stop(); <-done }, nil
}
