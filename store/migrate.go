package store

import (
	"bytes"
	"cmp"
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"maps"
	"path"
	"strings"
	"testing/fstest"
	"text/template"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations are goose's SQL migrations, one file for both engines: each is
// a text/template in which the functions of sqlTypes write what the
// engines write differently, and {{if postgres}} encloses what only
// PostgreSQL runs. A migration that can be undone without losing what was
// written since has a "-- +goose Down" section, which MigrateDownTo runs;
// the others are one-way, undone only by restoring a backup.
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

// Migrate brings the schema up to date. Concurrent starts of several
// processes take turns: on PostgreSQL through a session lock, on SQLite
// through a lock file (lockMigrations). A schema newer than
// the migrations it knows is a *NewerSchemaError: an older binary would
// write rows the newer code mishandles.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	release, err := s.lockMigrations(ctx)
	if err != nil {
		return err
	}
	defer release()
	p, _, err := s.provider(ctx)
	if err != nil {
		return err
	}
	results, err := p.Up(withMigrationLog(ctx, log))
	for _, r := range results {
		log.Info("migrated", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return err
	}
	// Checked after Up, not before, so that a newer binary migrating
	// meanwhile is seen too.
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	known := latest(p)
	if current > known {
		return &NewerSchemaError{Current: current, Known: known}
	}
	if len(results) == 0 {
		log.Info("schema is current", "version", current)
	}
	return nil
}

// NewerSchemaError is the refusal to run on a schema that a newer Roster
// migrated.
type NewerSchemaError struct{ Current, Known int64 }

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("the database schema is at version %d, newer than this roster knows (%d): "+
		"a newer roster migrated it, and this one would write rows it mishandles. Run the newer roster, "+
		"or roll the schema back with it first: roster migrate --down-to %d (back up the database before)",
		e.Current, e.Known, e.Known)
}

// latest is the highest version among p's migrations.
func latest(p *goose.Provider) int64 {
	sources := p.ListSources()
	return sources[len(sources)-1].Version
}

// MigrateDownTo undoes the migrations above version, newest first, for a
// deliberate rollback to an older roster. It refuses, changing nothing,
// when one of them is one-way or unknown to this binary; it does nothing
// at or above the current version.
func (s *Store) MigrateDownTo(ctx context.Context, version int64, log *slog.Logger) error {
	release, err := s.lockMigrations(ctx)
	if err != nil {
		return err
	}
	defer release()
	p, oneWay, err := s.provider(ctx)
	if err != nil {
		return err
	}
	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return err
	}
	if known := latest(p); current > known {
		return fmt.Errorf("the database schema is at version %d, newer than this roster knows (%d): "+
			"only the roster that migrated it knows how to undo its migrations; run its migrate --down-to %d",
			current, known, version)
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return err
	}
	for i := len(statuses) - 1; i >= 0; i-- {
		m := statuses[i]
		if v := m.Source.Version; v > version && m.State == goose.StateApplied && oneWay[v] != "" {
			return fmt.Errorf("cannot roll the schema back to version %d: migration %d (%s) is one-way: %s. "+
				"Restore a backup taken before it instead", version, v, path.Base(m.Source.Path), oneWay[v])
		}
	}
	results, err := p.DownTo(withMigrationLog(ctx, log), version)
	for _, r := range results {
		log.Info("rolled back", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err == nil && len(results) == 0 {
		log.Info("nothing to roll back", "version", current)
	}
	return err
}

// provider returns the migrations of the store's engine, SQL and Go, and
// why each one-way migration is, by version.
func (s *Store) provider(ctx context.Context) (*goose.Provider, map[int64]string, error) {
	dialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if s.postgres {
		dialect = goose.DialectPostgres
		id, err := s.migrationLockID(ctx)
		if err != nil {
			return nil, nil, err
		}
		// Processes that migrate one schema take turns; those that migrate
		// others (the tests' schemas, other deployments on one server) need
		// not wait for them. A second between tries, not goose's five, since
		// a migration of Roster's takes well under one.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(id), lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sqlFiles, err := renderMigrations(s.postgres)
	if err != nil {
		return nil, nil, err
	}
	maps.Copy(sqlFiles, s.extraMigrations)
	oneWay := oneWaySQL(sqlFiles)
	goMigs := goMigrations(s.postgres)
	for _, m := range goMigs {
		if m.DownFnContext == nil && m.DownFnNoTxContext == nil {
			oneWay[m.Version] = cmp.Or(goOneWay[m.Version], "it has no down function")
		}
	}
	opts = append(opts, goose.WithGoMigrations(goMigs...))
	p, err := goose.NewProvider(dialect, s.mdb, sqlFiles, opts...)
	return p, oneWay, err
}

// oneWaySQL says which SQL migrations have statements up but none down.
// One whose up is empty on this engine ({{if postgres}} only) has nothing
// to undo.
func oneWaySQL(files fstest.MapFS) map[int64]string {
	oneWay := map[int64]string{}
	for name, f := range files {
		version, err := goose.NumericComponent(name)
		if err != nil {
			continue // goose refuses it in NewProvider
		}
		up, down, _ := strings.Cut(string(f.Data), "-- +goose Down")
		if hasStatement(up) && !hasStatement(down) {
			oneWay[version] = "it has no Down section"
		}
	}
	return oneWay
}

// hasStatement reports whether SQL text holds more than blank lines and
// comments (goose's annotations among them).
func hasStatement(sql string) bool {
	for line := range strings.Lines(sql) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "--") {
			return true
		}
	}
	return false
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
func renderMigrations(postgres bool) (fstest.MapFS, error) {
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
