package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/store"
	"roster/store/storetest"
)

// hooked returns clients one by one and calls at(i) before handing out
// the i-th, for a test to act between the import's chunks: when next is
// called for client i, the chunks before i's are committed.
func hooked(clients []*roster.Client, at func(i int)) func() (*roster.Client, error) {
	i := 0
	return func() (*roster.Client, error) {
		at(i)
		i++
		return clients[i-1], nil
	}
}

func assertNoLeftovers(t *testing.T, st *store.Store) {
	t.Helper()
	imports, rows, err := st.ImportLeftovers(context.Background())
	if err != nil || imports != 0 || rows != 0 {
		t.Errorf("after the import: %d imports and %d marked rows kept (%v), want none", imports, rows, err)
	}
}

// assertHidden checks that no read of the organization's clients shows c,
// a row of an import not yet published, and that the counters are want.
func assertHidden(t *testing.T, st *store.Store, org storetest.Org, c *roster.Client, want int64) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Client(ctx, org.ID, c.UID); err != roster.ErrClientNotFound {
		t.Errorf("a staged client reads by uid: err %v", err)
	}
	for _, q := range []roster.ClientQuery{{}, {Email: c.Email}, {Search: c.Email}} {
		page, err := st.ClientPage(ctx, org.ID, q, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range page.Clients {
			if got.UID == c.UID {
				t.Errorf("list %+v shows a staged client", q)
			}
		}
		if q.Email != "" && page.Count != 0 {
			t.Errorf("list %+v counts %d, want 0", q, page.Count)
		}
	}
	if _, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{ExternalID: *c.ExternalID}, false); err != roster.ErrClientNotFound {
		t.Errorf("a staged client is found by its external id: err %v", err)
	}
	// Its uid is one of a block of consecutive ones: a caller who guessed
	// it can change nothing, nor move a counter the row is not in yet.
	for name, write := range map[string]func() error{
		"update": func() error {
			_, err := st.UpdateClient(ctx, org.ID, c.UID, roster.ClientUpdate{
				ClientFields: roster.ClientFields{Gender: ptr("male")}, Set: roster.FieldsOf(roster.FieldGender)})
			return err
		},
		"delete": func() error { _, err := st.DeleteClient(ctx, org.ID, c.UID); return err },
		"note":   func() error { return st.SaveNote(ctx, org.ID, c.UID, ptr("guessed")) },
		"session": func() error {
			_, err := st.RecordAnalysisSession(ctx, org.ID, c.UID, &roster.AnalysisSession{UID: roster.NewUID(time.Now()),
				Activity: "Running", Duration: 1, Time: st.Now(), CreatedAt: st.Now()})
			return err
		},
		"deactivate": func() error {
			_, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{UID: c.UID}, false)
			return err
		},
	} {
		if err := write(); err != roster.ErrClientNotFound {
			t.Errorf("%s of a staged client by its uid: err %v, want not found", name, err)
		}
	}
	assertCount(t, st, org, want)
	assertFilterCount(t, st, org, roster.ClientFilter{Gender: "female"}, 0)
}

// While an import is written, in commits of its own, readers see nothing
// of it, and the counters have not moved; once published, all of it is
// there at once, and nothing is left marked.
func TestImportIsHiddenUntilPublished(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		clients := importable(org, 350, func(i int, c *roster.Client) { c.ExternalID = ptr(fmt.Sprintf("x-%d", i)) })
		checked := 0
		next := hooked(clients, func(i int) {
			if i == 100 || i == 300 { // the chunks before i's are committed
				assertHidden(t, st, org, clients[0], 0)
				assertHidden(t, st, org, clients[i-1], 0)
				checked++
			}
		})
		// After the last chunk, before the publication.
		progress := func(done int) {
			if done == len(clients) {
				assertHidden(t, st, org, clients[done-1], 0)
				checked++
			}
		}
		if err := st.ImportClients(ctx, org.ID, len(clients), next, progress); err != nil {
			t.Fatal(err)
		}
		if checked != 3 {
			t.Fatalf("checked %d times, want 3", checked)
		}
		assertCount(t, st, org, 350)
		assertFilterCount(t, st, org, roster.ClientFilter{Gender: "female"}, 175)
		page, err := st.ClientPage(ctx, org.ID, roster.ClientQuery{Search: "c349@"}, 0, 10)
		if err != nil || page.Count != 1 || len(page.Clients) != 1 || page.Clients[0].UID != clients[349].UID {
			t.Errorf("search for the last row: %+v (%v)", page, err)
		}
		if uid, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{ExternalID: "x-0"}, false); err != nil || uid != clients[0].UID {
			t.Errorf("the first row by its external id: %q, %v", uid, err)
		}
		assertNoLeftovers(t, st)
	})
}

// A failure late in a large import leaves nothing of it: no row, no
// counter moved, no audit entry, nothing staged.
func TestImportFailingLateLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		clients := importable(org, 1000, nil)
		broken := errors.New("the spool broke")
		i := 0
		err := st.ImportClients(ctx, org.ID, len(clients), func() (*roster.Client, error) {
			if i == 950 {
				return nil, broken
			}
			i++
			return clients[i-1], nil
		}, nil)
		if !errors.Is(err, broken) {
			t.Fatalf("err %v, want the spool's", err)
		}
		assertCount(t, st, org, 0)
		assertFilterCount(t, st, org, roster.ClientFilter{Activities: []string{"Running"}}, 0)
		assertNoLeftovers(t, st)
		entries, err := st.AuditLog(ctx, org.ID, roster.AuditFilter{Action: "client.import", Limit: 10})
		if err != nil || len(entries) != 0 {
			t.Errorf("audit entries of the failed import: %d (%v), want none", len(entries), err)
		}
		// Its emails are free again.
		if err := st.CreateClient(ctx, org.ID, newClient(org, clients[0].Email)); err != nil {
			t.Errorf("create with a failed import's email: %v", err)
		}
	})
}

