package api_test

import (
	"context"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/store/storetest"
)

// BenchmarkKeyRead reads one client by id with an API key, straight
// through the handler in the benchmark's goroutine: no network and no
// client, so that ns/op is what the server spends on a request, and
// cpu-ns/op the CPU time of the whole process per request (on SQLite the
// database's work included; on PostgreSQL the server's is not). It shows
// what authentication costs, with and without its cache.
func BenchmarkKeyRead(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			e := newEnv(b, storetest.Open(b, engine))
			t := e.clock.Now()
			c := &roster.Client{UID: roster.NewUID(t), CreatedBy: e.org.OwnerUID, CreatedAt: t, UpdatedAt: t, ClientFields: seedShape(1)}
			if err := e.st.CreateClient(context.Background(), e.org.ID, c); err != nil {
				b.Fatal(err)
			}
			h := api.New(e.st, e.cfg).Handler()
			r := httptest.NewRequest("GET", "/client-management/clients/"+c.UID, nil)
			r.Header.Set("API-KEY", e.org.APIKey)
			start := cpuTime(b)
			for b.Loop() {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("%d %s", w.Code, w.Body)
				}
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is the CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
