package store

import (
	"context"
	"database/sql"
	"log/slog"
	"time"

	"roster"
	"roster/authcache"
)

// Authentication reads the database on a miss only: APIKeyByID and
// SignInSessionPrincipal keep what they read in an authcache.Cache, and
// every write that changes what a credential resolves to (a revoked key, a
// deactivated or removed staff member, a new membership, a closed sign-in
// session, a deleted account) calls authChanged in its transaction. After
// the commit the writing process drops the account's entries itself; on
// PostgreSQL the transaction also notifies every other process (see
// authListener), and on SQLite there is no other process to tell (one
// serve per data directory).
//
// Not covered: a roster command run beside serve on SQLite (set-password)
// reaches serve's cache only through the time to live.

// credential is what the cache keeps of an API key or a sign-in session:
// the row the database returned, not a verdict. APIKeyByID's caller still
// compares the secret with the key's hash, in constant time, and
// SignInSessionPrincipal the session's expiry with the time it is given,
// so that a wrong secret or an expired session never passes through the
// cache. Refusals are not kept.
type credential struct {
	key     roster.APIKey // of a sign-in session, only the Principal
	expires time.Time     // of a sign-in session
}

const (
	// authCacheSize bounds the memory held: an entry is a few hundred
	// bytes.
	authCacheSize = 10_000
	// authCacheTTL is how long an entry is served at most: the backstop
	// for an invalidation lost without the listener noticing.
	authCacheTTL = time.Minute
)

// authState is a store's cache of credentials and, on PostgreSQL, the
// listener that keeps it true to other processes' writes.
type authState struct {
	cache    *authcache.Cache[credential]
	listener *authListener // nil on SQLite
}

func newAuthState(databaseURL string) *authState {
	a := &authState{cache: authcache.New[credential](authCacheSize, authCacheTTL)}
	if databaseURL == "" {
		a.cache.Start() // every write of this data directory's one process passes here
		return a
	}
	a.listener = newAuthListener(databaseURL, a.cache)
	return a
}

// get returns the cached credential under key, starting the listener on
// first use so that commands that never authenticate never listen.
func (a *authState) get(key string, now time.Time) (credential, bool) {
	if a.listener != nil {
		a.listener.start()
	}
	return a.cache.Get(key, now)
}

func (a *authState) close() {
	if a.listener != nil {
		a.listener.close()
	}
}

// SetLog gives the store a log for what happens in the background: the
// listener's connection and the invalidations it receives (at debug
// level). Call it before the store is used.
func (s *Store) SetLog(log *slog.Logger) {
	if s.auth.listener != nil {
		s.auth.listener.log = log
	}
}

type authChangesKey struct{}

// authChanges collects the accounts whose credentials a write transaction
// changes, so that inTx can drop them after the commit.
type authChanges struct {
	listener *authListener // nil on SQLite: no notification to send
	accounts []int64
	awaited  []uint64 // this process's notifications to wait for
}

// withAuthChanges returns ctx for a write transaction, and what its
// authChanged calls collect.
func (s *Store) withAuthChanges(ctx context.Context) (context.Context, *authChanges) {
	ch := &authChanges{listener: s.auth.listener}
	return context.WithValue(ctx, authChangesKey{}, ch), ch
}

// authChanged records in tx, the transaction of ctx (see inTx), that what
// the credentials of these accounts resolve to changes. On PostgreSQL it
// notifies in the transaction, so that the notification goes out only on
// commit, and after the changed rows are visible to every process.
//
// A migration's transaction (outside inTx) has nothing to tell: it runs
// before its process serves, and the processes serving meanwhile are of
// an older version, without a cache.
func authChanged(ctx context.Context, tx *sql.Tx, accounts ...int64) error {
	ch, _ := ctx.Value(authChangesKey{}).(*authChanges)
	if ch == nil {
		return nil
	}
	ch.accounts = append(ch.accounts, accounts...)
	if ch.listener == nil {
		return nil
	}
	seq, payload := ch.listener.message(accounts)
	if seq != 0 {
		ch.awaited = append(ch.awaited, seq)
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify(`+authChannel+`, $1)`, payload)
	return err
}

// settle runs after a write transaction ends. It drops the changed
// accounts' entries, even if the transaction failed (dropping is always
// safe), and after a commit waits, boundedly, for this process's listener
// to hear its own notifications: every other listener was signalled by
// the same commit, so when the writer answers, they have it too, or are
// about to (see authListener for what is left of that window).
func (a *authState) settle(ch *authChanges, committed bool) {
	if len(ch.accounts) == 0 {
		return
	}
	a.cache.DropAccounts(ch.accounts...)
	if ch.listener != nil {
		ch.listener.settle(ch.awaited, committed)
	}
}

// SyncAuth makes the next authentication through this store see every
// change to credentials committed before the call, through any process.
// On PostgreSQL it is a round trip through the listener (see
// authListener.sync); on SQLite, where the cache hears of this process's
// writes only, it empties the cache. Serving never needs it; tests that
// play two processes on one database do, to close the window that
// authListener describes, and two stores on one SQLite file.
func (s *Store) SyncAuth(ctx context.Context) error {
	if s.auth.listener == nil {
		s.auth.cache.Start()
		return nil
	}
	return s.auth.listener.sync(ctx, s.wdb)
}

// Cache keys: an API key by its id, a sign-in session by its uid.
func apiKeyEntry(keyID string) string      { return "k" + keyID }
func signInSessionEntry(uid string) string { return "s" + uid }
