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

// Clients read by uid are cached too (Store.Client), by uid, grouped by
// organization: every write that changes a client row as Client reads it
// (an update, a note, a session, deactivation, deletion) calls
// clientsChanged in its transaction, which drops the entry after the
// transaction and, on PostgreSQL after a commit, tells every other process
// through a channel of its own (clientsChannel). Creates and imports need
// not: a client is cached only once read, and a read that misses is not
// cached.
const (
	// clientCacheSize and clientCacheBudget bound the memory held: a
	// client is about 1.5 kB, but its note may hold 100 kB.
	clientCacheSize   = 4096
	clientCacheBudget = 8 << 20 // bytes, as clientCost counts them
	// clientCacheTTL is how long a client is served at most: the backstop
	// for an invalidation lost without the listener noticing, and for a
	// write by another binary (an older version, a command beside serve on
	// SQLite) that does not invalidate.
	clientCacheTTL = 30 * time.Second
)

// caches are a store's caches of credentials and clients and, on
// PostgreSQL, the listener that keeps them true to other processes'
// writes.
type caches struct {
	auth     *authcache.Cache[credential]
	clients  *authcache.Cache[cachedClient]
	listener *authListener // nil on SQLite
}

func newCaches(databaseURL string) *caches {
	c := &caches{auth: authcache.New[credential](authCacheSize, authCacheTTL),
		clients: authcache.New[cachedClient](clientCacheSize, clientCacheTTL).WithBudget(clientCacheBudget, clientCost)}
	if databaseURL == "" {
		c.start() // every write of this data directory's one process passes here
		return c
	}
	c.listener = newAuthListener(databaseURL, c)
	return c
}

// cachedClient is a client and its organization, which a read compares
// with the caller's.
type cachedClient struct {
	org roster.OrgID
	c   roster.Client
}

// clientCost is about the bytes a cached client holds: its strings (its
// note above all) and, for the rest, a round 512.
func clientCost(cc cachedClient) int {
	c := &cc.c
	n := 512 + len(c.UID) + len(c.CreatedBy) + len(c.ProfilePhoto)
	for i := range roster.Fields {
		switch p := roster.Fields[i].Ref(&c.ClientFields).(type) {
		case *string:
			n += len(*p)
		case **string:
			if *p != nil {
				n += len(**p)
			}
		case *[]string:
			for _, s := range *p {
				n += 16 + len(s)
			}
		}
	}
	if c.Note != nil && c.Note.Text != nil {
		n += len(*c.Note.Text)
	}
	return n
}

// start empties both caches and serves from them; stop empties them and
// serves nothing until start.
func (c *caches) start() { c.auth.Start(); c.clients.Start() }
func (c *caches) stop()  { c.auth.Stop(); c.clients.Stop() }

// listen starts the listener on first use, so that commands that never
// read through a cache never listen.
func (c *caches) listen() {
	if c.listener != nil {
		c.listener.start()
	}
}

// credential returns the cached credential under key.
func (c *caches) credential(key string, now time.Time) (credential, bool) {
	c.listen()
	return c.auth.Get(key, now)
}

// client returns a copy of the cached client uid of org.
func (c *caches) client(org roster.OrgID, uid string, now time.Time) (roster.Client, bool) {
	c.listen()
	cl, ok := c.clients.Get(uid, now)
	if !ok || cl.org != org {
		return roster.Client{}, false
	}
	return cl.c.Clone(), true
}

func (c *caches) close() {
	if c.listener != nil {
		c.listener.close()
	}
}

// SetLog gives the store a log for what happens in the background: the
// listener's connection and the invalidations it receives (at debug
// level). Call it before the store is used.
func (s *Store) SetLog(log *slog.Logger) {
	if s.caches.listener != nil {
		s.caches.listener.log = log
	}
}

type changesKey struct{}

// changes collect what a write transaction changes of what the caches
// hold, so that inTx can drop it after the commit.
type changes struct {
	listener *authListener // nil on SQLite: no notification to send
	accounts []int64       // whose credentials changed
	clients  []string      // uids of the clients changed
	awaited  []uint64      // this process's notifications to wait for
}

