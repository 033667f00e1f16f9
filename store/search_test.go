package store_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// searchPeople are display names and emails in every case, with accents,
// compatibility forms, LIKE's wildcards and escape, FTS5's quote, scripts
// without spaces, and names shorter than a trigram.
var searchPeople = [][2]string{
	{"Kate Bush", "kate@example.com"}, {"KATE MOSS", "Moss.K@Example.com"}, {"Zoë Kravitz", "zoe@bücher.example"},
	{"Zoe Saldana", "ZS@example.org"}, {"Straße Müller", "strasse@example.com"}, {"100% pure", "pure_1@example.com"},
	{"snake_case", "snake@example.com"}, {`back\slash`, "b@example.com"}, {`say "hi"`, "hi@example.com"},
	{"ÉMILE Zola", "emile@example.fr"}, {"王小明", "wang@example.cn"}, {"李", "li@example.cn"}, {"ﬁfi", "fifi@example.com"},
	{"Ab", "ab@x.io"}, {"a", "a@x.io"}, {"Oﬃce Mgr", "office@example.com"}, {"Kate Bush", "kate.bush@example.net"},
	// The trigrams of "olga rossi" and "anaana" apart, which the index finds
	// and the search must not.
	{"Olga Rossi", "o.r@example.com"}, {"Olga Rita Rossi", "olga.r@example.com"}, {"Ana Naan", "anaana.x@example.com"},
	{"Nana Anaïs", "nana@example.com"},
}

// searchQueries are matched against the same people in Go: case and
// accents as NewSearchKey folds them, wildcards that must match themselves,
// and keys of one, two and three characters or more.
var searchQueries = []string{
	"kate", "KATE", "ate b", "zoë", "ZOË", "zoe", "zo", "ë", "straße", "STRASSE", "müller", "%", "100%", "0% p", "_",
	"e_c", `\`, `k\s`, `"hi"`, `"`, "émile", "EMILE", "王", "小明", "王小明", "ﬁ", "fif", "ﬃ", "OFFI", "@bücher", "@xn--bcher",
	"bücher", "example", "a", "ab", "e", "com", "twin", "no such client", "%%%", "___", "@example.com",
	"olga rossi", "olga r", "anaana", "ana na",
}

// searchFixture stores searchPeople in org, every third deactivated, and
// again in other, and returns org's clients as stored.
func searchFixture(t *testing.T, st *store.Store, org, other storetest.Org) []roster.Client {
	t.Helper()
	ctx := context.Background()
	var all []roster.Client
	for i, p := range searchPeople {
		for _, o := range []storetest.Org{org, other} {
			c := newClient(o, p[1], func(c *roster.Client) { c.DisplayName = p[0] })
			if err := st.CreateClient(ctx, o.ID, c); err != nil {
				t.Fatal(err)
			}
			if o != org {
				continue
			}
			if i%3 == 2 {
				if err := deactivate(st, org.ID, c.UID); err != nil {
					t.Fatal(err)
				}
			}
			stored, err := st.Client(ctx, org.ID, c.UID)
			if err != nil {
				t.Fatal(err)
			}
			stored.Note = nil
			all = append(all, stored)
		}
	}
	return all
}

// searched returns the uids of the clients among all that search matches,
// worked out in Go (roster.SearchMatches), in q's order (which must not be
// by name or email: Listed compares them lower-cased, not by their keys).
func searched(all []roster.Client, q roster.ClientQuery) []string {
	var matching []roster.Client
	for _, c := range all {
		if roster.SearchMatches(q.Search, c.DisplayName, c.Email) {
			matching = append(matching, c)
		}
	}
	return storetest.Listed(matching, roster.ClientQuery{Deactivated: q.Deactivated, OrderBy: q.OrderBy, Ascending: q.Ascending})
}

