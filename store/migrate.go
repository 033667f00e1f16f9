package store

import (
	"bytes"
	"context"
	"embed"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"path"
	"testing/fstest"
	"text/template"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are goose's SQL migrations, one file for both engines: each is
// a text/template in which the functions of sqlTypes write what the
// engines write differently, and {{if postgres}} encloses what only
// PostgreSQL runs. They have no way down, like the Go migrations: nothing
// in Roster runs one down, and a migration is undone by restoring a backup.
//
//go:embed migrations/*.sql
var migrations embed.FS

// sqlTypes are the column types the engines spell differently.
var sqlTypes = map[string]struct{ sqlite, postgres string }{
	// SQLite's INTEGER PRIMARY KEY is the rowid, numbered by SQLite.
	"id":     {"INTEGER PRIMARY KEY", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"},
	"bigint": {"INTEGER", "BIGINT"}, // SQLite's INTEGER has 64 bits
	"double": {"REAL", "DOUBLE PRECISION"},
	"blob":   {"BLOB", "BYTEA"},
	// SQLite keeps times as fixed-width UTC text
	// (2006-01-02T15:04:05.000000Z), which sorts as the times do.
	"time": {"TEXT", "TIMESTAMPTZ"},
	// Text compared bytewise whatever the database's collation, as SQLite
	// compares all text: uids then sort in creation order.
	"bytewise_text": {"TEXT", `TEXT COLLATE "C"`},
}

// Migrate brings the schema up to date. On PostgreSQL a session lock makes
// concurrent starts of several processes take turns.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	p, err := s.provider(ctx)
	if err != nil {
		return err
	}
	results, err := p.Up(withMigrationLog(ctx, log))
	for _, r := range results {
		log.Info("migrated", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err == nil && len(results) == 0 {
		sources := p.ListSources()
		log.Info("schema is current", "version", sources[len(sources)-1].Version)
	}
	return err
}

// provider returns the migrations of the store's engine, SQL and Go.
func (s *Store) provider(ctx context.Context) (*goose.Provider, error) {
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.postgres {
		dialect = goose.DialectPostgres
		id, err := s.migrationLockID(ctx)
		if err != nil {
			return nil, err
		}
		// Processes that migrate one schema take turns; those that migrate
		// others (the tests' schemas, other deployments on one server) need
		// not wait for them. A second between tries, not goose's five, since
		// a migration of Roster's takes well under one.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sqlFiles, err := renderMigrations(s.postgres)
	if err != nil {
		return nil, err
	}
	opts = append(opts, goose.WithGoMigrations(goMigrations()...))
	return goose.NewProvider(dialect, s.mdb, sqlFiles, opts...)
}

// migrationLockID is the advisory lock of the schema that migrations
// write to: the first on the search path.
func (s *Store) migrationLockID(ctx context.Context) (int64, error) {
	var schema string
	if err := s.wdb.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write([]byte("roster migrations " + schema))
	return int64(h.Sum64()), nil
}

// renderMigrations returns the SQL migrations written out for one engine,
// under the names goose takes their versions from.
func renderMigrations(postgres bool) (fs.FS, error) {
	funcs := template.FuncMap{"postgres": func() bool { return postgres }}
	for name, spelling := range sqlTypes {
		typ := spelling.sqlite
		if postgres {
			typ = spelling.postgres
		}
		funcs[name] = func() string { return typ }
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	// goose reads the migrations from a file system; the standard
	// library's in-memory one holds them.
	rendered := fstest.MapFS{}
	for _, name := range names {
		t, err := template.New(path.Base(name)).Funcs(funcs).ParseFS(migrations, name)
		if err != nil {
			return nil, err
		}
		var sql bytes.Buffer
		if err := t.Execute(&sql, nil); err != nil {
			return nil, err
		}
		rendered[t.Name()] = &fstest.MapFile{Data: sql.Bytes()}
	}
	return rendered, nil
}

type migrationLogKey struct{}

// withMigrationLog gives the Go migrations Migrate's logger, which goose
// does not pass them, through their context.
func withMigrationLog(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, migrationLogKey{}, log)
}

// migrationLog returns the logger of a Go migration, for what the operator
// must know (rekeyEmails' twins); without one, what it logs is dropped.
func migrationLog(ctx context.Context) *slog.Logger {
	if log, ok := ctx.Value(migrationLogKey{}).(*slog.Logger); ok {
		return log
	}
	return slog.New(slog.DiscardHandler)
}
