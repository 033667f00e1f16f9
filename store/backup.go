package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// ErrNotSQLite is the refusal of a file copy of a PostgreSQL database: its
// own tools, pg_dump and pg_restore, back it up.
var ErrNotSQLite = errors.New("store: a file copy is SQLite's; back PostgreSQL up with pg_dump")

// BackupInto writes a consistent copy of the SQLite database to path, which
// must not exist yet. VACUUM INTO reads the whole database in one read
// transaction: in WAL mode the server goes on writing meanwhile, and the
// copy holds exactly the transactions committed when it began, compacted.
func (s *Store) BackupInto(ctx context.Context, path string) error {
	if s.postgres {
		return ErrNotSQLite
	}
	// On the writing pool: the readers' query_only refuses VACUUM, even
	// one that writes only to another file. It takes no write lock.
	if _, err := s.wdb.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
		return fmt.Errorf("copy %s to %s: %w", s.path, path, err)
	}
	return nil
}

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// CheckSQLiteFile checks that the file at path is a sound Roster SQLite
// database, a backup's copy before it is restored: an SQLite file that
// passes PRAGMA integrity_check and has Roster's schema. It returns the
// schema version, the highest migration applied.
func CheckSQLiteFile(ctx context.Context, path string) (schemaVersion int64, err error) {
	if err := checkHeader(path); err != nil {
		return 0, err
	}
	// No pragmas that write (journal_mode): this only reads, and leaves the
	// file as it found it.
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return 0, fmt.Errorf("%s: integrity check: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return 0, err
		}
		problems = append(problems, p)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if len(problems) != 1 || problems[0] != "ok" {
		return 0, fmt.Errorf("%s fails SQLite's integrity check: %s", path, strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	err = db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&schemaVersion)
	if err != nil {
		return 0, fmt.Errorf("%s is an SQLite database, but not Roster's (no schema version: %v)", path, err)
	}
	return schemaVersion, nil
}

// checkHeader refuses a file that is not an SQLite database with a
// message that says so, rather than the driver's "file is not a database"
// or, for an empty file, an empty database.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte(sqliteHeader)) {
		return fmt.Errorf("%s is not an SQLite database", path)
	}
	return nil
}