// withChanges returns ctx for a write transaction, and what its
// authChanged and clientsChanged calls collect.
func (s *Store) withChanges(ctx context.Context) (context.Context, *changes) {
	ch := &changes{listener: s.caches.listener}
	return context.WithValue(ctx, changesKey{}, ch), ch
}

// authChanged records in tx, the transaction of ctx (see inTx), that what
// the credentials of these accounts resolve to changes. On PostgreSQL it
// notifies in the transaction, so that the notification goes out only on
// commit, and after the changed rows are visible to every process: a
// revocation is heard even if this process dies at its commit.
//
// A migration's transaction (outside inTx) has nothing to tell: it runs
// before its process serves. Processes of this version serving meanwhile
// keep what they cached until its time to live.
func authChanged(ctx context.Context, tx *sql.Tx, accounts ...int64) error {
	ch, _ := ctx.Value(changesKey{}).(*changes)
	if ch == nil {
		return nil
	}
	ch.accounts = append(ch.accounts, accounts...)
	if ch.listener == nil {
		return nil
	}
	seq, payload := ch.listener.message(accountIDs(accounts))
	if seq != 0 {
		ch.awaited = append(ch.awaited, seq)
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify(`+authChannel+`, $1)`, payload)
	return err
}

// clientsChanged records, in the transaction of ctx, that the clients
// with these uids change. Unlike authChanged it notifies nothing in the
// transaction: a transaction that notifies holds a lock of the whole
// PostgreSQL server from its commit until its commit is on disk, so that
// concurrent client writes, common where revocations are rare, would
// commit one at a time (measured: 16 writers saving notes, 1,060/s
// before, 220/s with the notification in the transaction). settle
// notifies after the commit instead.
func clientsChanged(ctx context.Context, uids ...string) {
	if ch, _ := ctx.Value(changesKey{}).(*changes); ch != nil {
		ch.clients = append(ch.clients, uids...)
	}
}

// settle runs after a write transaction ends. It drops the changed
// entries, even if the transaction failed (dropping is always safe). After
// a commit it tells the other processes of the clients changed, and waits,
// boundedly, for this process's listener to hear its own notifications:
// every other listener was signalled by the same commits, so when the
// writer answers, they have it too, or are about to (see authListener for
// what is left of that window).
func (c *caches) settle(ch *changes, committed bool, db *sql.DB) {
	if len(ch.accounts) == 0 && len(ch.clients) == 0 {
		return
	}
	c.drop(ch.accounts, ch.clients)
	if ch.listener == nil {
		return
	}
	if committed && len(ch.clients) > 0 {
		ch.awaited = append(ch.awaited, ch.listener.notifyClients(db, ch.clients)...)
	}
	ch.listener.settle(ch.awaited, committed)
}

// drop removes the credentials of accounts and the clients with uids.
func (c *caches) drop(accounts []int64, clients []string) {
	if len(accounts) > 0 {
		c.auth.DropGroups(accounts...)
	}
	if len(clients) > 0 {
		c.clients.Drop(clients...)
	}
}

// SyncAuth makes the next read through this store's caches see every
// change to credentials and clients committed before the call, through
// any process. On PostgreSQL it is a round trip through the listener (see
// authListener.sync); on SQLite, where the caches hear of this process's
// writes only, it empties them. Serving never needs it; tests that play
// two processes on one database do, to close the window that
// authListener describes, and two stores on one SQLite file.
func (s *Store) SyncAuth(ctx context.Context) error {
	if s.caches.listener == nil {
		s.caches.start()
		return nil
	}
	return s.caches.listener.sync(ctx, s.wdb)
}

// Cache keys: an API key by its id, a sign-in session by its uid.
func apiKeyEntry(keyID string) string      { return "k" + keyID }
func signInSessionEntry(uid string) string { return "s" + uid }
