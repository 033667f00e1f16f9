package store

import (
	"context"
	"embed"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// Migrate brings the schema up to date. On PostgreSQL a session lock makes
// concurrent starts of several processes take turns.
func (s *Store) Migrate(ctx context.Context, log *slog.Logger) error {
	p, err := s.provider()
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
func (s *Store) provider() (*goose.Provider, error) {
	dialect, dir := goose.DialectSQLite3, "migrations/sqlite"
	var opts []goose.ProviderOption
	if s.postgres {
		dialect, dir = goose.DialectPostgres, "migrations/postgres"
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return nil, err
	}
	opts = append(opts, goose.WithGoMigrations(goMigrations()...))
	return goose.NewProvider(dialect, s.wdb, sub, opts...)
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
