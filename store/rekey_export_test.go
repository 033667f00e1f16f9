package store

import (
	"context"
	"database/sql"
	"log/slog"
)

// DBForTest is the store's database, for tests that write rows as older
// versions left them, which the store itself never would.
func (s *Store) DBForTest() *sql.DB { return s.wdb }

// RekeyEmailsForTest runs migration 6 on the store's rows, logging to log.
func (s *Store) RekeyEmailsForTest(ctx context.Context, log *slog.Logger) error {
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := rekeyEmails(withMigrationLog(ctx, log), tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
