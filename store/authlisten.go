package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"roster"
)

// authChannel is the SQL of the notification channel, one per schema, so
// that deployments (and tests) sharing a database in schemas of their own
// do not hear each other; hashed, since a channel name is at most 63
// bytes and a schema's name may be as long.
const authChannel = `'roster_auth_' || left(md5(coalesce(current_schema(), '')), 16)`

// clientsChannel is the SQL of the channel of client changes, per schema
// as authChannel. It is a channel of its own so that a process of an
// older version, which listens to authChannel only and reads its
// payloads, never hears a payload it cannot read.
const clientsChannel = `'roster_clients_' || left(md5(coalesce(current_schema(), '')), 16)`

// The listener's timing. A silently dead connection (a network partition)
// is noticed by a ping after pingEvery without a notification, answered
// within pingTimeout: that bounds how long a stale entry can be served
// then, below the cache's time to live.
const (
	pingEvery          = 5 * time.Second
	pingTimeout        = 5 * time.Second
	connectTimeout     = 10 * time.Second
	maxReconnectWait   = 5 * time.Second
	ownNotificationCap = time.Second // how long a writer waits to hear its own notification
)

// authListener keeps a PostgreSQL store's caches true to the writes of
// every process on the database: on a connection of its own it LISTENs to
// the channel that authChanged and clientsChanged notify in the writing
// transaction, and drops the accounts and clients each notification names.
//
// The caches serve only while that connection is known to listen. They
// start serving, empty, once LISTEN has succeeded, so that whatever was
// committed before is read afresh and whatever is committed after is
// heard of. It stops, and empties, the moment the connection fails or a
// ping goes unanswered: from then until it has reconnected, listened and
// flushed itself, every request reads the database.
//
// What remains of "refused on the very next request, through any
// process": the writer answers only once its own listener has heard its
// notification (or after ownNotificationCap), and PostgreSQL signalled
// every listening backend in that same commit. But another process acts
// on it only once its backend has written the notification to its socket
// and its listener goroutine has read it. A request that reaches that
// process in between (microseconds; on a loaded machine, a scheduling
// delay or two) is still answered from the old entry. Closing that window
// would take a round trip per request, which is what the cache saves.
type authListener struct {
	url    string
	caches *caches
	log    *slog.Logger
	origin string // tells this process's notifications from the others'
	sent   atomic.Uint64

	startOnce sync.Once
	cancel    context.CancelFunc
	done      chan struct{}

	mu      sync.Mutex
	live    bool                     // listening: only then is a notification awaited
	waiters map[uint64]chan struct{} // this process's notifications not heard yet
}

func newAuthListener(url string, c *caches) *authListener {
	return &authListener{url: url, caches: c, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		origin: roster.NewSecret(12), waiters: map[uint64]chan struct{}{}}
}

func (l *authListener) start() {
	l.startOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		l.cancel, l.done = cancel, make(chan struct{})
		go l.run(ctx)
	})
}

// close stops the listener, and keeps it from starting later.
func (l *authListener) close() {
	l.startOnce.Do(func() {})
	if l.cancel != nil {
		l.cancel()
		<-l.done
	}
}

func (l *authListener) run(ctx context.Context) {
	defer close(l.done)
	wait := 100 * time.Millisecond
	for {
		listened, err := l.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if listened {
			wait = 100 * time.Millisecond
		}
		l.log.Warn("caches off: the connection that listens for revocations and client changes failed; reconnecting",
			"err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, maxReconnectWait)
	}
}

// listen connects, listens and serves the cache until the connection
// fails, and reports whether it got as far as listening.
func (l *authListener) listen(ctx context.Context) (bool, error) {
	cfg, err := pgx.ParseConfig(l.url)
	if err != nil {
		return false, err
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "roster auth listener" // for pg_stat_activity
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	conn, err := pgx.ConnectConfig(cctx, cfg)
	cancel()
	if err != nil {
		return false, err
	}
	defer conn.Close(context.Background())
	var auth, clients string
	if err := conn.QueryRow(ctx, `SELECT `+authChannel+`, `+clientsChannel).Scan(&auth, &clients); err != nil {
		return false, err
	}
	for _, channel := range []string{auth, clients} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
			return false, err
		}
	}
	l.setLive(true)
	defer l.setLive(false) // first thing on the way out: stop serving
	l.log.Debug("caches on: listening for revocations and client changes", "channels", []string{auth, clients})
	for {
		wctx, cancel := context.WithTimeout(ctx, pingEvery)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			l.heard(n.Channel == clients, n.Payload)
			continue
		case ctx.Err() != nil || !pgconn.Timeout(err):
			return true, err
		}
		pctx, cancel := context.WithTimeout(ctx, pingTimeout)
		err = conn.Ping(pctx)
		cancel()
		if err != nil {
			return true, err
		}
	}
}

