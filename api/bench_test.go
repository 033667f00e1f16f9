package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// The benchmarks compare Roster with a bare net/http + driver server on the
// same database in the same run, as PRODUCT.md's targets are ratios. Each
// engine gets ROSTER_BENCH_CLIENTS clients (default 10,000) of the seed's
// shape. Run them with docs/BENCHMARKS.md's command.

type benchEnv struct {
	*env
	bare   *httptest.Server
	uids   []string
	client *http.Client
	// dir and dbURL are the store's, for a benchmark that reads the
	// database directly.
	dir, dbURL string
}

func benchClients() int {
	if n, err := strconv.Atoi(os.Getenv("ROSTER_BENCH_CLIENTS")); err == nil && n > 0 {
		return n
	}
	return 10000
}

// benchEach runs fn on every engine with a populated store. fn measures in
// sub-benchmarks, so that the store is populated once per engine rather
// than once per round of b.N.
func benchEach(b *testing.B, fn func(b *testing.B, e *benchEnv)) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dir, dbURL := b.TempDir(), storetest.DatabaseURL(b, engine)
			st, err := store.Open(context.Background(), dir, dbURL)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			if err := st.Migrate(context.Background(), discardLog); err != nil {
				b.Fatal(err)
			}
			e := &benchEnv{env: newEnv(b, st), dir: dir, dbURL: dbURL}
			e.org = storetest.NewOrg(b, st, "Enterprise")
			e.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			e.uids = populate(b, st, e.org, benchClients())
			e.bare = bareServer(b, dir, dbURL, e.org.ID)
			b.ResetTimer()
			fn(b, e)
		})
	}
}

// populate inserts n clients of the seed's shape through the store's own
// API, from concurrent writers so that SQLite's group commit applies.
func populate(b *testing.B, st *store.Store, org storetest.Org, n int) []string {
	ctx := context.Background()
	uids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				t := time.Now().UTC()
				c := &roster.Client{UID: roster.NewUID(t), CreatedBy: org.OwnerUID, CreatedAt: t, UpdatedAt: t,
					ClientFields: seedShape(i)}
				if err := st.CreateClient(ctx, org.ID, c); err != nil {
					b.Error(err)
					return
				}
				uids[i] = c.UID
			}
		}()
	}
	wg.Wait()
	return uids
}

func seedShape(i int) roster.ClientFields {
	s := func(v string) *string { return &v }
	f := func(v float64) *float64 { return &v }
	age := int64(20 + i%40)
	return roster.ClientFields{
		Email: fmt.Sprintf("user%d@example.com", i), DisplayName: fmt.Sprintf("User %d", i),
		Phone: s("8328889011"), Age: &age, Gender: s([]string{"male", "female"}[i%2]),
		Height: f(174), Weight: f(70), YCOM: f(0.96), LegLength: f(0.91), ShoeSize: f(6),
		Brand: s("Fabletics"), ShoeModel: s("The Everyday Sneaker II"),
		PreferableActivities: []string{roster.Activities[i%4]},
	}
}

