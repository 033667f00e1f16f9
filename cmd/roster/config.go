package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"runtime/debug"

	"roster/store"
)

// dbConfig is where the data lives; every subcommand that opens the
// database takes these flags.
type dbConfig struct {
	dataDir     string
	databaseURL string
}

// env returns the environment variable name's value, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func (c *dbConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.dataDir, "data", env("ROSTER_DATA_DIR", "./roster-data"),
		"directory of the embedded SQLite database and stored photos (env ROSTER_DATA_DIR)")
	fs.StringVar(&c.databaseURL, "database-url", env("ROSTER_DATABASE_URL", ""),
		"postgres:// URL: use PostgreSQL instead of SQLite (env ROSTER_DATABASE_URL)")
}

// open opens and migrates the database.
func (c *dbConfig) open(ctx context.Context, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, c.dataDir, c.databaseURL)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx, log); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, nil))
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return "roster " + info.Main.Version
	}
	return "roster (devel)"
}

func migrate(ctx context.Context, args []string, stderr io.Writer) error {
	var db dbConfig
	fs := newFlagSet("migrate", stderr)
	db.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := db.open(ctx, newLogger(stderr))
	if err != nil {
		return err
	}
	return st.Close()
}
