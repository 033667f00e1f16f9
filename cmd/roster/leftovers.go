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
func removeLeftovers(blobs *photo.Dir, now time.Time, log *slog.Logger) {
	for _, l := range []struct {
		what   string
		remove func() (int, error)
	}{
		{"import spools", api.RemoveImportLeftovers},
		{"temporary photo files", func() (int, error) { return blobs.RemoveLeftovers(now.Add(-photoTmpAge)) }},
	} {
		if n, err := l.remove(); err != nil {
			log.Warn("removing "+l.what+" left by a crash", "removed", n, "err", err)
		} else if n > 0 {
			log.Info("removed "+l.what+" left by a crash", "removed", n)
		}
	}
}
