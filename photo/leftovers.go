package photo

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// RemoveLeftovers removes the temporary files of Puts that a crash
// interrupted, last written before before: a Put under way in another
// process sharing root (on PostgreSQL) writes a newer one. It returns how
// many it removed.
func (d *Dir) RemoveLeftovers(before time.Time) (int, error) {
	n := 0
	err := filepath.WalkDir(d.root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasPrefix(e.Name(), TempPrefix) {
			return err
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(before) {
			return nil // gone meanwhile, or possibly under way
		}
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			return err
		}
		n++
		return nil
	})
	return n, err
}
