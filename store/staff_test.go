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
			a, err := st.CreateAccount(ctx, store.NewAccount{Email: email, DisplayName: "Both"})
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
		a, err := st.CreateAccount(ctx, store.NewAccount{Email: "refresh@example.com", DisplayName: "Refresh"})
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

// TestSignInThrottleWindow: attempts are counted before the password is
// checked; once over the free ones each blocks for roster.ThrottleDelay,
// blocked attempts are not counted, and the count is forgotten after the
// window or a good sign-in.
func TestSignInThrottleWindow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		t0 := time.Now().UTC().Truncate(time.Second)
		key := store.ThrottleKey{Key: "account:x@example.com"}
		claim := func(at time.Time) time.Duration {
			t.Helper()
			wait, err := st.ClaimSignIn(ctx, at, key)
			if err != nil {
				t.Fatal(err)
			}
			return wait
		}
		for i := range 5 {
			if wait := claim(t0); wait != 0 {
				t.Fatalf("attempt %d blocked for %v", i+1, wait)
			}
		}
		if wait := claim(t0); wait != roster.ThrottleDelay(5, false) {
			t.Errorf("sixth attempt: blocked %v, want %v", wait, roster.ThrottleDelay(5, false))
		}
		later := t0.Add(roster.ThrottleDelay(5, false))
		if wait := claim(later); wait != 0 {
			t.Errorf("after the block: %v", wait)
		}
		if wait := claim(later.Add(time.Millisecond)); wait != roster.ThrottleDelay(6, false)-time.Millisecond {
			t.Errorf("seventh attempt: blocked %v, want %v", wait, roster.ThrottleDelay(6, false)-time.Millisecond)
		}
		// After the window the count starts again.
		fresh := t0.Add(roster.ThrottleWindow + time.Minute)
		for range 5 {
			if wait := claim(fresh); wait != 0 {
				t.Fatalf("after the window: blocked %v", wait)
			}
		}
		if err := st.SignInSucceeded(ctx, key.Key, "addr:none"); err != nil {
			t.Fatal(err)
		}
		if wait := claim(fresh); wait != 0 {
			t.Errorf("after a good sign-in: blocked %v", wait)
		}
	})
}

// TestSetPasswordEndsSessions: a reset password ends the sessions that the
// old one opened.
func TestSetPasswordEndsSessions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a, err := st.CreateAccount(ctx, store.NewAccount{Email: "reset@example.com", DisplayName: "Reset", PasswordHash: "old hash"})
		if err != nil {
			t.Fatal(err)
		}
		ss := store.SignInSession{UID: roster.NewUID(time.Now()), AccountUID: a.UID, RefreshHash: []byte("r"),
			ExpiresAt: time.Now().Add(time.Hour)}
		if err := st.OpenSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SessionPrincipal(ctx, a.UID, ss.UID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := st.SetPassword(ctx, "RESET@example.com", "new hash"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SessionPrincipal(ctx, a.UID, ss.UID, time.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Errorf("session after a password reset: %v", err)
		}
		if _, hash, _, err := st.PasswordHash(ctx, "reset@example.com"); err != nil || hash != "new hash" {
			t.Errorf("stored %q, %v", hash, err)
		}
	})
}

// TestResendVerification: one mail a minute, and a new code replaces the
// old one.
func TestResendVerification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		ttl := roster.DefaultVerificationTTL
		v := func(hash string, after time.Duration) store.EmailVerification {
			return store.EmailVerification{TokenHash: []byte(hash), ExpiresAt: time.Now().Add(ttl + after),
				Mail: roster.Mail{Subject: "verify", Body: hash}}
		}
		a, err := st.CreateAccount(ctx, store.NewAccount{Email: "new@example.com", DisplayName: "New", PasswordHash: "h",
			Verification: &store.EmailVerification{TokenHash: []byte("first"), ExpiresAt: time.Now().Add(ttl),
				Mail: roster.Mail{To: "new@example.com", Subject: "verify"}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.ResendVerification(ctx, a.UID, v("second", 0)); roster.KindOf(err) != roster.KindThrottled {
			t.Fatalf("a resend at once: %v", err)
		}
		// As if two minutes had passed.
		if err := st.ResendVerification(ctx, a.UID, v("third", 2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := st.VerifyEmail(ctx, []byte("first")); roster.KindOf(err) != roster.KindInvalid {
			t.Errorf("the replaced code still verifies: %v", err)
		}
		if err := st.VerifyEmail(ctx, []byte("third")); err != nil {
			t.Errorf("the new code: %v", err)
		}
		mails, err := st.UnsentMail(ctx)
		if err != nil || len(mails) != 2 || mails[1].To != "new@example.com" {
			t.Errorf("mails %+v, %v", mails, err)
		}
	})
}
