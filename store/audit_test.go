package store_test

import (
	"context"
	"slices"
	"testing"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// Every entry gets a uid of its own: an account's change outside any
// organization, and each client of an import's one INSERT per chunk.
func TestAuditEntriesHaveUIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		if _, err := st.CreateAccount(ctx, roster.NewAccount{Email: "own@example.com", DisplayName: "Own"}); err != nil {
			t.Fatal(err)
		}
		clients := importable(org, 1200, nil) // three chunks
		if err := st.ImportClients(ctx, org.ID, len(clients), from(clients), nil); err != nil {
			t.Fatal(err)
		}

		rows, err := st.DB().QueryContext(ctx, `SELECT uid, org_id IS NULL FROM audit_log`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		seen, outside := map[string]bool{}, 0
		for rows.Next() {
			var uid string
			var none bool
			if err := rows.Scan(&uid, &none); err != nil {
				t.Fatal(err)
			}
			if !uidShape.MatchString(uid) || seen[uid] {
				t.Errorf("uid %q: not a uid, or a second entry's", uid)
			}
			seen[uid] = true
			if none {
				outside++
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if outside != 1 || len(seen) != 1+1+len(clients) { // organization.create, account.create, the import
			t.Errorf("%d entries, %d outside any organization; want %d, 1", len(seen), outside, 2+len(clients))
		}

		// The import's entries list as if the clients had come one by one.
		var logged []string
		f := roster.AuditFilter{Action: "client.import", Limit: 500}
		for {
			page, err := st.AuditLog(ctx, org.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				logged = append(logged, e.ObjectUID)
			}
			if len(page) < f.Limit {
				break
			}
			f.BeforeID = page[len(page)-1].ID
		}
		var want []string
		for _, c := range slices.Backward(clients) {
			want = append(want, c.UID)
		}
		if !slices.Equal(logged, want) {
			t.Errorf("the import's entries, newest first, name %d clients, not the %d imported last first", len(logged), len(want))
		}
	})
}
