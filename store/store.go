// Package store keeps Roster's data in SQLite (embedded, the default) or
// PostgreSQL. Both engines run the same SQL: modernc's SQLite driver binds
// $1-style placeholders positionally, and the schemas differ only in types.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"roster/keyring"
)

// Store is the database behind Roster. Reads go to rdb and writes to wdb;
// on SQLite writes queue in Go for the batcher instead of spinning on
// SQLITE_BUSY, and on PostgreSQL rdb and wdb are the same pool.
type Store struct {
	rdb, wdb   *sql.DB
	mdb        *sql.DB       // the migrations': wdb, but on PostgreSQL without statement timeout
	pool       *pgxpool.Pool // PostgreSQL's connections, under rdb and wdb; nil on SQLite
	postgres   bool
	batch      *batcher     // SQLite's group commit; nil on PostgreSQL
	creates    *creates     // client creates' group commit, on both engines
	stmts      sync.Map     // (database, query text) → *sql.Stmt, on SQLite
	writeStmts atomic.Int32 // of stmts, those on wdb
	clock      func() time.Time
	caches     *caches    // verified credentials and clients (see authcache.go)
	rangeWays  *rangeWays // how pages of filters with ranges were read last (rangeways.go)
	path       string     // SQLite's database file; "" on PostgreSQL

	extraMigrations fstest.MapFS // tests' own, beside the embedded ones (see export_migrate_test.go)
}

// Open connects to PostgreSQL when databaseURL is set, and otherwise to the
// SQLite database roster.db in dataDir, creating it. It does not migrate.
// PostgreSQL's connections get DefaultPostgresTimeouts.
func Open(ctx context.Context, dataDir, databaseURL string) (*Store, error) {
	return OpenWith(ctx, dataDir, databaseURL, DefaultPostgresTimeouts)
}

// OpenWith is Open with PostgreSQL's timeouts.
func OpenWith(ctx context.Context, dataDir, databaseURL string, t PostgresTimeouts) (*Store, error) {
	if databaseURL != "" {
		return openPostgres(ctx, databaseURL, t)
	}
	return openSQLite(ctx, dataDir)
}

// PostgresTimeouts bound what a PostgreSQL connection may wait for, so
// that a database that is unreachable without being down (a partition, a
// lock held for ever) ends in an error rather than in requests that never
// return: Connect is a new connection's dial and handshake (pgx's
// connect_timeout), Statement each statement on the server (PostgreSQL's
// statement_timeout). A database URL that sets connect_timeout or
// statement_timeout keeps its own; zero is no limit.
type PostgresTimeouts struct {
	Connect, Statement time.Duration
}

// DefaultPostgresTimeouts leave a statement twice the default request
// budget: the budget ends a request's wait first, the statement timeout
// ends what the server does for a statement nobody waits for any more.
var DefaultPostgresTimeouts = PostgresTimeouts{Connect: 5 * time.Second, Statement: 30 * time.Second}

func openPostgres(ctx context.Context, url string, t PostgresTimeouts) (*Store, error) {
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("database URL must start with postgres://")
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	// Unless the URL sets pool_max_conns, a pool as large as reads by id
	// need to keep two CPUs busy; pgxpool would take max(4, CPUs).
	if !strings.Contains(url, "pool_max_conns") {
		pcfg.MaxConns = int32(4 * runtime.GOMAXPROCS(0))
	}
	cfg := pcfg.ConnConfig
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = t.Connect
	}
	// Migrations may build an index over every row, which takes as long as
	// it takes: they run without a statement timeout, on a pool of their
	// own that keeps no connection once they are done.
	mcfg := cfg.Copy()
	mcfg.RuntimeParams["statement_timeout"] = "0"
	if _, set := cfg.RuntimeParams["statement_timeout"]; !set && t.Statement > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(t.Statement.Milliseconds(), 10)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	// database/sql borrows the pool's connections one statement or
	// transaction at a time, so that reads made with pgx's own API (see
	// queryRow) and everything else share one bound.
	db := stdlib.OpenDBFromPool(pool)
	mdb := stdlib.OpenDB(*mcfg)
	mdb.SetMaxIdleConns(0)
	s := &Store{rdb: db, wdb: db, mdb: mdb, pool: pool, postgres: true, clock: time.Now, caches: newCaches(url),
		rangeWays: newRangeWays()}
	// Batches of creates in flight at once: two overlap one's commit with
	// the next one's statements. More make smaller batches, and more
	// statements and commits for as many creates: measured under wrk -c32,
	// 2 gave 3,171 creates/s, 1 2,922, 3 2,913 and 4 2,426.
	s.creates = newCreates(s, 2)
	return s, nil
}

