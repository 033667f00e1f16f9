package console_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"roster"
	"roster/auth"
	"roster/store/storetest"
)

// BenchmarkPages times the console's pages over real HTTP for one
// organization of ROSTER_BENCH_CLIENTS clients (default 100,000), on
// SQLite, or on PostgreSQL when ROSTER_TEST_DATABASE_URL is set:
//
//	go test -run '^$' -bench Pages -benchtime 50x ./console/
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
	var uids []string // each client's, in creation order
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
		uids = append(uids, c.UID)
		return &c, nil
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	// One client in a hundred has a session, on one of 100 days from
	// sessionsFrom: ten days hold about a hundred of them.
	sessionsFrom := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if _, err := e.st.UpdateOrganization(context.Background(), big.UID, roster.OrganizationUpdate{SessionNumber: ptr(int64(n))}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(uids); i += 100 {
		s := &roster.AnalysisSession{UID: roster.NewUID(e.clock.Now()), Activity: "Running", Duration: 60,
			Time: sessionsFrom.AddDate(0, 0, i/100%100), CreatedBy: big.OwnerUID, CreatedAt: e.clock.Now()}
		if _, err := e.st.RecordAnalysisSession(context.Background(), big.ID, uids[i], s); err != nil {
			b.Fatal(err)
		}
	}
	last, mid := uids[len(uids)-1], uids[len(uids)/2]
	br := e.browser()
	br.signIn(big)
	for _, page := range []struct{ name, path string }{
		{"list", "/console/clients"},
		{"gender", "/console/clients?gender=female"},
		{"gender and activity", "/console/clients?gender=female&activity=Running"},
		{"created by", "/console/clients?created_by=" + big.OwnerUID},
		{"created by, gender and activity", "/console/clients?created_by=" + big.OwnerUID + "&gender=male&activity=Running"},
		{"ten days of sessions", "/console/clients?from=2026-01-11&to=2026-01-20"},
		{"sessions since a day, with gender", "/console/clients?from=2026-02-01&gender=female"},
		{"search", "/console/clients?q=runner0421"},
		{"search with gender", "/console/clients?q=runner0421&gender=female"},
		{"search with created by and activity", "/console/clients?q=runner0421&created_by=" + big.OwnerUID + "&activity=Running"},
		{"broad search", "/console/clients?q=runner04"}, // 10,000 matches
		{"broad search with created by and activity", "/console/clients?q=runner04&created_by=" + big.OwnerUID + "&activity=Running"},
		{"by name", "/console/clients?sort=display_name:asc"},
		{"by email, descending", "/console/clients?sort=email:desc"},
		{"by last session", "/console/clients?sort=last_session:desc"},
		{"by name, gender and activity", "/console/clients?sort=display_name:desc&gender=male&activity=Running"},
		{"by name, mid-list", "/console/clients?sort=display_name:asc&after=" + mid},
		{"by name, mid-list backwards", "/console/clients?sort=display_name:asc&before=" + mid},
		{"deactivated", "/console/clients?deactivated=true"},
		{"deactivated with gender", "/console/clients?deactivated=true&gender=female"},
		{"client", "/console/clients/" + last},
		{"client with a session", "/console/clients/" + uids[0]},
		{"edit", "/console/clients/" + last + "/edit"},
		{"new client", "/console/clients/new"},
		{"import and export", "/console/import-export"},
		{"staff", "/console/staff"},
		{"organization", "/console/organization"},
		{"API keys", "/console/api-keys"},
		{"audit log", "/console/audit"},
		{"my account", "/console/account"},
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