// bareServer is the baseline: net/http and the driver, no auth, no
// framework, reading the same table.
func bareServer(b *testing.B, dir, dbURL string, org roster.OrgID) *httptest.Server {
	db := rawDB(b, dir, dbURL)
	// A table just loaded has no planner statistics yet; a running
	// deployment on PostgreSQL has them (autovacuum), so measure that. On
	// SQLite nothing gathers them (Roster runs no ANALYZE, and perf-roster
	// neither): with them, this build of SQLite (STAT4) prepares every
	// statement anew for each new value bound, which was two thirds of a
	// filter page's CPU here, a cost no deployment pays.
	if dbURL != "" {
		if _, err := db.Exec("ANALYZE"); err != nil {
			b.Fatal(err)
		}
	}
	type row struct {
		UID, Email, Name string
		Age              int64
		Height           float64
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"hello":"world"}`))
	})
	mux.HandleFunc("GET /clients/{uid}", func(w http.ResponseWriter, r *http.Request) {
		var c row
		err := db.QueryRowContext(r.Context(), `SELECT uid, email, display_name, age, height FROM clients WHERE org_id = $1 AND uid = $2`,
			org, r.PathValue("uid")).Scan(&c.UID, &c.Email, &c.Name, &c.Age, &c.Height)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		json.NewEncoder(w).Encode(c)
	})
	mux.HandleFunc("GET /page", func(w http.ResponseWriter, r *http.Request) {
		rows, err := db.QueryContext(r.Context(), `SELECT uid, email, display_name, age, height FROM clients
			WHERE org_id = $1 AND uid < $2 ORDER BY uid DESC LIMIT 5`, org, r.URL.Query().Get("after"))
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer rows.Close()
		var out []row
		for rows.Next() {
			var c row
			rows.Scan(&c.UID, &c.Email, &c.Name, &c.Age, &c.Height)
			out = append(out, c)
		}
		json.NewEncoder(w).Encode(out)
	})
	srv := httptest.NewServer(mux)
	b.Cleanup(srv.Close)
	return srv
}

// send makes one request and fails b unless it answers want.
func (e *benchEnv) send(b *testing.B, method, url, key string, body []byte, want int) {
	r, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if key != "" {
		r.Header.Set("API-KEY", key)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	res, err := e.client.Do(r)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != want {
		b.Fatalf("%s %s: %d", method, url, res.StatusCode)
	}
}

// hit issues GETs from parallel clients, url(i) choosing the path.
func (e *benchEnv) hit(b *testing.B, base string, key string, url func(i int) string) {
	var n atomic.Int64
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.send(b, "GET", base+url(int(n.Add(1))), key, nil, 200)
		}
	})
}

func BenchmarkHello(b *testing.B) {
	benchEach(b, func(b *testing.B, e *benchEnv) {
		b.Run("bare", func(b *testing.B) {
			e.hit(b, e.bare.URL, "", func(int) string { return "/hello" })
		})
	})
}

func BenchmarkByID(b *testing.B) {
	benchEach(b, func(b *testing.B, e *benchEnv) {
		b.Run("bare", func(b *testing.B) {
			e.hit(b, e.bare.URL, "", func(i int) string { return "/clients/" + e.uids[i%len(e.uids)] })
		})
		b.Run("roster", func(b *testing.B) {
			e.hit(b, e.srv.URL, e.org.APIKey, func(i int) string { return "/client-management/clients/" + e.uids[i%len(e.uids)] })
		})
	})
}

func BenchmarkPage(b *testing.B) {
	benchEach(b, func(b *testing.B, e *benchEnv) {
		// Cursors spread over the table, never within the last page.
		cursor := func(i int) string { return e.uids[5+i%(len(e.uids)-5)] }
		b.Run("bare-no-count", func(b *testing.B) {
			e.hit(b, e.bare.URL, "", func(i int) string { return "/page?after=" + cursor(i) })
		})
		b.Run("roster-with-count", func(b *testing.B) {
			e.hit(b, e.srv.URL, e.org.APIKey, func(i int) string {
				return "/client-management/clients/filter/?limit=5&start_after_id=" + cursor(i)
			})
		})
		b.Run("roster-filtered-with-count", func(b *testing.B) {
			e.hit(b, e.srv.URL, e.org.APIKey, func(i int) string {
				return "/client-management/clients/filter/?limit=5&activity=Running&start_after_id=" + cursor(i)
			})
		})
		// seedShape's ages run 20 to 59: the range holds an eighth of the
		// clients, and with the activity a fortieth match; the count walks
		// the eighth along the age index. The cursors are in the newer half,
		// so that every page finds its five.
		newer := func(i int) string { return e.uids[len(e.uids)/2+i%(len(e.uids)/2)] }
		b.Run("roster-range-with-count", func(b *testing.B) {
			e.hit(b, e.srv.URL, e.org.APIKey, func(i int) string {
				return "/client-management/clients/filter/?limit=5&age_min=30&age_max=34&start_after_id=" + newer(i)
			})
		})
		b.Run("roster-range-activity-with-count", func(b *testing.B) {
			e.hit(b, e.srv.URL, e.org.APIKey, func(i int) string {
				return "/client-management/clients/filter/?limit=5&age_min=30&age_max=34&activity=Running&start_after_id=" + newer(i)
			})
		})
	})
}

func BenchmarkCreate(b *testing.B) {
	benchEach(b, func(b *testing.B, e *benchEnv) {
		var n atomic.Int64
		b.Run("roster", func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					body, _ := json.Marshal(map[string]any{"email": fmt.Sprintf("new%d@example.com", n.Add(1)),
						"display_name": "New", "age": 30, "gender": "male", "height": 180, "weight": 80,
						"preferable_activities": []string{"Running"}})
					e.send(b, "POST", e.srv.URL+"/client-management/clients/", e.org.APIKey, body, 201)
				}
			})
		})
	})
}

// coachEvery is how sparse a coach's clients are in BenchmarkScopedPage:
// one client in 101, 990 of 100,000, of every gender, age and activity of
// seedShape in its proportions (101 is prime to their cycles).
const coachEvery = 101

// BenchmarkScopedPage compares a filter page with its count for an Admin
// whose scope is assigned with the Owner's, unfiltered, by gender and by a
// range of ages with an activity. The
// scoped pages start after one of the Admin's clients, spread over the
// table as the Owner's cursors are.
func BenchmarkScopedPage(b *testing.B) {
	benchEach(b, func(b *testing.B, e *benchEnv) {
		admin := e.subAdminOf(e.org.APIKey, "coach@example.com")
		expect(b, e.json("PUT", "/admin-management/sub-admins/", map[string]any{"user_uid": admin.UID, "scope": "assigned"}), 200)
		var mine []string
		for i := 0; i < len(e.uids); i += coachEvery {
			if _, err := e.st.SetCoach(context.Background(), e.org.ID, e.uids[i], admin.UID, true); err != nil {
				b.Fatal(err)
			}
			mine = append(mine, e.uids[i])
		}
		slices.Sort(mine)
		// Statistics for PostgreSQL's planner; SQLite is not to be analysed
		// (README: with STAT4 it would prepare every page anew).
		if e.dbURL != "" {
			if _, err := rawDB(b, e.dir, e.dbURL).Exec("ANALYZE"); err != nil {
				b.Fatal(err)
			}
		}
		key := decodeAs[struct {
			APIKey string `json:"api_key"`
		}](b, e.as(admin.Token, "POST", "/auth/api-keys", map[string]string{"name": "bench"}), 201).APIKey
		all := slices.Sorted(slices.Values(e.uids))
		// A page after any cursor but the oldest five; for the narrow
		// range, one in the newer half, which has matches after it (an
		// empty page is a 404).
		cursor := func(uids []string, i int) string { return uids[5+i%(len(uids)-5)] }
		const ranged = "&age_min=30&age_max=34&activity=Running"
		for _, filter := range []string{"", "&gender=male", ranged} {
			cursor := cursor
			if filter == ranged {
				cursor = func(uids []string, i int) string { return uids[len(uids)/2+i%(len(uids)/2)] }
			}
			b.Run("owner-with-count"+filter, func(b *testing.B) {
				e.hit(b, e.srv.URL, e.org.APIKey, func(i int) string {
					return "/client-management/clients/filter/?limit=5" + filter + "&start_after_id=" + cursor(all, i)
				})
			})
			b.Run("scoped-with-count"+filter, func(b *testing.B) {
				e.hit(b, e.srv.URL, key, func(i int) string {
					return "/client-management/clients/filter/?limit=5" + filter + "&start_after_id=" + cursor(mine, i)
				})
			})
		}
	})
}
