package store

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// goMigrations are the migrations that must compute in Go what SQL cannot
// compute alike on both engines (Unicode folding, uids). Their versions
// share one sequence with the SQL files in migrations/; each runs in one
// transaction, with the same SQL on both engines.
func goMigrations() []*goose.Migration {
	return []*goose.Migration{
		goMigration(5, auditUIDs),
		goMigration(6, rekeyEmails),
	}
}

// goMigration is a Go migration with no way down: like the SQL ones, it is
// undone by restoring a backup.
func goMigration(version int64, up func(ctx context.Context, tx *sql.Tx) error) *goose.Migration {
	return goose.NewGoMigration(version, &goose.GoFunc{RunTx: up}, nil)
}