// Creates go on while an import is written. One of an email the import has
// already staged loses with the email's error and the import goes on; one
// of an email it has not yet written wins, and the import fails whole.
func TestImportRacesCreates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		clients := importable(org, 350, nil)
		var staged, fresh error
		next := hooked(clients, func(i int) {
			if i == 200 {
				staged = st.CreateClient(ctx, org.ID, newClient(org, strings.ToUpper(clients[10].Email)))
				fresh = st.CreateClient(ctx, org.ID, newClient(org, "fresh@example.com"))
			}
		})
		if err := st.ImportClients(ctx, org.ID, len(clients), next, nil); err != nil {
			t.Fatal(err)
		}
		if roster.KindOf(staged) != roster.KindInvalid || staged.Error() != "email: a client with this email already exists" {
			t.Errorf("create of a staged email: err %v, want the email's", staged)
		}
		if fresh != nil {
			t.Errorf("create beside the import: %v", fresh)
		}
		assertCount(t, st, org, 351)
		assertFilterCount(t, st, org, roster.ClientFilter{AdminUID: org.OwnerUID}, 351)

		other := storetest.NewOrg(t, st, "Enterprise")
		clients = importable(other, 350, nil)
		var first error
		next = hooked(clients, func(i int) {
			if i == 200 {
				first = st.CreateClient(ctx, other.ID, newClient(other, clients[300].Email))
			}
		})
		err := st.ImportClients(ctx, other.ID, len(clients), next, nil)
		if first != nil {
			t.Fatalf("create ahead of the import: %v", first)
		}
		if roster.KindOf(err) != roster.KindInvalid || !strings.HasPrefix(err.Error(),
			"email: a client with this email already exists: one was created while the import ran, so nothing was imported") {
			t.Fatalf("import err %v, want the email's clash", err)
		}
		assertCount(t, st, other, 1)
		assertFilterCount(t, st, other, roster.ClientFilter{Gender: "female"}, 0)
		assertNoLeftovers(t, st)
	})
}

// The plan's limit is applied once, at publication: creates that filled
// the room while the import was written make it fail whole.
func TestImportPlanLimitAtPublication(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Free")
		clients := importable(org, 20, nil)
		next := hooked(clients, func(i int) {
			if i == 10 {
				for k := range 6 {
					if err := st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("single%d@example.com", k))); err != nil {
						t.Errorf("create %d: %v", k, err)
					}
				}
			}
		})
		err := st.ImportClients(ctx, org.ID, len(clients), next, nil)
		if roster.KindOf(err) != roster.KindLimit || err.Error() !=
			"client limit of 25 for the Free plan: the organization has 6 clients, and 20 more would exceed it" {
			t.Fatalf("err %v, want the plan's limit", err)
		}
		assertCount(t, st, org, 6)
		assertNoLeftovers(t, st)
		if err := st.ImportClients(ctx, org.ID, 19, from(clients), nil); err != nil {
			t.Fatal(err)
		}
		assertCount(t, st, org, 25)
		assertNoLeftovers(t, st)
	})
}

// An import whose process died leaves hidden rows, which hold their emails
// until SweepImports removes them: once it has stalled for long enough, or
// at once when every unpublished import is known dead. An import swept
// while it lives fails, and writes no more.
func TestSweepImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clock := clocktest.NewClock()
		st.SetClock(clock.Now)
		org := storetest.NewOrg(t, st, "Enterprise")
		died := func(clients []*roster.Client) {
			defer func() { recover() }()
			st.ImportClients(ctx, org.ID, len(clients), hooked(clients, func(i int) {
				if i == 250 {
					panic("the process dies")
				}
			}), nil)
		}
		clients := importable(org, 300, nil)
		died(clients)
		if imports, rows, _ := st.ImportLeftovers(ctx); imports != 1 || rows != 200 {
			t.Fatalf("a dead import left %d imports, %d rows; want 1, 200", imports, rows)
		}
		if err := st.CreateClient(ctx, org.ID, newClient(org, clients[0].Email)); err == nil {
			t.Fatal("a staged email was taken while its import lives")
		}
		clock.Advance(4 * time.Minute)
		if err := st.SweepImports(ctx, false); err != nil {
			t.Fatal(err)
		}
		if imports, _, _ := st.ImportLeftovers(ctx); imports != 1 {
			t.Fatalf("an import renewed 4 minutes ago was swept")
		}
		clock.Advance(2 * time.Minute)
		if err := st.SweepImports(ctx, false); err != nil {
			t.Fatal(err)
		}
		assertNoLeftovers(t, st)
		if err := st.CreateClient(ctx, org.ID, newClient(org, clients[0].Email)); err != nil {
			t.Errorf("create with a swept import's email: %v", err)
		}

		died(importable(org, 300, func(i int, c *roster.Client) { c.Email = fmt.Sprintf("d%d@example.com", i) }))
		if err := st.SweepImports(ctx, true); err != nil {
			t.Fatal(err)
		}
		assertNoLeftovers(t, st)

		live := importable(org, 350, func(i int, c *roster.Client) { c.Email = fmt.Sprintf("l%d@example.com", i) })
		err := st.ImportClients(ctx, org.ID, len(live), hooked(live, func(i int) {
			if i == 200 {
				if err := st.SweepImports(ctx, true); err != nil {
					t.Error(err)
				}
			}
		}), nil)
		if err == nil || err.Error() != "store: the import stalled for too long and was abandoned; nothing was imported" {
			t.Errorf("a swept import: err %v", err)
		}
		assertNoLeftovers(t, st)
		assertCount(t, st, org, 1)
	})
}