// sqlitePragmas, run in order on each new connection: the busy timeout
// covers other processes (roster bootstrap while serve runs), first, so
// that it covers switching a new database to WAL too; WAL lets readers run
// beside the writer; synchronous(FULL) makes an acknowledged commit survive
// a power cut; a bounded page cache per connection keeps memory flat.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
	"&_pragma=foreign_keys(1)&_pragma=cache_size(-2000)&_time_format=sqlite"

func openSQLite(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "roster.db")
	// The path goes into a file: URI escaped, or a "#" or "?" in the data
	// directory would end it and put the database somewhere else.
	uri := "file:" + (&url.URL{Path: path}).EscapedPath() + "?"
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction, so
	// a transaction never fails half-way when another process writes. The
	// batcher runs each write transaction in a savepoint, for which SQLite
	// keeps the pages it changes in a sub-journal: in memory with
	// temp_store(MEMORY), and emptied when the savepoint is released;
	// otherwise, past 64 KiB, in a temporary file that grows for the whole
	// batch (pprof of BenchmarkCreate/sqlite: 16 % of the CPU in its writes).
	wdb, err := sql.Open("sqlite", uri+sqlitePragmas+"&_txlock=immediate&_pragma=temp_store(MEMORY)")
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
	s := &Store{rdb: rdb, wdb: wdb, mdb: wdb, batch: newBatcher(wdb), clock: time.Now, caches: newCaches(""), path: path,
		rangeWays: newRangeWays()}
	// Two batches of creates: one is written while the other gathers.
	s.creates = newCreates(s, 2)
	// The first connection turns a new database to WAL, which takes a lock
	// that SQLite does not wait for: processes that open one new file at
	// once take turns, as they do to migrate it.
	release, err := lockSQLite(ctx, path)
	if err != nil {
		s.Close()
		return nil, err
	}
	err = wdb.PingContext(ctx)
	release()
	if err != nil {
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
	if db == s.wdb && s.writeStmts.Load() >= maxWriteStmts {
		return nil, errTooManyStmts
	}
	st, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.LoadOrStore(key, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	if db == s.wdb {
		s.writeStmts.Add(1)
	}
	return st, nil
}

// maxWriteStmts bounds the statements kept prepared for writes. Reads have
// a fixed set of texts, but a batch of creates writes its rows with
// multi-row statements whose text changes with the batch's size: the
// first ones prepared, the small batches' that come most often, are kept,
// and the rest run unprepared. Each holds at most maxPreparedArgs
// arguments, about 30 KB of SQLite's memory, on each of the writer's two
// connections: 8 MB at worst.
const maxWriteStmts = 128

var errTooManyStmts = errors.New("store: no more statements are kept prepared")

// queryRow runs a read query. On PostgreSQL it goes through pgx's own
// API: database/sql converts every column through driver.Value, which cost
// a sixth of a read by id.
func (s *Store) queryRow(ctx context.Context, query string, args ...any) scanner {
	if s.pool != nil {
		return s.pool.QueryRow(ctx, query, args...)
	}
	if st, err := s.prepared(ctx, s.rdb, query); err == nil {
		return st.QueryRowContext(ctx, args...)
	}
	// Unprepared, the query fails the same way, and the error reaches the
	// caller through Row.Scan.
	return s.rdb.QueryRowContext(ctx, query, args...)
}

// rows are the rows of a read, from database/sql or from pgx.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close() error
}

