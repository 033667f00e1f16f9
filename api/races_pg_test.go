package api_test

// Races between requests on PostgreSQL, made deterministic by holding a
// row lock from a connection of the test's own until the requests wait on
// it (SQLite serialises writers with BEGIN IMMEDIATE: these cannot happen
// there).

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"roster"
	"roster/api"
	"roster/clocktest"
	"roster/store/storetest"
)

// eachPG runs fn on PostgreSQL only, with a raw connection to the same
// schema beside the server, for attacks that hold a lock to line up two
// requests (SQLite serialises writers with BEGIN IMMEDIATE).
func eachPG(t *testing.T, fn func(t *testing.T, e *env, db *sql.DB), options ...func(*api.Config)) {
	url := storetest.DatabaseURL(t, "postgres")
	st := storetest.OpenAt(t, t.TempDir(), url)
	t.Cleanup(func() { st.Close() })
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fn(t, newEnv(t, st, options...), db)
}

// waitForLockWaiters waits until n other backends wait on a lock while
// running a query that starts with one of the prefixes. It waits on a
// condition, not a time.
func waitForLockWaiters(t *testing.T, db *sql.DB, n int, prefixes ...string) {
	t.Helper()
	clocktest.Eventually(t, fmt.Sprintf("%d requests to wait on the lock", n), func() bool {
		var waiting int
		if err := db.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'
			AND EXISTS (SELECT 1 FROM unnest($1::text[]) p WHERE ltrim(query, E' \t\n') LIKE p || '%')`,
			prefixes).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		return waiting >= n
	})
}

// holdLock begins a transaction that runs query (a SELECT ... FOR UPDATE)
// and so holds its rows until the test commits or rolls it back; it is
// rolled back at the latest when t ends, before the server closes.
func holdLock(t *testing.T, db *sql.DB, query string, args ...any) *sql.Tx {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tx.Rollback() })
	if _, err := tx.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
	return tx
}

// rawPost posts JSON from any goroutine (env.do may call t.Fatal).
func rawPost(url, path string, header map[string]string, v any) (int, string) {
	b, _ := json.Marshal(v)
	r, _ := http.NewRequest("POST", url+path, bytes.NewReader(b))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestResetCodeConfirmedTwiceAtOnce: one reset code confirmed twice at
// once works once. (A review found both confirmations read the code
// before either deleted it, and both set a password and got a session.)
// The held account row stands in for a slow first confirmation; one
// confirmation waits on it, the other on the first's delete of the code.
func TestResetCodeConfirmedTwiceAtOnce(t *testing.T) {
	eachPG(t, func(t *testing.T, e *env, db *sql.DB) {
		e.signup("twice@example.com")
		expect(t, e.post("/auth/password-reset", map[string]string{"email": "twice@example.com"}), 202)
		code := e.verificationCode("twice@example.com")

		// Stand in for a slow first writer: hold the account's row.
		tx := holdLock(t, db, `SELECT id FROM accounts WHERE email_key = 'twice@example.com' FOR UPDATE`)
		statuses := make([]int, 2)
		bodies := make([]string, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Go(func() {
				statuses[i], bodies[i] = rawPost(e.srv.URL, "/auth/password-reset/confirm", nil,
					map[string]string{"token": code, "new_password": fmt.Sprintf("new password number %d", i)})
			})
		}
		waitForLockWaiters(t, db, 2, "SELECT uid, deactivated_at", "DELETE FROM email_tokens")
		tx.Rollback()
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			if s == 200 {
				ok++
			}
		}
		if ok != 1 {
			t.Errorf("one reset code was used %d times: %v %q", ok, statuses, bodies)
		}
	})
}

// TestConcurrentLinkInvitations: two link invitations for one client at
// once take turns on the client's row: the second replaces the first.
// (A review found the second insert met the first's row on the unique
// index: a 500.) The stand-in transaction does what a first request does:
// lock the client, write its invitation.
func TestConcurrentLinkInvitations(t *testing.T) {
	eachPG(t, func(t *testing.T, e *env, db *sql.DB) {
		c := e.create(prefixes[0], map[string]any{"email": "twolinks@example.com", "display_name": "T"})
		// Stand in for the first request, still in its transaction.
		tx := holdLock(t, db, `SELECT id FROM clients WHERE uid = $1 FOR UPDATE`, c.UserUID)
		if _, err := tx.Exec(`INSERT INTO link_invitations (uid, org_id, client_id, email_key, inviter_uid, created_at, expires_at)
			SELECT $1, org_id, id, email_key, created_by, now(), now() + interval '1 day' FROM clients WHERE uid = $2`,
			roster.NewUID(time.Now()), c.UserUID); err != nil {
			t.Fatal(err)
		}
		var status int
		var body string
		done := make(chan struct{})
		go func() {
			defer close(done)
			status, body = rawPost(e.srv.URL, prefixes[0]+"/link/", map[string]string{"API-KEY": e.org.APIKey},
				map[string]string{"user_uid": c.UserUID})
		}()
		waitForLockWaiters(t, db, 1, "SELECT id, uid, email,")
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		<-done
		if status != 201 {
			t.Errorf("a link invitation sent while another for the same client was being written: %d %s", status, body)
		}
	})
}

// TestAcceptWhileEmailChanges: a person accepts a link invitation while
// staff change the client's email. Both lock the client first, so they
// take turns: the email change voids the invitation, and the answer is a
// 404. (A review found opposite lock orders: a deadlock, and a 500.) The
// stand-in transaction does what UpdateClient does, in its order.
func TestAcceptWhileEmailChanges(t *testing.T) {
	eachPG(t, func(t *testing.T, e *env, db *sql.DB) {
		person := e.signup("lockorder@example.com")
		c := e.create(prefixes[0], map[string]any{"email": "lockorder@example.com", "display_name": "L"})
		inv := e.inviteLink(e.org.APIKey, c.UserUID)
		tx := holdLock(t, db, `SELECT id FROM clients WHERE uid = $1 FOR UPDATE`, c.UserUID)
		var status int
		var body string
		done := make(chan struct{})
		go func() {
			defer close(done)
			status, body = rawPost(e.srv.URL, "/auth/me/link-invitations/respond", bearer(person.Token),
				map[string]string{"link_uid": inv.LinkUID, "user_response": "accept"})
		}()
		waitForLockWaiters(t, db, 1, "SELECT id FROM clients")
		_, standInErr := tx.Exec(`DELETE FROM link_invitations WHERE client_id = (SELECT id FROM clients WHERE uid = $1)`, c.UserUID)
		if standInErr == nil {
			tx.Commit()
		}
		<-done
		if standInErr != nil || status != 404 {
			t.Errorf("accepting a link invitation while its client's email changes: %d %s (the stand-in: %v)", status, body, standInErr)
		}
	})
}
