package store_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/auth"
	"roster/clocktest"
	"roster/mail/mailtest"
	"roster/store"
	"roster/store/storetest"
)

// holder is an account with its credentials: an API key when it is staff,
// and an open sign-in session.
type holder struct {
	org               storetest.Org
	uid, email, keyID string
	session           string
	refresh           []byte // the session's refresh token hash
}

// newHolder makes an account, staff (an Admin of org, through an accepted
// invitation, with an API key) or nobody's staff, and signs it in.
func newHolder(t *testing.T, st *store.Store, org storetest.Org, staff bool) holder {
	t.Helper()
	ctx := context.Background()
	h := holder{org: org, email: strings.ToLower(roster.NewSecret(8)) + "@example.com"}
	var err error
	if h.uid, err = st.CreateAccount(ctx, roster.NewAccount{Email: h.email, DisplayName: "Holder", EmailVerified: true}); err != nil {
		t.Fatal(err)
	}
	if staff {
		accept(t, st, h)
		_, keyID, hash := auth.NewAPIKey()
		if _, err := st.CreateAPIKey(ctx, org.ID, h.uid, roster.NewAPIKey{KeyID: keyID, SecretHash: hash, Name: "k"}); err != nil {
			t.Fatal(err)
		}
		h.keyID = keyID
	}
	h.session, h.refresh = signIn(t, st, h.uid)
	return h
}