// setLive starts or stops the cache with the listening. Stopping releases
// the writers waiting for their notifications: none will come now.
func (l *authListener) setLive(live bool) {
	if live {
		l.caches.start()
	} else {
		l.caches.stop()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.live = live
	if !live {
		for seq, ch := range l.waiters {
			close(ch)
			delete(l.waiters, seq)
		}
	}
}

// message returns the payload that tells other processes of a change to
// these accounts' credentials, or of a change to the clients with these
// uids: "origin:seq:id,id,…". seq is 0, and nothing will be awaited, when
// this process is not listening.
func (l *authListener) message(ids ...[]string) (uint64, string) {
	var seq uint64
	l.mu.Lock()
	if l.live {
		seq = l.sent.Add(1)
		l.waiters[seq] = make(chan struct{})
	}
	l.mu.Unlock()
	var names []string
	for _, list := range ids {
		names = append(names, list...)
	}
	return seq, l.origin + ":" + strconv.FormatUint(seq, 10) + ":" + strings.Join(names, ",")
}

// accountIDs are accounts' ids as message takes them.
func accountIDs(accounts []int64) []string {
	ids := make([]string, len(accounts))
	for i, a := range accounts {
		ids[i] = strconv.FormatInt(a, 10)
	}
	return ids
}

// maxNotifiedClients keeps a notification well under PostgreSQL's 8,000
// bytes: a uid is 64 bytes at most.
const maxNotifiedClients = 100

// notifyClients tells every process, this one included, that the clients
// with these uids changed, in notifications of their own after the
// commit that changed them, and returns their seqs to await. Each is sent
// without waiting for the disk (synchronous_commit off): a notification
// holds a lock of the whole server until its commit is on disk, and one
// lost in a crash of the database loses nothing, for every listener then
// reconnects and empties its caches. A failure is logged: the change is
// committed, and other processes serve their copies for their time to live
// at most.
func (l *authListener) notifyClients(db *sql.DB, uids []string) (seqs []uint64) {
	uids = slices.DeleteFunc(slices.Clone(uids), func(uid string) bool { return !roster.ValidUID(uid) })
	for chunk := range slices.Chunk(uids, maxNotifiedClients) {
		seq, payload := l.message(chunk)
		ctx, cancel := context.WithTimeout(context.Background(), ownNotificationCap)
		_, err := db.ExecContext(ctx, `SELECT set_config('synchronous_commit', 'off', true), pg_notify(`+clientsChannel+`, $1)`, payload)
		cancel()
		if err != nil {
			l.log.Warn("caches: other processes were not told of a client change", "err", err)
			l.forget([]uint64{seq})
			continue
		}
		if seq != 0 {
			seqs = append(seqs, seq)
		}
	}
	return seqs
}

// heard acts on a notification of either channel: it drops the accounts
// or clients it names, and wakes the writer of this process that awaits
// it. A payload it cannot read empties the caches.
func (l *authListener) heard(clients bool, payload string) {
	n, err := parseNotification(payload)
	if err == nil && clients {
		for _, uid := range n.ids {
			if !roster.ValidUID(uid) {
				err = fmt.Errorf("%q is no uid", uid)
				break
			}
		}
	}
	switch {
	case err != nil:
		l.log.Warn("caches emptied: unreadable notification", "payload", payload, "err", err)
		l.caches.start()
		return
	case clients:
		l.caches.drop(nil, n.ids)
		l.log.Debug("caches: entries invalidated", "clients", n.ids, "from", n.origin)
	default:
		accounts, err := parseAccounts(n.ids)
		if err != nil {
			l.log.Warn("caches emptied: unreadable notification", "payload", payload, "err", err)
			l.caches.start()
			return
		}
		l.caches.drop(accounts, nil)
		l.log.Debug("caches: entries invalidated", "accounts", accounts, "from", n.origin)
	}
	if n.origin != l.origin {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch, ok := l.waiters[n.seq]; ok {
		close(ch)
		delete(l.waiters, n.seq)
	}
}

// notification is what message writes.
type notification struct {
	origin string
	seq    uint64
	ids    []string
}

// parseNotification reads what message writes.
func parseNotification(payload string) (n notification, err error) {
	parts := strings.SplitN(payload, ":", 3)
	if len(parts) != 3 {
		return n, errors.New("not origin:seq:ids")
	}
	n.origin = parts[0]
	if n.seq, err = strconv.ParseUint(parts[1], 10, 64); err != nil {
		return n, err
	}
	if parts[2] != "" {
		n.ids = strings.Split(parts[2], ",")
	}
	return n, nil
}

// parseAccounts reads accounts' ids.
func parseAccounts(ids []string) ([]int64, error) {
	accounts := make([]int64, len(ids))
	for i, id := range ids {
		a, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, err
		}
		accounts[i] = a
	}
	return accounts, nil
}

// settle follows the end of a write transaction that notified seqs: after
// a commit it waits, ownNotificationCap at most, until this process has
// heard them; after a rollback none will come.
func (l *authListener) settle(seqs []uint64, committed bool) {
	if committed {
		ctx, cancel := context.WithTimeout(context.Background(), ownNotificationCap)
		defer cancel()
		l.await(ctx, seqs)
	}
	l.forget(seqs)
}

// await waits until this process has heard each of its notifications
// seqs, or ctx ends, or the listening stops.
func (l *authListener) await(ctx context.Context, seqs []uint64) error {
	for _, seq := range seqs {
		l.mu.Lock()
		ch, ok := l.waiters[seq]
		l.mu.Unlock()
		if !ok {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (l *authListener) forget(seqs []uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, seq := range seqs {
		delete(l.waiters, seq)
	}
}

// sync sends a notification that names no account and waits until this
// process hears it. Notifications reach a listener in commit order, so by
// then it has heard of every change committed before.
func (l *authListener) sync(ctx context.Context, db *sql.DB) error {
	seq, payload := l.message()
	if seq == 0 {
		return nil // not listening: the cache does not serve
	}
	defer l.forget([]uint64{seq})
	if _, err := db.ExecContext(ctx, `SELECT pg_notify(`+authChannel+`, $1)`, payload); err != nil {
		return err
	}
	return l.await(ctx, []uint64{seq})
}
