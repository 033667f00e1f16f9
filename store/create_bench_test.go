package store_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"roster"
	"roster/store/storetest"
)

// BenchmarkCreateClient measures one durable create after another, on each
// engine: what every index of clients (the search's trigrams among them)
// adds to a write.
func BenchmarkCreateClient(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			st := storetest.Open(b, engine)
			org := storetest.NewOrg(b, st, "Enterprise")
			i := 0
			for b.Loop() {
				i++
				c := newClient(org, fmt.Sprintf("client%d@example.com", i), func(c *roster.Client) {
					c.DisplayName = fmt.Sprintf("Client Number %d", i)
				})
				if err := st.CreateClient(context.Background(), org.ID, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreateClientParallel measures creates made 32 at a time, as a
// loaded server makes them: they share transactions (see creates), and
// the cost of a batch's statements shows in the CPU profile.
func BenchmarkCreateClientParallel(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			st := storetest.Open(b, engine)
			org := storetest.NewOrg(b, st, "Enterprise")
			var n atomic.Int64
			b.SetParallelism(32 / runtime.GOMAXPROCS(0))
			cpu0 := processCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					c := newClient(org, fmt.Sprintf("client%d@example.com", i), func(c *roster.Client) {
						c.DisplayName = fmt.Sprintf("Client Number %d", i)
					})
					if err := st.CreateClient(context.Background(), org.ID, c); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU is the CPU time the test process has used, user and system:
// the store's share of a create, the database's apart.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSaveNoteParallel measures notes saved 16 at a time, each
// writer on a client of its own: concurrent writes of clients, which on
// PostgreSQL must not commit one at a time (see clientsChanged).
func BenchmarkSaveNoteParallel(b *testing.B) {
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			st := storetest.Open(b, engine)
			org := storetest.NewOrg(b, st, "Enterprise")
			var n atomic.Int64
			b.SetParallelism(16 / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				c := newClient(org, fmt.Sprintf("writer%d@example.com", n.Add(1)))
				if err := st.CreateClient(ctx, org.ID, c); err != nil {
					b.Error(err)
					return
				}
				note := "a note"
				for pb.Next() {
					if err := st.SaveNote(ctx, org.ID, c.UID, &note); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
