package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

func token(hash string, ttl time.Duration) roster.EmailToken {
	return roster.EmailToken{Hash: []byte(hash), ExpiresAt: time.Now().Add(ttl)}
}

func signUp(email, hash, code string) roster.SignUp {
	return roster.SignUp{Email: email, DisplayName: "Person", PasswordHash: hash, Token: token(code, time.Hour),
		Mail: roster.Mail{To: email, Subject: "code", Body: code}, ExistsMail: roster.Mail{To: email, Subject: "exists"},
		ClientAddr: "192.0.2.1"}
}

// openSignInSession opens a sign-in session of an hour for the account, with
// the refresh token's hash.
func openSignInSession(t *testing.T, st *store.Store, accountUID, refreshHash string) roster.SignInSession {
	t.Helper()
	ss := roster.SignInSession{UID: roster.NewUID(time.Now()), AccountUID: accountUID, RefreshHash: []byte(refreshHash),
		ExpiresAt: time.Now().Add(time.Hour)}
	if err := st.OpenSignInSession(context.Background(), ss); err != nil {
		t.Fatal(err)
	}
	return ss
}

// mailSubjects returns the subjects of the unsent mail to email.
func mailSubjects(t *testing.T, st *store.Store, email string) []string {
	t.Helper()
	mails, err := st.UnsentMail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range mails {
		if m.To == email {
			subjects = append(subjects, m.Subject)
		}
	}
	return subjects
}

// TestSignUpWaitsForItsCode: a sign-up creates nothing until its code
// comes back; the code then makes a verified account, once.
func TestSignUpWaitsForItsCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if err := st.StartSignUp(ctx, signUp("new@example.com", "hash", "code"), roster.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := st.PasswordHash(ctx, "new@example.com"); !errors.Is(err, roster.ErrWrongCredentials) {
			t.Fatalf("an account exists before its code came back: %v", err)
		}
		if got := mailSubjects(t, st, "new@example.com"); len(got) != 1 || got[0] != "code" {
			t.Fatalf("mail %v", got)
		}
		if email, hash, err := st.SignUpPassword(ctx, []byte("code")); err != nil || hash != "hash" || email != "new@example.com" {
			t.Fatalf("the sign-up: %q, %q, %v", email, hash, err)
		}
		uid, err := st.CompleteSignUp(ctx, []byte("code"))
		if err != nil {
			t.Fatal(err)
		}
		a, _, err := st.Me(ctx, uid)
		if err != nil || !a.EmailVerified || a.Email != "new@example.com" || a.DisplayName != "Person" {
			t.Fatalf("account %+v, %v", a, err)
		}
		if _, err := st.CompleteSignUp(ctx, []byte("code")); !errors.Is(err, roster.ErrBadCode) {
			t.Errorf("a code used twice: %v", err)
		}
	})
}

// TestSignUpOfAnExistingAddress mails the owner of the address instead and
// keeps no code, so that nobody can sign up over a verified account.
func TestSignUpOfAnExistingAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := st.CreateAccount(ctx, roster.NewAccount{Email: "old@example.com", DisplayName: "Old",
			PasswordHash: "old", EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
		if err := st.StartSignUp(ctx, signUp("OLD@example.com", "attacker's", "code"), roster.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if got := mailSubjects(t, st, "OLD@example.com"); len(got) != 1 || got[0] != "exists" {
			t.Errorf("mail %v; want the exists mail only", got)
		}
		if _, _, err := st.SignUpPassword(ctx, []byte("code")); !errors.Is(err, roster.ErrBadCode) {
			t.Errorf("a code was kept for a verified address: %v", err)
		}
		if _, hash, _, err := st.PasswordHash(ctx, "old@example.com"); err != nil || hash != "old" {
			t.Errorf("password %q, %v", hash, err)
		}
	})
}

// TestSignUpTakesOverAnUnverifiedAccount: an account that never proved
// its address does not block it: the mailbox's owner signs up, and the
// squatter's password and sessions are gone.
func TestSignUpTakesOverAnUnverifiedAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		squat, err := st.CreateAccount(ctx, roster.NewAccount{Email: "taken@example.com", DisplayName: "Squatter", PasswordHash: "squatter's"})
		if err != nil {
			t.Fatal(err)
		}
		ss := openSignInSession(t, st, squat, "r")
		if err := st.StartSignUp(ctx, signUp("taken@example.com", "owner's", "code"), roster.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		uid, err := st.CompleteSignUp(ctx, []byte("code"))
		if err != nil || uid != squat {
			t.Fatalf("took over %q, %v; want %q", uid, err, squat)
		}
		a, _, err := st.Me(ctx, uid)
		if err != nil || !a.EmailVerified || a.DisplayName != "Person" {
			t.Errorf("account %+v, %v", a, err)
		}
		if _, hash, _, err := st.PasswordHash(ctx, "taken@example.com"); err != nil || hash != "owner's" {
			t.Errorf("password %q, %v", hash, err)
		}
		if _, err := st.SignInSessionPrincipal(ctx, squat, ss.UID, time.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Errorf("the squatter's session survived: %v", err)
		}
	})
}