// TestSearchMatchesAsBefore checks that q's pages, counts and streams hold
// exactly the clients whose keys contain the search's, through the index
// and walking the list alike, and never another organization's.
func TestSearchMatchesAsBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		store.SetListChunkForTest(t, 2)
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		all := searchFixture(t, st, org, other)
		for _, most := range []int64{4000, 0} {
			store.SetSearchIndexedMostForTest(t, most)
			for _, search := range searchQueries {
				for _, q := range []roster.ClientQuery{
					{Search: search}, {Search: search, Deactivated: true},
					{Search: search, OrderBy: roster.OrderSessionsCount, Ascending: true},
					{Search: search, OrderBy: roster.OrderLastSession},
				} {
					want := searched(all, q)
					name := fmt.Sprintf("indexed up to %d, %+v", most, q)
					if got := paged(t, st, org.ID, q, 3, len(want)); !slices.Equal(got, want) {
						t.Errorf("%s paged:\n got %v\nwant %v", name, got, want)
					}
					if got := streamed(t, st, org.ID, q); !slices.Equal(got, want) {
						t.Errorf("%s streamed:\n got %v\nwant %v", name, got, want)
					}
				}
			}
		}
		// The search combines with the email filter.
		q := roster.ClientQuery{Search: "kate", Email: "KATE@example.com"}
		if got, want := paged(t, st, org.ID, q, 3, 1), []string{all[0].UID}; !slices.Equal(got, want) {
			t.Errorf("%+v: got %v, want %v", q, got, want)
		}
	})
}

// TestSearchFollowsWrites checks that the index follows every way a
// client's keys change: create, update, delete, import, deactivation, and
// the migration that recomputes keys.
func TestSearchFollowsWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		count := func(search string, deactivated bool, want int64) {
			t.Helper()
			q := roster.ClientQuery{Search: search, Deactivated: deactivated}
			page, err := st.ClientPage(ctx, org.ID, q, 0, 50)
			if err != nil {
				t.Fatal(err)
			}
			if page.Count != want || int64(len(page.Clients)) != want {
				t.Errorf("%+v: count %d with %d clients, want %d", q, page.Count, len(page.Clients), want)
			}
			for _, c := range page.Clients {
				if !roster.SearchMatches(search, c.DisplayName, c.Email) {
					t.Errorf("%+v listed %q <%s>", q, c.DisplayName, c.Email)
				}
			}
		}
		c := newClient(org, "quokka@example.com", func(c *roster.Client) { c.DisplayName = "Quinn Quokka" })
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		for _, o := range []storetest.Org{other, other} {
			twin := newClient(o, roster.NewSecret(6)+"wombat@example.com", func(c *roster.Client) { c.DisplayName = "Wombat" })
			if err := st.CreateClient(ctx, o.ID, twin); err != nil {
				t.Fatal(err)
			}
		}
		count("quokka", false, 1)
		count("wombat", false, 0) // another organization's

		u := roster.ClientUpdate{Set: roster.FieldsOf(roster.FieldDisplayName, roster.FieldEmail),
			ClientFields: roster.ClientFields{DisplayName: "Walter Wombat", Email: "walter@example.com"}}
		if _, err := st.UpdateClient(ctx, org.ID, c.UID, u); err != nil {
			t.Fatal(err)
		}
		count("quokka", false, 0)
		count("walter wombat", false, 1)
		count("walter@", false, 1)

		imported := importable(org, 12, func(i int, c *roster.Client) { c.DisplayName = fmt.Sprintf("Imported Wombat %d", i) })
		if err := st.ImportClients(ctx, org.ID, len(imported), from(imported), nil); err != nil {
			t.Fatal(err)
		}
		count("wombat", false, 13)
		if err := deactivate(st, org.ID, imported[0].UID); err != nil {
			t.Fatal(err)
		}
		count("wombat", false, 12)
		count("wombat", true, 1)
		if _, err := st.DeleteClient(ctx, org.ID, c.UID); err != nil {
			t.Fatal(err)
		}
		count("walter", false, 0)
		count("wombat", false, 11)

		// A row written as before migration 6, keyed by strings.ToLower,
		// is found by its new key once the migration recomputes it.
		o := oldRows{t: t, db: st.DBForTest()}
		o.client(org, "gross@example.com", "Großmann Numbat", 1)
		count("grossmann", false, 0)
		if err := st.RekeyEmailsForTest(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		count("grossmann", false, 1)

		if st.Engine() == "sqlite" {
			// FTS5 compares its index with the clients' keys.
			if _, err := st.DBForTest().Exec(`INSERT INTO client_search (client_search, rank) VALUES ('integrity-check', 1)`); err != nil {
				t.Errorf("the search index is out of step with clients: %v", err)
			}
		}
	})
}

