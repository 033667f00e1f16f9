package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// oldRows writes rows as the versions before migration 6 left them: keys
// made by strings.ToLower, and twins that those keys did not catch.
type oldRows struct {
	t   *testing.T
	db  *sql.DB
	day time.Time
}

// at is a creation time: the n-th day of the test's history.
func (o *oldRows) at(n int) string {
	return o.day.AddDate(0, 0, n).Format("2006-01-02T15:04:05.000000Z")
}

func (o *oldRows) exec(query string, args ...any) {
	o.t.Helper()
	if _, err := o.db.Exec(query, args...); err != nil {
		o.t.Fatalf("%s: %v", query, err)
	}
}

// account writes an account created on day n, verified or not, and
// returns its uid.
func (o *oldRows) account(email string, n int, verified bool) string {
	uid := roster.NewUID(time.Now())
	var verifiedAt any
	if verified {
		verifiedAt = o.at(n)
	}
	o.exec(`INSERT INTO accounts (uid, email, email_key, display_name, password_hash, email_verified_at, created_at)
		VALUES ($1, $2, $3, 'A', 'hash', $4, $5)`, uid, email, strings.ToLower(email), verifiedAt, o.at(n))
	return uid
}

func (o *oldRows) client(org storetest.Org, email, name string, n int) string {
	uid := roster.NewUID(time.Now())
	o.exec(`INSERT INTO clients (org_id, uid, created_by, email, email_key, display_name, name_key, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
		org.ID, uid, org.OwnerUID, email, strings.ToLower(email), name, strings.ToLower(name), o.at(n))
	return uid
}

// invitation writes an invitation from org's owner and returns its token.
func (o *oldRows) invitation(org storetest.Org, email, status string, n int) string {
	token := roster.NewSecret(20)
	o.exec(`INSERT INTO invitations (token, org_id, inviter_id, invitee_email, invitee_email_key, status, created_at, expires_at)
		VALUES ($1, $2, (SELECT id FROM accounts WHERE uid = $3), $4, $5, $6, $7, $7)`,
		token, org.ID, org.OwnerUID, email, strings.ToLower(email), status, o.at(n))
	return token
}

// reset writes a password reset code mailed to an account's email.
func (o *oldRows) reset(accountUID, email string) {
	o.exec(`INSERT INTO email_tokens (token_hash, purpose, email, email_key, account_id, created_at, expires_at)
		VALUES ($1, 'password_reset', $2, $3, (SELECT id FROM accounts WHERE uid = $4), $5, $6)`,
		[]byte(roster.NewSecret(16)), email, strings.ToLower(email), accountUID, o.at(0), o.at(1000))
}

// linkInvitation writes a link invitation sent to a client's email.
func (o *oldRows) linkInvitation(org storetest.Org, clientUID, email string) string {
	uid := roster.NewUID(time.Now())
	o.exec(`INSERT INTO link_invitations (uid, org_id, client_id, email_key, inviter_uid, created_at, expires_at)
		VALUES ($1, $2, (SELECT id FROM clients WHERE uid = $3), $4, $5, $6, $7)`,
		uid, org.ID, clientUID, strings.ToLower(email), org.OwnerUID, o.at(0), o.at(1000))
	return uid
}

// column reads a column of table by key (the first selected column).
func column(t *testing.T, db *sql.DB, query string) map[string]string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		m[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantValues(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s of %s = %q, want %q", what, k, got[k], w)
		}
	}
}

// TestRekeyEmails runs migration 6 on rows that older versions wrote:
// every key is made anew, the twins that the new keys reveal keep the
// migration from failing, the right one of each keeps the key, and each
// twin, and each email refused today, is reported in the audit log and the
// migration's log.
func TestRekeyEmails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		orgA, orgB := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		o := &oldRows{t: t, db: st.DBForTest(), day: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

		// Accounts: one in a form no longer accepted never keeps the key,
		// even verified (it proved a look-alike mailbox, not the plain one);
		// between verified ones the oldest keeps it.
		kate := o.account("kate@k.example", 1, false)
		fullWidthKate := o.account("ｋate@k.example", 2, true)
		strasse := o.account("Straße@s.example", 1, true)
		strasse2 := o.account("strasse@s.example", 2, true)
		ligature := o.account("ﬁnn@f.example", 1, false)
		finn := o.account("finn@f.example", 2, false)
		// Not twins, but a chain: the dotted İ folds apart from the "i"
		// that strings.ToLower made of it, and lets go of the key that the
		// full-width ｉ now takes.
		dotted := o.account("İnfo@i.example", 1, true)
		fullWidthI := o.account("ｉnfo@i.example", 2, true)
		bucher := o.account("ana@bücher.example", 1, false)
		// The residue of the look-alike attack: a Kelvin sign that
		// strings.ToLower made a k of holds that address's key alone.
		kelvin := o.account("\u212Aate@kelvin.example", 1, true)
		o.reset(bucher, "ana@bücher.example")
		o.reset(kate, "kate@k.example")
		sessions := map[string]string{kate: roster.NewUID(time.Now()), fullWidthKate: roster.NewUID(time.Now())}
		for account, session := range sessions {
			if err := st.OpenSignInSession(ctx, roster.SignInSession{UID: session, AccountUID: account,
				RefreshHash: []byte(session), ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}

		// Clients: per organization, the plain one, else the oldest.
		c1 := o.client(orgA, "Kate@k.example", "ZOË Straße", 1)
		c2 := o.client(orgA, "ｋate@k.example", "Kate", 2)
		c3 := o.client(orgA, "ﬁnn@f.example", "Finn", 1)
		c4 := o.client(orgA, "finn@f.example", "Finn", 2)
		cB := o.client(orgB, "ｋate@k.example", "Ｋate", 1)
		l2 := o.linkInvitation(orgA, c2, "ｋate@k.example")
		lB := o.linkInvitation(orgB, cB, "ｋate@k.example")

		// Pending invitations: the newest stays pending.
		i1 := o.invitation(orgA, "kate@k.example", "pending", 1)
		i2 := o.invitation(orgA, "ｋate@k.example", "pending", 2)
		i3 := o.invitation(orgA, "ＫＡＴＥ@k.example", "accepted", 0)

		var logged bytes.Buffer
		if err := st.RekeyEmailsForTest(ctx, slog.New(slog.NewJSONHandler(&logged, nil))); err != nil {
			t.Fatal(err)
		}

		db := st.DBForTest()
		wantValues(t, "account key", column(t, db, `SELECT uid, email_key FROM accounts`), map[string]string{
			kate: "kate@k.example", fullWidthKate: "REFUSED:" + fullWidthKate,
			strasse: "strasse@s.example", strasse2: "TWIN:" + strasse + ":" + strasse2,
			ligature: "REFUSED:" + ligature, finn: "finn@f.example",
			dotted: "i\u0307nfo@i.example", fullWidthI: "REFUSED:" + fullWidthI,
			bucher:        "ana@xn--bcher-kva.example",
			kelvin:        "REFUSED:" + kelvin,
			orgA.OwnerUID: orgA.OwnerEmail,
		})
		wantValues(t, "client key", column(t, db, `SELECT uid, email_key FROM clients`), map[string]string{
			c1: "kate@k.example", c2: "TWIN:" + c1 + ":" + c2,
			c3: "TWIN:" + c4 + ":" + c3, c4: "finn@f.example",
			cB: "kate@k.example", // another organization's: no twin
		})
		wantValues(t, "client name key", column(t, db, `SELECT uid, name_key FROM clients`), map[string]string{
			c1: "zoë strasse", c2: "kate", cB: "kate",
		})
		wantValues(t, "invitation", column(t, db, `SELECT token, status || ' ' || invitee_email_key FROM invitations`), map[string]string{
			i1: "pending kate@k.example", i2: "expired kate@k.example", i3: "accepted kate@k.example",
		})
		wantValues(t, "reset code", column(t, db, `SELECT a.uid, e.email_key FROM email_tokens e JOIN accounts a ON a.id = e.account_id`),
			map[string]string{bucher: "ana@xn--bcher-kva.example", kate: "kate@k.example"})
		// A twin client's invitation keeps the email's key, which its client
		// no longer has: it can no longer be accepted.
		wantValues(t, "link invitation", column(t, db, `SELECT uid, email_key FROM link_invitations`),
			map[string]string{l2: "kate@k.example", lB: "kate@k.example"})

		// The email signs in to the account in plain form, in any form; the
		// look-alike's sessions are over.
		for _, email := range []string{"kate@k.example", "KATE@k.example", "ｋate@k.example"} {
			if uid, _, _, err := st.PasswordHash(ctx, email); err != nil || uid != kate {
				t.Errorf("%s signs in to %q (%v), want %q", email, uid, err, kate)
			}
		}
		if _, err := st.SignInSessionPrincipal(ctx, fullWidthKate, sessions[fullWidthKate], time.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Errorf("the look-alike's session: err %v, want it ended", err)
		}
		if _, err := st.SignInSessionPrincipal(ctx, kate, sessions[kate], time.Now()); err != nil {
			t.Errorf("the keeper's session: %v", err)
		}

		// Reports: an audit entry per twin set aside, and per row whose
		// email today's rules refuse (pending invitations only).
		wantValues(t, "audit of account", column(t, db, `SELECT object_uid, action || ' ' || fields || ' ' || actor_kind
			FROM audit_log WHERE org_id IS NULL AND action LIKE 'account.email_%'`), map[string]string{
			strasse2:      `account.email_twin ["email_key","sessions"] operator`,
			fullWidthKate: `account.email_refused ["email_key","sessions"] operator`,
			fullWidthI:    `account.email_refused ["email_key","sessions"] operator`,
			kelvin:        `account.email_refused ["email_key","sessions"] operator`,
			ligature:      `account.email_refused ["email_key","sessions"] operator`,
		})
		orgAudit := func(org storetest.Org, action string) []string {
			entries, err := st.AuditLog(ctx, org.ID, roster.AuditFilter{Action: action, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var uids []string
			for _, e := range entries {
				uids = append(uids, e.ObjectUID)
			}
			slices.Sort(uids)
			return uids
		}
		for _, tc := range []struct {
			org    storetest.Org
			action string
			want   []string
		}{
			{orgA, "client.email_twin", []string{c2, c3}},
			{orgA, "client.email_refused", []string{c2, c3}},
			{orgA, "invitation.email_twin", nil}, // i2, refused, expired before twins were sought
			{orgA, "invitation.email_refused", []string{"ｋate@k.example"}},
			{orgB, "client.email_twin", nil}, // another organization's: no twin
			{orgB, "client.email_refused", []string{cB}},
		} {
			if got, want := orgAudit(tc.org, tc.action), slices.Sorted(slices.Values(tc.want)); !slices.Equal(got, want) {
				t.Errorf("%s in the audit log: %v, want %v", tc.action, got, want)
			}
		}

		// And warnings in the migration's log: one per twin group, one per
		// refused email.
		groups, refused := map[string][]string{}, map[string]string{}
		for line := range strings.Lines(logged.String()) {
			var w struct {
				Level, Object, Kept, UID, Reason string
				SetAside                         []string `json:"set_aside"`
			}
			if err := json.Unmarshal([]byte(line), &w); err != nil || w.Level != "WARN" {
				t.Fatalf("log line %q (%v), want a warning", line, err)
			}
			if w.UID != "" {
				refused[w.Object+" "+w.UID] = w.Reason
			} else {
				groups[w.Object+" "+w.Kept] = w.SetAside
			}
		}
		wantGroups := map[string][]string{
			"account " + strasse: {strasse2},
			"client " + c1:       {c2}, "client " + c4: {c3},
		}
		if !maps.EqualFunc(groups, wantGroups, slices.Equal) {
			t.Errorf("logged twin groups %v, want %v", groups, wantGroups)
		}
		wantRefused := []string{"account " + fullWidthKate, "account " + ligature, "account " + fullWidthI, "account " + kelvin,
			"client " + c2, "client " + c3, "client " + cB, "invitation ｋate@k.example"}
		if got := slices.Sorted(maps.Keys(refused)); !slices.Equal(got, slices.Sorted(slices.Values(wantRefused))) {
			t.Errorf("logged refusals of %v, want %v", got, wantRefused)
		}
		if want := `must be written "Kate@kelvin.example": U+212A KELVIN SIGN stands for "K"`; refused["account "+kelvin] != want {
			t.Errorf("logged refusal of the Kelvin sign: %q, want %q", refused["account "+kelvin], want)
		}
	})
}

// TestRekeyKeepsALookAlikeTwinOut: a full-width twin that verified its own
// mailbox before the upgrade, beside the real owner's plain but unverified
// account, must not get the plain address's key: with it, it would list
// and accept the invitation sent to the plain address, and a password
// reset asked for the plain address would be mailed to it (found by a
// review's attack).
func TestRekeyKeepsALookAlikeTwinOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		o := &oldRows{t: t, db: st.DBForTest(), day: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		o.account("kate@k.example", 1, false)                      // the real Kate, never verified
		twin := o.account("ｋate@k.example", 2, true)               // a look-alike that verified its own mailbox
		token := o.invitation(org, "kate@k.example", "pending", 3) // Kate's invitation
		o.exec(`UPDATE invitations SET expires_at = $1 WHERE token = $2`, o.at(100000), token)

		visible := func() bool {
			list, err := st.Invitations(ctx, roster.Principal{AccountUID: twin}, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, inv := range list {
				if inv.Token == token {
					return true
				}
			}
			return false
		}
		if visible() {
			t.Fatalf("before the migration the twin already sees Kate's invitation")
		}
		if err := st.RekeyEmailsForTest(ctx, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))); err != nil {
			t.Fatal(err)
		}
		if visible() {
			t.Errorf("after migration 6 the full-width twin lists the invitation sent to kate@k.example, token included")
		}
		if err := st.RespondInvitation(ctx, twin, token, true); err == nil {
			t.Errorf("after migration 6 the full-width twin accepted kate@k.example's invitation: it is an Admin of the organization")
		}
		if err := st.StartPasswordReset(ctx, roster.PasswordReset{Email: "kate@k.example",
			Token: roster.EmailToken{Hash: []byte("h"), ExpiresAt: time.Now().Add(time.Hour)},
			Mail:  roster.Mail{To: "kate@k.example", Subject: "reset", Body: "code"}}, roster.Limits{}); err != nil {
			t.Fatal(err)
		}
		mails, err := st.UnsentMail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last := mails[len(mails)-1]; last.To != "kate@k.example" {
			t.Errorf("a password reset for kate@k.example is mailed to %q", last.To)
		}
	})
}

// TestRekeyKeepsALoneLookAlikeOut: a look-alike account that verified its
// own full-width mailbox before the upgrade, for an address whose owner has
// no account yet, must not get that address's key: the owner's pending
// invitation would become the look-alike's, and the owner's own sign-up
// would be told the address already has an account.
func TestRekeyKeepsALoneLookAlikeOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		o := &oldRows{t: t, db: st.DBForTest(), day: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		lookAlike := o.account("ａna@club.example", 1, true)
		token := o.invitation(org, "ana@club.example", "pending", 2)
		o.exec(`UPDATE invitations SET expires_at = $1 WHERE token = $2`, o.at(100000), token)
		if err := st.RespondInvitation(ctx, lookAlike, token, true); err == nil {
			t.Fatalf("before the migration the look-alike could already accept")
		}
		if err := st.RekeyEmailsForTest(ctx, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))); err != nil {
			t.Fatal(err)
		}
		if err := st.RespondInvitation(ctx, lookAlike, token, true); err == nil {
			t.Errorf("after migration 6 the look-alike ａna@club.example accepted the invitation sent to ana@club.example")
		}
		su := roster.SignUp{Email: "ana@club.example", DisplayName: "Ana", PasswordHash: "h",
			Token:      roster.EmailToken{Hash: []byte("s"), ExpiresAt: time.Now().Add(time.Hour)},
			Mail:       roster.Mail{To: "ana@club.example", Subject: "Finish signing up", Body: "code"},
			ExistsMail: roster.Mail{To: "ana@club.example", Subject: "You already have a Roster account", Body: "sign in"}}
		if err := st.StartSignUp(ctx, su, roster.Limits{}); err != nil {
			t.Fatal(err)
		}
		mails, err := st.UnsentMail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last := mails[len(mails)-1]; last.Subject != su.Mail.Subject {
			t.Errorf("the real ana@club.example signs up and is told %q", last.Subject)
		}
	})
}
