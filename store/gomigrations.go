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
func goMigrations(postgres bool) []*goose.Migration {
	return []*goose.Migration{
		goMigration(5, auditUIDs),
		goMigration(6, rekeyEmails),
		goose.NewGoMigration(24, &goose.GoFunc{RunTx: countRanges(postgres)}, &goose.GoFunc{RunTx: uncountRanges}),
		goose.NewGoMigration(25, &goose.GoFunc{RunTx: countCoaches(postgres)}, &goose.GoFunc{RunTx: uncountCoaches}),
	}
}

// goOneWay says why each Go migration has no way down, for the refusal of
// MigrateDownTo: it is undone by restoring a backup.
var goOneWay = map[int64]string{
	5: "it replaced the audit log's ids by uids computed in Go, and an older roster would write entries without one",
	6: "it re-keyed emails and names with Unicode folding and set twins aside; the old keys are not kept",
}

// uncountRanges undoes countRanges, for a binary of schema 23: the
// counters of the range fields' values, which it would not keep.
func uncountRanges(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM client_count_slots WHERE dim LIKE 'range:%'`)
	return err
}

// goMigration is a Go migration with no way down (see goOneWay).
func goMigration(version int64, up func(ctx context.Context, tx *sql.Tx) error) *goose.Migration {
	return goose.NewGoMigration(version, &goose.GoFunc{RunTx: up}, nil)
}