// TestSearchUsesIndex checks that SQLite counts a search of three
// characters or more through the FTS5 table, reaching the clients by
// rowid, and walks the organization's clients for a shorter one.
func TestSearchUsesIndex(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	org := storetest.NewOrg(t, st, "Pro")
	for search, indexed := range map[string]bool{"kate": true, "ab": false, "ﬃ": true, "ﬁ": false, "ß": false} {
		plan, err := st.SearchCountPlanForTest(context.Background(), org.ID, roster.ClientQuery{Search: search})
		if err != nil {
			t.Fatal(err)
		}
		viaIndex := strings.Contains(plan, "SCAN client_search VIRTUAL TABLE") &&
			strings.Contains(plan, "USING INTEGER PRIMARY KEY") && !strings.Contains(plan, "USING INDEX")
		if viaIndex != indexed {
			t.Errorf("q=%q: through the index %v, want %v; plan:\n%s", search, viaIndex, indexed, plan)
		}
	}
}

// TestNewestWalksIndex checks that SQLite reads an organization's newest
// clients, for a search's dense count, along an index in uid order, not by
// sorting them all, and on that index alone (migration 32): a client that
// does not match is never looked up in the table.
func TestNewestWalksIndex(t *testing.T) {
	st := storetest.Open(t, "sqlite")
	org := storetest.NewOrg(t, st, "Pro")
	plan, err := st.NewestPlanForTest(context.Background(), org.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(plan, "USING COVERING INDEX clients_org_deactivated") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("plan:\n%s", plan)
	}
}

// TestSearchCountStops checks that a search's count stops past
// SearchCountMost and says so, and that every page, past the count too,
// still lists exactly the search's matches in order, paged by offset and
// by keyset. The list is shorter than the sample of the newest clients, so
// these are counted among them (the other ways: the tests below).
func TestSearchCountStops(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		const n, most = 40, 5
		store.SetSearchCountMostForTest(t, most)
		var all []roster.Client
		for i := range n {
			for _, o := range []storetest.Org{org, other} {
				c := newClient(o, fmt.Sprintf("bulk%d@example.com", i), func(c *roster.Client) {
					c.DisplayName = fmt.Sprintf("Bulk %d", i)
				})
				if err := st.CreateClient(ctx, o.ID, c); err != nil {
					t.Fatal(err)
				}
				if o == org {
					all = append(all, *c)
				}
			}
		}
		for _, tt := range []struct {
			search string
			want   int
		}{{"bulk", n}, {"bulk1", 11}, {"bulk 3", 11}, {"bulk3@", 1}, {"bulk 1", 11}, {"bulk1@", 1}, {"bulk 39", 1}} {
			q := roster.ClientQuery{Search: tt.search}
			want := searched(all, q)
			if len(want) != tt.want {
				t.Fatalf("q=%q: the fixture has %d matches, want %d", tt.search, len(want), tt.want)
			}
			if got := pagedOneByOne(t, st, org.ID, q, want, most); !slices.Equal(got, want) {
				t.Errorf("q=%q paged one by one:\n got %v\nwant %v", tt.search, got, want)
			}
			kp, err := st.ClientKeysetPage(ctx, org.ID, q, roster.Page{Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if kp.Count != int64(min(len(want), most)) || kp.CountCapped != (len(want) > most) ||
				!slices.Equal(uidsOf(kp.Clients), want[:min(3, len(want))]) {
				t.Errorf("q=%q keyset page: count %d, capped %v, %v; want %d, %v, %v", tt.search,
					kp.Count, kp.CountCapped, uidsOf(kp.Clients), min(len(want), most), len(want) > most, want[:min(3, len(want))])
			}
		}
	})
}

func uidsOf(clients []roster.Client) []string {
	uids := make([]string, len(clients))
	for i, c := range clients {
		uids[i] = c.UID
	}
	return uids
}

