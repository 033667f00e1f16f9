package api

import (
	"os"
	"path/filepath"
)

// RemoveImportLeftovers removes the import spools that a crashed roster
// older than the unlinked spool left in the temporary directory: they hold
// clients' emails. Removing a spool that another process still reads ends
// nothing, since it reads through its open file. It returns how many it
// removed.
func RemoveImportLeftovers() (int, error) {
	names, err := filepath.Glob(filepath.Join(os.TempDir(), spoolPattern))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, name := range names {
		if err := os.Remove(name); err != nil && !os.IsNotExist(err) {
			return n, err
		}
		n++
	}
	return n, nil
}
