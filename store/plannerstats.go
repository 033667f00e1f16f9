package store

import (
	"context"
	"errors"
)

// DropPlannerStatistics removes the SQLite planner statistics an ANALYZE
// (or PRAGMA optimize) left in the database, and reports whether there
// were any. Roster's queries choose their indexes without statistics, and
// with them the SQLite Roster embeds, built with STAT4, prepares a
// statement anew whenever a value bound to it could change its plan: for
// Roster's pages, every request, about 90 µs more each
// (BenchmarkScopedPage). The tables are dropped, not emptied, so that every
// connection reloads its schema without them. serve calls it at start, when
// it holds the data directory alone. PostgreSQL's planner needs its
// statistics: there it does nothing.
func (s *Store) DropPlannerStatistics(ctx context.Context) (bool, error) {
	if s.postgres {
		return false, nil
	}
	rows, err := s.wdb.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'sqlite\_stat%' ESCAPE '\'`)
	if err != nil {
		return false, err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return false, err
		}
		tables = append(tables, name)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, err
	}
	for _, t := range tables {
		// The names are SQLite's own (sqlite_stat1, sqlite_stat4), read
		// from its schema.
		if _, err := s.wdb.ExecContext(ctx, `DROP TABLE `+t); err != nil {
			return false, err
		}
	}
	return len(tables) > 0, nil
}