// TestSearchCountWalksDenseMatches checks the counts of searches whose
// matches are dense among the newest clients, which walking counts: when
// the walk finds enough of them, when it reads the whole list, and when the
// matches are a cluster among the newest only, where the index counts them
// instead.
func TestSearchCountWalksDenseMatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Pro")
		const n, most = 700, 20
		store.SetSearchCountMostForTest(t, most)
		// Oldest first: the 4 oldest and the 12 newest are teammates, and
		// every third of the others a runner.
		all := importNamed(t, st, org, n, func(i int) string {
			switch {
			case i < 4 || i >= n-12:
				return fmt.Sprintf("Teammate %d", i)
			case i%3 == 0:
				return fmt.Sprintf("Runner %d", i)
			}
			return fmt.Sprintf("Client %d", i)
		})
		for i := range 3 { // hits of the index in another organization
			c := newClient(other, fmt.Sprintf("t%d@example.com", i), func(c *roster.Client) { c.DisplayName = "Teammate" })
			if err := st.CreateClient(ctx, other.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		for _, search := range []string{"teammate", "runner", "client", "runner 12", "runner 69"} {
			q := roster.ClientQuery{Search: search}
			want := searched(all, q)
			if got := pagedOneByOne(t, st, org.ID, q, want, most); !slices.Equal(got, want) {
				t.Errorf("q=%q paged one by one:\n got %v\nwant %v", search, got, want)
			}
		}
	})
}

// TestSearchStoppedCountReadsOldCluster checks the page of a search whose
// count stops and whose matches are a cluster among the oldest clients,
// one among the newest: it lists them in order, and reads them through the
// index rather than walking every newer client (on SQLite while the index
// finds at most searchIndexedMost).
func TestSearchStoppedCountReadsOldCluster(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		const n, cluster, most = 700, 30, 20
		store.SetSearchCountMostForTest(t, most)
		// The newest client matches too: one match among the newest does
		// not make them spread.
		all := importNamed(t, st, org, n, func(i int) string {
			if i < cluster || i == n-1 {
				return fmt.Sprintf("Veteran %d", i)
			}
			return fmt.Sprintf("Client %d", i)
		})
		q := roster.ClientQuery{Search: "veteran"}
		want := searched(all, q)
		for _, indexedMost := range []int64{4000, 0} {
			store.SetSearchIndexedMostForTest(t, indexedMost)
			if got := pagedOneByOne(t, st, org.ID, q, want, most); !slices.Equal(got, want) {
				t.Errorf("indexed up to %d, paged one by one:\n got %v\nwant %v", indexedMost, got, want)
			}
			queries := st.SearchQueriesForTest(ctx, org.ID, q, 1)
			viaIndex := strings.Contains(queries[1].SQL, "client_search") || strings.Contains(queries[1].SQL, "OFFSET 0")
			if wantIndex := indexedMost > 0 || st.Engine() == "postgres"; viaIndex != wantIndex {
				t.Errorf("indexed up to %d: the first page through the index %v, want %v:\n%s", indexedMost, viaIndex,
					wantIndex, queries[1].SQL)
			}
		}
	})
}

