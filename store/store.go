// Package store keeps Roster's data in SQLite (embedded, the default) or
// PostgreSQL. Both engines run the same SQL: modernc's SQLite driver binds
// $1-style placeholders positionally, and the schemas differ only in types.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"roster/keyring"
)

// Store is the database behind Roster. Reads go to rdb and writes to wdb;
// on SQLite writes queue in Go for the batcher instead of spinning on
// SQLITE_BUSY, and on PostgreSQL rdb and wdb are the same pool.
type Store struct {
	rdb, wdb *sql.DB
	postgres bool
	batch    *batcher // SQLite's group commit; nil on PostgreSQL
	stmts    sync.Map // query text → *sql.Stmt on rdb
	clock    func() time.Time
	auth     *authState // verified credentials (see authcache.go)
}

// Open connects to PostgreSQL when databaseURL is set, and otherwise to the
// SQLite database roster.db in dataDir, creating it. It does not migrate.
func Open(ctx context.Context, dataDir, databaseURL string) (*Store, error) {
	if databaseURL != "" {
		return openPostgres(ctx, databaseURL)
	}
	return openSQLite(ctx, dataDir)
}

func openPostgres(ctx context.Context, url string) (*Store, error) {
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("database URL must start with postgres://")
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(4 * runtime.GOMAXPROCS(0))
	db.SetMaxIdleConns(4 * runtime.GOMAXPROCS(0))
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	return &Store{rdb: db, wdb: db, postgres: true, clock: time.Now, auth: newAuthState(url)}, nil
}

// sqlitePragmas: WAL lets readers run beside the writer; synchronous(FULL)
// makes an acknowledged commit survive a power cut; the busy timeout covers
// other processes (roster bootstrap while serve runs); a bounded page cache
// per connection keeps memory flat.
const sqlitePragmas = "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)" +
	"&_pragma=busy_timeout(10000)&_pragma=cache_size(-2000)&_time_format=sqlite"

func openSQLite(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "roster.db")
	// The path goes into a file: URI escaped, or a "#" or "?" in the data
	// directory would end it and put the database somewhere else.
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction, so
	// a transaction never fails half-way when another process writes.
	wdb, err := sql.Open("sqlite", uri+sqlitePragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	// Every write goes through the batcher's one transaction at a time; the
	// second connection lets a statement be prepared while it is open.
	wdb.SetMaxOpenConns(2)
	rdb, err := sql.Open("sqlite", uri+sqlitePragmas+"&_pragma=query_only(1)")
	if err != nil {
		wdb.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	s := &Store{rdb: rdb, wdb: wdb, batch: newBatcher(wdb), clock: time.Now, auth: newAuthState("")}
	if err := wdb.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// On SQLite, hot queries run through statements prepared once per
// connection and kept for the store's lifetime: parsing the SQL of every
// request costs a quarter of a read by id, and the batcher does all writes
// alone. pgx caches prepared statements per connection by itself, and
// preparing on PostgreSQL's pool from inside a transaction could wait for a
// connection that only the waiting transactions can free.
type stmtKey struct {
	db    *sql.DB
	query string
}

func (s *Store) prepared(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, error) {
	key := stmtKey{db, query}
	if st, ok := s.stmts.Load(key); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

// queryRow runs a read query.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if !s.postgres {
		if st, err := s.prepared(ctx, s.rdb, query); err == nil {
			return st.QueryRowContext(ctx, args...)
		}
		// Unprepared, the query fails the same way, and the error reaches
		// the caller through Row.Scan.
	}
	return s.rdb.QueryRowContext(ctx, query, args...)
}

// query runs a read query that returns rows.
func (s *Store) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if !s.postgres {
		if st, err := s.prepared(ctx, s.rdb, query); err == nil {
			return st.QueryContext(ctx, args...)
		}
	}
	return s.rdb.QueryContext(ctx, query, args...)
}

// txStmt returns the prepared form of query for use in tx, or nil.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) *sql.Stmt {
	if s.postgres {
		return nil
	}
	st, err := s.prepared(ctx, s.wdb, query)
	if err != nil {
		return nil // the unprepared query reports the error
	}
	return tx.StmtContext(ctx, st)
}

// txExec runs a write statement of tx.
func (s *Store) txExec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQueryRow runs a query of tx that returns one row.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.txStmt(ctx, tx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// Close closes the connections.
func (s *Store) Close() error {
	s.auth.close()
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	if s.batch != nil {
		s.batch.close()
	}
	err := s.wdb.Close()
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.rdb.PingContext(ctx)
}

// forUpdate locks the rows a SELECT reads, on PostgreSQL; SQLite has no
// such clause and needs none, its one writer being alone.
func (s *Store) forUpdate() string {
	if s.postgres {
		return " FOR UPDATE"
	}
	return ""
}

// skipLocked makes a SELECT pass over rows other transactions hold, on
// PostgreSQL; SQLite's one writer needs no such clause.
func (s *Store) skipLocked() string {
	if s.postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// Engine names the database engine: "sqlite" or "postgres".
func (s *Store) Engine() string {
	if s.postgres {
		return "postgres"
	}
	return "sqlite"
}

// txFunc is the body of a write transaction. It must use the context it is
// given, not its caller's: on SQLite the batcher detaches it from the
// request, because an interrupted statement would roll back every
// transaction of the batch, not only the one whose client went away.
type txFunc func(ctx context.Context, tx *sql.Tx) error

// inTx runs fn in a write transaction and commits it when fn returns nil;
// when fn fails, nothing it wrote remains. On SQLite concurrent
// transactions share a commit (see batcher). Credentials that fn changed
// (authChanged) leave the cache once it is committed.
func (s *Store) inTx(ctx context.Context, fn txFunc) error {
	ctx, changes := s.withAuthChanges(ctx)
	err := s.runTx(ctx, fn)
	s.auth.settle(changes, err == nil)
	return err
}

func (s *Store) runTx(ctx context.Context, fn txFunc) error {
	if s.batch != nil {
		return s.batch.do(ctx, fn)
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(ctx, tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports whether err is a unique-constraint failure, on
// either engine.
func isUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Secret returns the named secret shared by every Roster process on this
// database, storing generate's value the first time. The value is stored
// sealed by ring, so that the database alone does not reveal it. A
// concurrent first start is safe: the insert that loses is ignored and both
// read the winner.
//
// A value stored in plain text (by a Roster from before sealing) or sealed
// under a key other than ring's first is sealed again under the first: that
// is how an upgrade seals and how a rotation completes. The error wraps
// keyring.ErrUnknownKey when ring holds no key that opens the value.
func (s *Store) Secret(ctx context.Context, ring *keyring.Ring, name string, generate func() string) (string, error) {
	_, err := s.wdb.ExecContext(ctx,
		`INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, ring.Seal(name, generate()))
	if err != nil {
		return "", err
	}
	var stored string
	if err := s.wdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&stored); err != nil {
		return "", err
	}
	plain, current, err := ring.Open(name, stored)
	if errors.Is(err, keyring.ErrNotSealed) {
		plain, err = stored, nil
	}
	if err != nil {
		return "", fmt.Errorf("setting %s: %w", name, err)
	}
	if !current {
		// Compared with the value read, so that of two processes sealing at
		// once one writes and the other changes nothing: the secret is the
		// same either way.
		_, err = s.wdb.ExecContext(ctx, `UPDATE settings SET value = $1 WHERE name = $2 AND value = $3`,
			ring.Seal(name, plain), name, stored)
	}
	return plain, err
}
