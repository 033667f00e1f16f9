package store

import "testing/fstest"

// AddMigrationsForTest gives s migrations of a test's own, plain SQL named
// as goose names them, beside the embedded ones.
func (s *Store) AddMigrationsForTest(files fstest.MapFS) { s.extraMigrations = files }
