package console_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"

	"roster"
	"roster/auth"
	"roster/store/storetest"
)

// BenchmarkPages times the console's pages over real HTTP for one
// organization of ROSTER_BENCH_CLIENTS clients (default 100,000), on
// SQLite, or on PostgreSQL when ROSTER_TEST_DATABASE_URL is set:
//
//	go test -run '^$' -bench Pages -benchtime 200x ./console/
//
// The time of a page is its server time plus a loopback round trip.
func BenchmarkPages(b *testing.B) {
	n := 100000
	if v := os.Getenv("ROSTER_BENCH_CLIENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	engine := "sqlite"
	if os.Getenv(storetest.EnvURL) != "" {
		engine = "postgres"
	}
	e := newEnv(b, storetest.Open(b, engine))
	big := storetest.NewOrg(b, e.st, "Enterprise")
	hash, err := auth.HashPassword(password, testPasswordParams)
	if err != nil {
		b.Fatal(err)
	}
	if err := e.st.SetPassword(context.Background(), big.OwnerEmail, hash); err != nil {
		b.Fatal(err)
	}
	i := 0
	var last *roster.Client // each client apart: the store keeps a chunk of them
	err = e.st.ImportClients(context.Background(), big.ID, n, func() (*roster.Client, error) {
		i++
		raw := map[string]any{"email": fmt.Sprintf("runner%06d@example.com", i), "display_name": fmt.Sprintf("Runner %06d", i),
			"gender": []string{"male", "female"}[i%2]}
		if i%3 == 0 {
			raw["preferable_activities"] = []any{"Running"}
		}
		fields, err := roster.NewClientFields(raw)
		if err != nil {
			return nil, err
		}
		c := roster.NewClient(big.OwnerUID, fields, e.clock.Now())
		last = &c
		return last, nil
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	br := e.browser()
	br.signIn(big)
	for _, page := range []struct{ name, path string }{
		{"list", "/console/clients"},
		{"gender", "/console/clients?gender=female"},
		{"gender and activity", "/console/clients?gender=female&activity=Running"},
		{"search", "/console/clients?q=runner0421"},
		{"deactivated", "/console/clients?deactivated=true"},
		{"client", "/console/clients/" + last.UID},
		{"edit", "/console/clients/" + last.UID + "/edit"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				if a := br.get(page.path); a.status != http.StatusOK {
					b.Fatalf("%s: %d", page.path, a.status)
				}
			}
		})
	}
}
