package main

import (
	"log/slog"
	"time"

	"roster/api"
	"roster/photo"
)

// photoTmpAge is how old a photo's temporary file must be to be taken for
// a crash's: a Put writes it from memory in well under a second, but
// another process sharing the directory may be writing one now.
const photoTmpAge = 10 * time.Minute

// removeLeftovers removes what a crash left behind: import spools, which
// hold clients' emails, and the temporary files of photos being stored. A
// failure is logged, not fatal: what is left costs disk, not data.
func removeLeftovers(blobs photo.Blobs, now time.Time, log *slog.Logger) {
	type leftover struct {
		what   string
		remove func() (int, error)
	}
	leftovers := []leftover{{"import spools", api.RemoveImportLeftovers}}
	// Object storage has no temporary files: an upload is all or nothing.
	if dir, ok := blobs.(*photo.Dir); ok {
		leftovers = append(leftovers, leftover{"temporary photo files",
			func() (int, error) { return dir.RemoveLeftovers(now.Add(-photoTmpAge)) }})
	}
	for _, l := range leftovers {
		if n, err := l.remove(); err != nil {
			log.Warn("removing "+l.what+" left by a crash", "removed", n, "err", err)
		} else if n > 0 {
			log.Info("removed "+l.what+" left by a crash", "removed", n)
		}
	}
}