// pgxRows are pgx's rows as rows.
type pgxRows struct{ pgx.Rows }

func (r pgxRows) Close() error {
	r.Rows.Close()
	return r.Rows.Err()
}

// query runs a read query that returns rows.
func (s *Store) query(ctx context.Context, query string, args ...any) (rows, error) {
	if s.pool != nil {
		r, err := s.pool.Query(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		return pgxRows{r}, nil
	}
	if st, err := s.prepared(ctx, s.rdb, query); err == nil {
		return st.QueryContext(ctx, args...)
	}
	return s.rdb.QueryContext(ctx, query, args...)
}

// maxPreparedArgs bounds the statements kept prepared on SQLite by their
// arguments, as their programs' memory grows with them (about 120 bytes an
// argument): small batches of creates' multi-row INSERTs are kept, since
// parsing them was a tenth of a create's CPU, but not an import's chunks
// or a large batch's, written more seldom. BenchmarkCreate/sqlite, two
// rounds: 357 and 361 us a create with every batch's statements kept, 377
// and 409 with those of up to 128 arguments, 389 and 421 with up to 32.
const maxPreparedArgs = 256

// txStmt returns the prepared form of query, with nargs arguments, for use
// in tx, or nil.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string, nargs int) *sql.Stmt {
	if s.postgres || nargs > maxPreparedArgs {
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
	if st := s.txStmt(ctx, tx, query, len(args)); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// txQuery runs a query of tx, an INSERT ... RETURNING among them.
func (s *Store) txQuery(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	if st := s.txStmt(ctx, tx, query, len(args)); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, query, args...)
}

// txQueryRow runs a query of tx that returns one row.
func (s *Store) txQueryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	if st := s.txStmt(ctx, tx, query, len(args)); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, query, args...)
}

// Close closes the connections.
func (s *Store) Close() error {
	s.caches.close()
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	s.creates.close()
	if s.batch != nil {
		s.batch.close()
	}
	err := s.wdb.Close()
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	if s.mdb != s.wdb {
		err = errors.Join(err, s.mdb.Close())
	}
	if s.pool != nil {
		s.pool.Close()
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

// keyShare locks the rows a SELECT reads of the table alias against their
// deletion until the transaction ends (FOR KEY SHARE), on PostgreSQL;
// SQLite's one writer needs no such clause.
func (s *Store) keyShare(alias string) string {
	if s.postgres {
		return " FOR KEY SHARE OF " + alias
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
	ctx, changes := s.withChanges(ctx)
	err := s.runTx(ctx, fn)
	s.caches.settle(changes, err == nil, s.wdb)
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

// Unavailable reports whether err is the database or the disk failing to
// serve now, rather than a fault of the request or of the code, so that
// the same request may succeed when sent again: a deadline reached waiting
// for a connection, a lock or an answer; a connection refused, reset or
// timed out; PostgreSQL shutting down, refusing connections, out of them
// or of space, or cancelling a statement at its statement_timeout; SQLite
// busy or locked by another process, its disk full or failing, or a
// statement of its interrupted at a deadline.
func Unavailable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, sql.ErrConnDone) || pgconn.Timeout(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 08 connection exception, 53 insufficient resources, 57 operator
		// intervention (statement timeout, shutdown), 58 system error.
		switch pe.Code[:2] {
		case "08", "53", "57", "58":
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code of an extended one
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_INTERRUPT:
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var oe *net.OpError
	return errors.As(err, &ce) || errors.As(err, &oe) || errors.Is(err, syscall.ENOSPC) ||
		errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EFBIG) || errors.Is(err, syscall.EIO) ||
		errors.Is(err, syscall.EROFS)
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