// TestPasswordReset: a reset code goes to an existing account only, works
// once, replaces the previous code, verifies the address and ends every
// session.
func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		reset := func(email, code string) error {
			return st.StartPasswordReset(ctx, roster.PasswordReset{Email: email, Token: token(code, time.Hour),
				Mail: roster.Mail{Subject: "reset " + code}, ClientAddr: "192.0.2.1"}, roster.DefaultLimits)
		}
		if err := reset("nobody@example.com", "none"); err != nil {
			t.Fatal(err)
		}
		if got := mailSubjects(t, st, "nobody@example.com"); len(got) != 0 {
			t.Errorf("mail to an address without an account: %v", got)
		}
		uid, err := st.CreateAccount(ctx, roster.NewAccount{Email: "Kim@example.com", DisplayName: "Kim", PasswordHash: "old"})
		if err != nil {
			t.Fatal(err)
		}
		ss := openSignInSession(t, st, uid, "r")
		for _, code := range []string{"first", "second"} {
			if err := reset("kim@EXAMPLE.com", code); err != nil {
				t.Fatal(err)
			}
		}
		if got := mailSubjects(t, st, "Kim@example.com"); len(got) != 2 || got[1] != "reset second" {
			t.Errorf("mail to the account's own address: %v", got)
		}
		if _, err := st.ResetPassword(ctx, []byte("first"), "new"); !errors.Is(err, roster.ErrBadCode) {
			t.Errorf("a replaced code still works: %v", err)
		}
		if email, name, err := st.ResetAccount(ctx, []byte("second")); err != nil || email != "Kim@example.com" || name != "Kim" {
			t.Errorf("reset of %q %q, %v", email, name, err)
		}
		got, err := st.ResetPassword(ctx, []byte("second"), "new")
		if err != nil || got != uid {
			t.Fatalf("reset %q, %v", got, err)
		}
		if _, hash, _, err := st.PasswordHash(ctx, "kim@example.com"); err != nil || hash != "new" {
			t.Errorf("password %q, %v", hash, err)
		}
		if a, _, err := st.Me(ctx, uid); err != nil || !a.EmailVerified {
			t.Errorf("a reset verifies the address: %+v, %v", a, err)
		}
		if _, err := st.SignInSessionPrincipal(ctx, uid, ss.UID, time.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Errorf("a session survived the reset: %v", err)
		}
		if _, err := st.ResetPassword(ctx, []byte("second"), "again"); !errors.Is(err, roster.ErrBadCode) {
			t.Errorf("a code used twice: %v", err)
		}
	})
}

// TestResendVerification: an account from before codes came back with
// their password gets a code that verifies it with its own password.
func TestResendVerification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		uid, err := st.CreateAccount(ctx, roster.NewAccount{Email: "late@example.com", DisplayName: "Late", PasswordHash: "own"})
		if err != nil {
			t.Fatal(err)
		}
		resend := func() error {
			return st.ResendVerification(ctx, uid, "192.0.2.1", token("again", time.Hour), roster.Mail{Subject: "again"}, roster.DefaultLimits)
		}
		if err := resend(); err != nil {
			t.Fatal(err)
		}
		if _, hash, err := st.SignUpPassword(ctx, []byte("again")); err != nil || hash != "own" {
			t.Fatalf("the code confirms %q, %v; want the account's own password", hash, err)
		}
		if got, err := st.CompleteSignUp(ctx, []byte("again")); err != nil || got != uid {
			t.Fatalf("verified %q, %v", got, err)
		}
		if err := resend(); roster.KindOf(err) != roster.KindInvalid {
			t.Errorf("a resend to a verified account: %v", err)
		}
		if got := mailSubjects(t, st, "late@example.com"); len(got) != 1 {
			t.Errorf("mail %v", got)
		}
	})
}

// TestMailLimits: mail asked for anonymously is limited per address and
// per client, in the database, so that two processes share the count; a
// refused request counts nothing; a window that has passed starts anew.
func TestMailLimits(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		first, second := storetest.OpenAt(t, dir, url), storetest.OpenAt(t, dir, url)
		t.Cleanup(func() { first.Close(); second.Close() })
		limits := roster.Limits{MailPerAddress: roster.Rate{Count: 2, Per: time.Hour}, MailPerClient: roster.Rate{Count: 3, Per: time.Hour}}
		start := func(st *store.Store, email, client string) error {
			su := signUp(email, "h", roster.NewSecret(10))
			su.ClientAddr = client
			return st.StartSignUp(ctx, su, limits)
		}
		for _, st := range []*store.Store{first, second} {
			if err := start(st, "a@example.com", "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
		}
		err := start(first, "A@EXAMPLE.COM", "192.0.2.9")
		var e *roster.Error
		if !errors.As(err, &e) || e.Kind != roster.KindThrottled || e.RetryAfter <= 0 || e.RetryAfter > time.Hour {
			t.Fatalf("third mail to one address: %v", err)
		}
		// The refused one did not count against its client: two more pass.
		if err := start(second, "b@example.com", "192.0.2.9"); err != nil {
			t.Fatal(err)
		}
		if err := start(second, "c@example.com", "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if err := start(first, "d@example.com", "192.0.2.1"); roster.KindOf(err) != roster.KindThrottled {
			t.Errorf("fourth mail from one client: %v", err)
		}
		if got := mailSubjects(t, first, "A@EXAMPLE.COM"); len(got) != 0 {
			t.Errorf("a refused sign-up queued mail: %v", got)
		}
		// A window of a microsecond has always passed by the next request.
		short := roster.Limits{MailPerAddress: roster.Rate{Count: 1, Per: time.Microsecond}}
		for range 3 {
			if err := first.StartSignUp(ctx, signUp("e@example.com", "h", roster.NewSecret(10)), short); err != nil {
				t.Fatalf("a new window: %v", err)
			}
		}
	})
}