// TestSearchStoppedPageWalksNewest checks the page of a search whose count
// stops, read among the organization's newest 5 × (most + 1) clients
// (newestPage): full and in order when they hold the page's matches, never
// with another organization's newer clients, not full when they do not;
// and that ClientPage then reads it another way, for matches all among
// the oldest clients.
func TestSearchStoppedPageWalksNewest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Pro")
		// A page of 3 is near the start: 16 × 3 < most.
		const n, cluster, most = 700, 60, 50
		const newest = 5 * (most + 1)
		store.SetSearchCountMostForTest(t, most)
		// Oldest first: every seventh a runner; the 60 oldest and the newest
		// veterans; the 60 oldest pioneers too.
		all := importNamed(t, st, org, n, func(i int) string {
			switch {
			case i < cluster:
				return fmt.Sprintf("Veteran Pioneer %d", i)
			case i == n-1:
				return fmt.Sprintf("Veteran %d", i)
			case i%7 == 0:
				return fmt.Sprintf("Runner %d", i)
			}
			return fmt.Sprintf("Client %d", i)
		})
		for i := range 5 { // newer than all of org's
			c := newClient(other, fmt.Sprintf("r%d@example.com", i), func(c *roster.Client) { c.DisplayName = "Runner" })
			if err := st.CreateClient(ctx, other.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		runners := searched(all, roster.ClientQuery{Search: "runner"})
		among := len(searched(all[n-newest:], roster.ClientQuery{Search: "runner"}))
		for offset := range runners {
			got, full, err := st.NewestPageForTest(ctx, org.ID, roster.ClientQuery{Search: "runner"}, offset, 3)
			if err != nil {
				t.Fatal(err)
			}
			want := runners[offset:min(offset+3, len(runners))]
			if wantFull := offset+3 <= among; full != wantFull || full && !slices.Equal(got, want) {
				t.Fatalf("runners at %d: got %v (full %v), want %v (full %v)", offset, got, full, want, wantFull)
			}
		}
		veterans := searched(all, roster.ClientQuery{Search: "veteran"})
		got, full, err := st.NewestPageForTest(ctx, org.ID, roster.ClientQuery{Search: "veteran"}, 0, 1)
		if err != nil || !full || !slices.Equal(got, veterans[:1]) {
			t.Errorf("the newest veteran: got %v (full %v, %v), want %v", got, full, err, veterans[:1])
		}
		if got, full, err := st.NewestPageForTest(ctx, org.ID, roster.ClientQuery{Search: "veteran"}, 1, 1); err != nil || full {
			t.Errorf("the second veteran, among the oldest: got %v (full %v, %v), want no full page", got, full, err)
		}
		if st.Engine() == "sqlite" {
			// Along the index down to a uid, in its order, not sorted.
			plan, err := st.NewestPagePlanForTest(ctx, org.ID, roster.ClientQuery{Search: "veteran"})
			if err != nil {
				t.Fatal(err)
			}
			if first, _, _ := strings.Cut(plan, "\n"); !strings.Contains(first, "clients_org_deactivated (org_id=? AND deactivated_at=? AND uid>?)") ||
				strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("the page does not walk the newest clients down to a uid:\n%s", plan)
			}
		}
		// Pioneers are all among the oldest, and one veteran is among the
		// newest: their first pages are read after newestPage found none or
		// one of their three clients.
		for search, want := range map[string][]string{"runner": runners, "veteran": veterans,
			"pioneer": searched(all, roster.ClientQuery{Search: "pioneer"})} {
			if got := pagedOneByOne(t, st, org.ID, roster.ClientQuery{Search: search}, want, most); !slices.Equal(got, want) {
				t.Errorf("q=%q paged one by one:\n got %v\nwant %v", search, got, want)
			}
			page, err := st.ClientPage(ctx, org.ID, roster.ClientQuery{Search: search}, 0, 3)
			if err != nil || !slices.Equal(uidsOf(page.Clients), want[:3]) {
				t.Errorf("q=%q first page of 3: got %v (%v), want %v", search, uidsOf(page.Clients), err, want[:3])
			}
		}
		if _, full, err := st.NewestPageForTest(ctx, org.ID, roster.ClientQuery{Search: "pioneer"}, 0, 3); err != nil || full {
			t.Errorf("pioneers among the newest: full %v (%v), want not full", full, err)
		}
	})
}

// importNamed imports n clients into org, oldest first, the i-th named
// name(i), and returns them.
func importNamed(t *testing.T, st *store.Store, org storetest.Org, n int, name func(i int) string) []roster.Client {
	t.Helper()
	var all []roster.Client
	next := func() (*roster.Client, error) {
		i := len(all)
		c := newClient(org, fmt.Sprintf("c%d@example.com", i), func(c *roster.Client) { c.DisplayName = name(i) })
		all = append(all, *c)
		return c, nil
	}
	if err := st.ImportClients(context.Background(), org.ID, n, next, nil); err != nil {
		t.Fatal(err)
	}
	return all
}

// pagedOneByOne pages q's matches one client a page, checking each page's
// count against want's (capped at most), and returns the uids listed.
func pagedOneByOne(t *testing.T, st *store.Store, org roster.OrgID, q roster.ClientQuery, want []string, most int) []string {
	t.Helper()
	var got []string
	for offset := range want {
		page, err := st.ClientPage(context.Background(), org, q, offset, 1)
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != int64(min(len(want), most)) || page.CountCapped != (len(want) > most) || len(page.Clients) != 1 {
			t.Fatalf("q=%q at %d: count %d, capped %v, %d clients; want %d, capped %v, 1 client", q.Search, offset,
				page.Count, page.CountCapped, len(page.Clients), min(len(want), most), len(want) > most)
		}
		got = append(got, page.Clients[0].UID)
	}
	return got
}
