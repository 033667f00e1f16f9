// Package csvtest makes import files for tests.
package csvtest

import (
	"io"
	"strings"
)

// Oversized returns a CSV of clients that runs past limit bytes, streamed
// as it is read: its rows are bad (no valid email) and of 2 kB each, so
// that a limit of the import's (100 MiB) comes before its row limit.
// Closing the reader stops the stream.
func Oversized(limit int) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		row := []byte("x," + strings.Repeat("n", 2046) + "\n")
		if _, err := pw.Write([]byte("email,display_name\n")); err != nil {
			return
		}
		for n := 0; n <= limit; n += len(row) {
			if _, err := pw.Write(row); err != nil {
				return
			}
		}
		pw.Close()
	}()
	return pr
}
