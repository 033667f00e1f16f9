package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// TestConcurrentAcceptsMakeOneMembership accepts invitations of two
// organizations at once: an account is staff of one organization at most,
// so exactly one accept succeeds and the other is a clear 400, not a 500.
func TestConcurrentAcceptsMakeOneMembership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for round := range 5 {
			email := fmt.Sprintf("both-%d@example.com", round)
			uid, err := st.CreateAccount(ctx, roster.NewAccount{Email: email, DisplayName: "Both", EmailVerified: true})
			if err != nil {
				t.Fatal(err)
			}
			var tokens []string
			for range 2 {
				org := storetest.NewOrg(t, st, "Pro")
				inv, err := st.CreateInvitation(ctx, org.ID, org.OwnerUID, email, "", time.Hour, roster.DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				tokens = append(tokens, inv.Token)
			}
			errs := make([]error, len(tokens))
			var wg sync.WaitGroup
			for i, tok := range tokens {
				wg.Go(func() { errs[i] = st.RespondInvitation(ctx, uid, tok, true) })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case roster.KindOf(err) != roster.KindInvalid:
					t.Fatalf("accept failed with %v; want a 400-kind error", err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d accepts succeeded, want 1 (%v)", round, ok, errs)
			}
			if _, m, err := st.Me(ctx, uid); err != nil || m == nil || m.Role != roster.RoleAdmin {
				t.Fatalf("membership %+v, %v", m, err)
			}
		}
	})
}

// TestConcurrentRefreshesRotateOnce refreshes one token from many
// goroutines: exactly one gets a new token; the rest are presenting a token
// already rotated away, which ends the session.
func TestConcurrentRefreshesRotateOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		uid, err := st.CreateAccount(ctx, roster.NewAccount{Email: "refresh@example.com", DisplayName: "Refresh"})
		if err != nil {
			t.Fatal(err)
		}
		ss := openSignInSession(t, st, uid, "old")
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, _, errs[i] = st.RotateRefresh(ctx, []byte("old"), fmt.Appendf(nil, "new-%d", i), time.Now().Add(time.Hour))
			})
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if roster.KindOf(err) != roster.KindUnauthorized {
				t.Errorf("refresh: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d refreshes succeeded, want 1: %v", ok, errs)
		}
		if _, err := st.SignInSessionPrincipal(ctx, uid, ss.UID, time.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Errorf("session still open after a reused refresh token: %v", err)
		}
	})
}

// TestSignInThrottleWindow: only failures count; once over the free ones
// each failure blocks for roster.ThrottleDelay; the count is forgotten
// after the window or a good sign-in.
func TestSignInThrottleWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Second)
		key := roster.ThrottleKey{Key: "account:x@example.com"}
		wait := func(at time.Time) time.Duration {
			t.Helper()
			d, err := st.SignInWait(ctx, at, key)
			if err != nil {
				t.Fatal(err)
			}
			return d
		}
		fail := func(at time.Time) {
			t.Helper()
			if err := st.SignInFailed(ctx, at, key); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 4 {
			fail(t0)
			if d := wait(t0); d != 0 {
				t.Fatalf("after %d failures blocked for %v", i+1, d)
			}
		}
		fail(t0)
		if d := wait(t0); d != roster.ThrottleDelay(5, false) {
			t.Errorf("after the fifth failure: blocked %v, want %v", d, roster.ThrottleDelay(5, false))
		}
		later := t0.Add(roster.ThrottleDelay(5, false))
		if d := wait(later); d != 0 {
			t.Errorf("after the block: %v", d)
		}
		fail(later)
		if d := wait(later.Add(time.Millisecond)); d != roster.ThrottleDelay(6, false)-time.Millisecond {
			t.Errorf("after the sixth failure: blocked %v, want %v", d, roster.ThrottleDelay(6, false)-time.Millisecond)
		}
		// After the window the count starts again.
		fresh := t0.Add(roster.ThrottleWindow + time.Hour)
		for range 4 {
			fail(fresh)
		}
		if d := wait(fresh); d != 0 {
			t.Fatalf("after the window: blocked %v", d)
		}
		if err := st.SignInSucceeded(ctx, key.Key); err != nil {
			t.Fatal(err)
		}
		fail(fresh)
		if d := wait(fresh); d != 0 {
			t.Errorf("a failure after a good sign-in blocks %v: the count was not forgotten", d)
		}
	})
}

// TestSetPasswordEndsSignInSessions: a reset password ends the sessions that the
// old one opened.
func TestSetPasswordEndsSignInSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		uid, err := st.CreateAccount(ctx, roster.NewAccount{Email: "reset@example.com", DisplayName: "Reset", PasswordHash: "old hash"})
		if err != nil {
			t.Fatal(err)
		}
		ss := openSignInSession(t, st, uid, "r")
		if _, err := st.SignInSessionPrincipal(ctx, uid, ss.UID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPassword(ctx, "RESET@example.com", "new hash"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SignInSessionPrincipal(ctx, uid, ss.UID, time.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Errorf("session after a password reset: %v", err)
		}
		if _, hash, _, err := st.PasswordHash(ctx, "reset@example.com"); err != nil || hash != "new hash" {
			t.Errorf("stored %q, %v", hash, err)
		}
	})
}