func accept(t *testing.T, st *store.Store, h holder) {
	t.Helper()
	ctx := context.Background()
	inv, err := st.CreateInvitation(ctx, h.org.ID, h.org.OwnerUID, h.email, "", time.Hour, roster.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RespondInvitation(ctx, h.uid, inv.Token, true); err != nil {
		t.Fatal(err)
	}
}

func signIn(t *testing.T, st *store.Store, uid string) (session string, refresh []byte) {
	t.Helper()
	_, refresh = auth.NewRefreshToken()
	session = roster.NewUID(time.Now())
	err := st.OpenSignInSession(context.Background(), roster.SignInSession{UID: session, AccountUID: uid, RefreshHash: refresh,
		ExpiresAt: st.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return session, refresh
}

// resolved is what authentication answers for a holder's credentials:
// the principal, or "refused" or "deactivated".
type resolved struct{ key, session string }

func resolve(t *testing.T, st *store.Store, h holder) resolved {
	t.Helper()
	ctx := context.Background()
	outcome := func(p roster.Principal, err error) string {
		switch {
		case errors.Is(err, roster.ErrDeactivated):
			return "deactivated"
		case roster.KindOf(err) == roster.KindUnauthorized:
			return "refused"
		case err != nil:
			t.Fatal(err)
		}
		return p.Role + "@" + p.OrgUID
	}
	var r resolved
	if h.keyID != "" {
		k, err := st.APIKeyByID(ctx, h.keyID)
		r.key = outcome(k.Principal, err)
	}
	r.session = outcome(st.SignInSessionPrincipal(ctx, h.uid, h.session, st.Now()))
	return r
}

// TestAuthCacheInvalidation runs every store write that changes what a
// credential resolves to against credentials that the auth cache serves,
// through the writing store and, on PostgreSQL, through a second store on
// the same database (another process), which hears of it by notification.
// After the write (and, for the second store, SyncAuth, which waits for
// the notifications committed before it) neither cache serves the
// account's credentials any more, and both answer the new truth.
// ForceLogoutClient shares ForceLogoutStaff's code; api's TestForceLogout
// runs it across two processes.
func TestAuthCacheInvalidation(t *testing.T) {
	ctx := context.Background()
	admin := func(h holder) string { return roster.RoleAdmin + "@" + h.org.UID }
	for _, c := range []struct {
		name  string
		staff bool
		write func(t *testing.T, st *store.Store, h holder) error
		want  func(h holder) resolved
	}{
		{"revoke API key", true, func(t *testing.T, st *store.Store, h holder) error {
			return st.RevokeAPIKey(ctx, h.uid, h.keyID)
		}, func(h holder) resolved { return resolved{"refused", admin(h)} }},
		{"remove staff", true, func(t *testing.T, st *store.Store, h holder) error {
			return st.RemoveStaff(ctx, h.org.ID, h.uid)
		}, func(h holder) resolved { return resolved{"refused", "@"} }},
		{"deactivate staff", true, func(t *testing.T, st *store.Store, h holder) error {
			return st.SetStaffActive(ctx, h.org.ID, h.uid, false)
		}, func(h holder) resolved { return resolved{"refused", "deactivated"} }},
		{"force logout", true, func(t *testing.T, st *store.Store, h holder) error {
			_, err := st.ForceLogoutStaff(ctx, h.org.ID, h.uid)
			return err
		}, func(h holder) resolved { return resolved{admin(h), "refused"} }},
		{"log out", true, func(t *testing.T, st *store.Store, h holder) error {
			return st.CloseSignInSession(ctx, h.session)
		}, func(h holder) resolved { return resolved{admin(h), "refused"} }},
		{"refresh token reused", true, func(t *testing.T, st *store.Store, h holder) error {
			_, next := auth.NewRefreshToken()
			if _, _, err := st.RotateRefresh(ctx, h.refresh, next, st.Now().Add(time.Hour)); err != nil {
				return err
			}
			_, again := auth.NewRefreshToken()
			if _, _, err := st.RotateRefresh(ctx, h.refresh, again, st.Now().Add(time.Hour)); roster.KindOf(err) != roster.KindUnauthorized {
				t.Fatalf("a reused refresh token: %v", err)
			}
			return nil
		}, func(h holder) resolved { return resolved{admin(h), "refused"} }},
		{"sessions limit", true, func(t *testing.T, st *store.Store, h holder) error {
			one := int64(1)
			if err := st.UpdateStaff(ctx, h.org.ID, h.uid, roster.StaffUpdate{SetSessionsLimit: true, SessionsLimit: &one}); err != nil {
				return err
			}
			signIn(t, st, h.uid)
			return nil
		}, func(h holder) resolved { return resolved{admin(h), "refused"} }},
		{"set password", true, func(t *testing.T, st *store.Store, h holder) error {
			return st.SetPassword(ctx, h.email, "new hash")
		}, func(h holder) resolved { return resolved{admin(h), "refused"} }},
		{"change password", true, func(t *testing.T, st *store.Store, h holder) error {
			return st.ChangePassword(ctx, h.uid, "new hash", "")
		}, func(h holder) resolved { return resolved{admin(h), "refused"} }},
		{"reset password", true, func(t *testing.T, st *store.Store, h holder) error {
			tok := roster.EmailToken{Hash: []byte(roster.NewSecret(16)), ExpiresAt: st.Now().Add(time.Hour)}
			if err := st.StartPasswordReset(ctx, roster.PasswordReset{Email: h.email, Token: tok, Mail: roster.Mail{Subject: "reset"}},
				roster.DefaultLimits); err != nil {
				return err
			}
			_, err := st.ResetPassword(ctx, tok.Hash, "new hash")
			return err
		}, func(h holder) resolved { return resolved{admin(h), "refused"} }},
		{"delete account", true, func(t *testing.T, st *store.Store, h holder) error {
			return st.DeleteAccount(ctx, h.uid)
		}, func(h holder) resolved { return resolved{"refused", "refused"} }},
		{"accept invitation", false, func(t *testing.T, st *store.Store, h holder) error {
			accept(t, st, h)
			return nil
		}, func(h holder) resolved { return resolved{"", admin(h)} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.EachEngine(t, func(t *testing.T, engine string) {
				stores := openTwins(t, engine)
				st := stores[0]
				h := newHolder(t, st, storetest.NewOrg(t, st, "Pro"), c.staff)
				before := resolve(t, st, h)
				for i, st := range stores {
					st.AwaitAuthCache(t)
					if got := resolve(t, st, h); got != before {
						t.Fatalf("store %d resolves %+v, the first %+v", i, got, before)
					}
					if h.keyID != "" && !st.CachesAPIKey(h.keyID) || !st.CachesSignInSession(h.session) {
						t.Fatalf("store %d does not cache the credentials it resolved", i)
					}
				}
				if err := c.write(t, st, h); err != nil {
					t.Fatal(err)
				}
				for i, st := range stores {
					// The writer drops its entries itself; the other store
					// hears of it. SyncAuth would empty a SQLite store's
					// cache, proving nothing.
					if i > 0 {
						if err := st.SyncAuth(ctx); err != nil {
							t.Fatal(err)
						}
					}
					if h.keyID != "" && st.CachesAPIKey(h.keyID) || st.CachesSignInSession(h.session) {
						t.Errorf("store %d still caches the credentials after the write", i)
					}
					if got, want := resolve(t, st, h), c.want(h); got != want {
						t.Errorf("store %d resolves %+v after the write, want %+v", i, got, want)
					}
				}
			})
		})
	}
}

// TestAuthCacheListenerLoss ends the connection a PostgreSQL store listens
// on, as a restart of the server or a network fault would: the cache stops
// serving, reconnects, and starts again empty, since it may have missed a
// revocation meanwhile.
func TestAuthCacheListenerLoss(t *testing.T) {
	url := storetest.DatabaseURL(t, "postgres")
	ctx := context.Background()
	st := storetest.OpenAt(t, t.TempDir(), url)
	defer st.Close()
	logs := &mailtest.Buffer{}
	st.SetLog(slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	clock := clocktest.NewClock()
	st.SetClock(clock.Now)
	org := storetest.NewOrg(t, st, "Pro")
	keyID, _, _ := auth.SplitAPIKey(org.APIKey)
	st.AwaitAuthCache(t)
	if _, err := st.APIKeyByID(ctx, keyID); err != nil || !st.CachesAPIKey(keyID) {
		t.Fatalf("the key is not cached (%v)", err)
	}

	admin, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var ended int
	err = admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'roster auth listener' AND query = 'LISTEN "roster_clients_' || left(md5(current_schema()), 16) || '"'`).Scan(&ended)
	if err != nil || ended != 1 {
		t.Fatalf("ended %d listening connections (%v), want 1", ended, err)
	}
	clocktest.Eventually(t, "the listener to notice", func() bool { return strings.Contains(logs.String(), `"msg":"caches off`) })
	st.AwaitAuthCache(t)
	if st.CachesAPIKey(keyID) {
		t.Error("the cache kept an entry across a lost connection")
	}
	if _, err := st.APIKeyByID(ctx, keyID); err != nil || !st.CachesAPIKey(keyID) {
		t.Errorf("after reconnecting, the key is not cached (%v)", err)
	}
}
