package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// benchClients is the size of the organization BenchmarkSearch1M searches.
const benchClients = 1_000_000

// BenchmarkSearch1M measures a q page of 10 with its total (ClientPage) in
// one organization of 1,000,000 clients, on each engine, for searches from
// one match to every client. It loads for minutes and uses gigabytes of
// disk, so it runs only with ROSTER_BENCH_1M=1:
//
//	ROSTER_BENCH_1M=1 go test -timeout 60m -run XXX -bench Search1M -benchtime 40x ./store/
//
// It reports p50 and p99 in ms; on PostgreSQL it also prints EXPLAIN
// (ANALYZE, BUFFERS) of each search's count and page.
func BenchmarkSearch1M(b *testing.B) {
	if os.Getenv("ROSTER_BENCH_1M") != "1" {
		b.Skip("set ROSTER_BENCH_1M=1 to load 1,000,000 clients and search them")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			st := storetest.Open(b, engine)
			org := storetest.NewOrg(b, st, "Enterprise")
			start := time.Now()
			loadBenchClients(b, st, org)
			b.Logf("%s: loaded %d clients in %v", engine, benchClients, time.Since(start).Round(time.Second))
			for _, s := range benchSearches {
				b.Run(s.name, func(b *testing.B) {
					q := roster.ClientQuery{Search: s.q}
					if engine == "postgres" {
						explainSearch(b, st, org.ID, q)
					}
					var took []time.Duration
					var count int64
					for b.Loop() {
						t := time.Now()
						page, err := st.ClientPage(context.Background(), org.ID, q, 0, 10)
						took = append(took, time.Since(t))
						if err != nil {
							b.Fatal(err)
						}
						count = page.Count
					}
					slices.Sort(took)
					b.ReportMetric(ms(took[len(took)/2]), "p50-ms")
					b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms")
					b.ReportMetric(float64(count), "matches")
				})
			}
		})
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// benchSearches run from one match to every client.
var benchSearches = []struct{ name, q string }{
	{"one-email", "user123457@"},
	{"surname", "Oyelaran"},           // one surname in 400: 2,500 matches
	{"first-and-surname", "ada oyel"}, // one name in 50 × one surname in 400: 50
	{"nothing", "zzqx"},
	{"every-client", "example"},
	{"two-chars-rare", "qz"},
	{"one-char", "k"},
}

var benchFirst = strings.Fields(`Ada Ben Cleo Dan Eve Finn Gia Hugo Iris Jon Kai Lea Max Nia Omar Pia Quinn Rosa Sam Tia
	Uma Vik Wes Xia Yara Zed Alba Boris Chen Dara Emil Fay Gus Hana Ivo Jade Kofi Lina Milo Nora Otto Pau Ravi Sofi Theo
	Ugo Vera Wim Yuki Zuri`)

// benchSurnames are 400 made-up surnames, one of them Oyelaran.
var benchSurnames = func() []string {
	r := rand.New(rand.NewPCG(1, 2))
	syllables := strings.Fields("ba ko ri sa tu me lo ni va de gu fa po ye la ran shi mo zu he")
	names := []string{"Oyelaran"}
	for len(names) < 400 {
		var sb strings.Builder
		for range 2 + r.IntN(2) {
			sb.WriteString(syllables[r.IntN(len(syllables))])
		}
		name := strings.ToUpper(sb.String()[:1]) + sb.String()[1:]
		if !slices.Contains(names, name) && !strings.Contains(strings.ToLower(name), "ny") {
			names = append(names, name)
		}
	}
	return names
}()

// loadBenchClients writes benchClients clients straight into the table,
// 500 a statement, keys made as the store makes them. The organization's
// counters are left alone: a search counts its matches.
func loadBenchClients(b *testing.B, st *store.Store, org storetest.Org) {
	b.Helper()
	const rows = 500
	db := st.DBForTest()
	var gin []string
	if st.Engine() == "postgres" {
		// GIN indexes build from scratch far faster than they grow row by
		// row: dropped for the load and made again as migration 8 made them.
		gin = dropIndexes(b, db, "clients_search_name", "clients_search_email")
	}
	now := time.Now().UTC()
	uid := roster.NewUIDs(now, benchClients)
	at := now.Format("2006-01-02T15:04:05.000000Z")
	var sb strings.Builder
	args := make([]any, 0, rows*8)
	for i := 0; i < benchClients; i += rows {
		sb.Reset()
		args = args[:0]
		sb.WriteString(`INSERT INTO clients (org_id, uid, created_by, email, email_key, display_name, name_key, created_at, updated_at) VALUES `)
		for j := i; j < i+rows; j++ {
			name := benchFirst[j%len(benchFirst)] + " " + benchSurnames[(j/len(benchFirst))%len(benchSurnames)]
			email := fmt.Sprintf("user%d@example.com", j)
			if j > i {
				sb.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+8)
			var created any = at
			if st.Engine() == "postgres" {
				created = now
			}
			args = append(args, org.ID, uid(j), org.OwnerUID, email, roster.EmailKey(email), name, roster.NameKey(name), created)
		}
		if _, err := db.Exec(sb.String(), args...); err != nil {
			b.Fatal(err)
		}
	}
	if st.Engine() == "postgres" {
		recreateIndexes(b, db, gin)
		if _, err := db.Exec(`VACUUM ANALYZE clients`); err != nil {
			b.Fatal(err)
		}
	}
}

// dropIndexes drops the indexes named and returns their definitions.
func dropIndexes(b *testing.B, db *sql.DB, names ...string) []string {
	var defs []string
	for _, name := range names {
		var def string
		if err := db.QueryRow(`SELECT pg_get_indexdef(to_regclass($1))`, name).Scan(&def); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(`DROP INDEX ` + name); err != nil {
			b.Fatal(err)
		}
		defs = append(defs, def)
	}
	return defs
}

func recreateIndexes(b *testing.B, db *sql.DB, defs []string) {
	for _, def := range defs {
		if _, err := db.Exec(def); err != nil {
			b.Fatal(err)
		}
	}
}

// explainSearch logs PostgreSQL's plans for q's count and page.
func explainSearch(b *testing.B, st *store.Store, org roster.OrgID, q roster.ClientQuery) {
	b.Helper()
	for _, query := range st.SearchQueriesForTest(context.Background(), org, q, 10) {
		rows, err := st.DBForTest().Query(`EXPLAIN (ANALYZE, BUFFERS) `+query.SQL, query.Args...)
		if err != nil {
			b.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				b.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		b.Logf("q=%q %s:\n%s", q.Search, query.What, strings.Join(plan, "\n"))
	}
}
