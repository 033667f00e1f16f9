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
			a, err := st.CreateAccount(ctx, email, "Both", "")
			if err != nil {
				t.Fatal(err)
			}
			var tokens []string
			for range 2 {
				org := storetest.NewOrg(t, st, "Pro")
				inv, err := st.CreateInvitation(ctx, org.ID, org.OwnerUID, email, "", time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				tokens = append(tokens, inv.Token)
			}
			errs := make([]error, len(tokens))
			var wg sync.WaitGroup
			for i, tok := range tokens {
				wg.Go(func() { errs[i] = st.RespondInvitation(ctx, a.UID, tok, true) })
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
			if _, m, err := st.Me(ctx, a.UID); err != nil || m == nil || m.Role != roster.RoleAdmin {
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
		a, err := st.CreateAccount(ctx, "refresh@example.com", "Refresh", "")
		if err != nil {
			t.Fatal(err)
		}
		ss := store.SignInSession{UID: roster.NewUID(time.Now()), AccountUID: a.UID, RefreshHash: []byte("old"),
			ExpiresAt: time.Now().Add(time.Hour)}
		if err := st.OpenSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
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
		if _, err := st.SessionPrincipal(ctx, a.UID, ss.UID, time.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Errorf("session still open after a reused refresh token: %v", err)
		}
	})
}

// TestSignInThrottleWindow: failures block per roster.ThrottleDelay, and
// are forgotten after the window.
func TestSignInThrottleWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Second)
		key := store.ThrottleKey{Key: "account:x@example.com"}
		for i := range 6 {
			if err := st.RecordSignInFailure(ctx, t0, key); err != nil {
				t.Fatal(err)
			}
			wait, err := st.SignInBlocked(ctx, t0, key.Key)
			if want := roster.ThrottleDelay(i+1, false); err != nil || wait != want {
				t.Fatalf("after %d failures blocked %v (%v), want %v", i+1, wait, err, want)
			}
		}
		// An hour later the count starts again.
		later := t0.Add(roster.ThrottleWindow + time.Minute)
		if err := st.RecordSignInFailure(ctx, later, key); err != nil {
			t.Fatal(err)
		}
		if wait, err := st.SignInBlocked(ctx, later, key.Key); err != nil || wait != 0 {
			t.Errorf("after the window: blocked %v, %v", wait, err)
		}
		if err := st.ClearSignInFailures(ctx, key.Key); err != nil {
			t.Fatal(err)
		}
	})
}
