//go:build !race

package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"roster/store/storetest"
)

// createRate is how often TestImportBesideCreates sends a create: on a
// schedule, not after the previous answer, so that creates held back by
// the import queue up and count as a client would see them.
const createRate = 20 * time.Millisecond

// TestImportBesideCreates measures what an import costs the creates sent
// beside it: it sends creates every createRate, first 250 alone, then
// while it imports ROSTER_IMPORT_LOAD rows (100000 for the figures of the
// README), and logs the latencies of both. It is a measurement, run by
// hand, and asserts only what does not depend on the machine: every create
// and the import succeed, and the count is theirs together.
func TestImportBesideCreates(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("ROSTER_IMPORT_LOAD"))
	if n <= 0 {
		t.Skip("set ROSTER_IMPORT_LOAD to the rows of an import to measure")
	}
	each(t, func(t *testing.T, e *env) {
		org := storetest.NewOrg(t, e.st, "Enterprise")
		b := &beside{t: t, url: e.srv.URL + prefixes[0] + "/", key: org.APIKey}
		alone := b.measure(250, func() {})
		var r response
		start := time.Now()
		during := b.measure(-1, func() {
			r = e.importAs(org.APIKey, prefixes[0], "", csvType, bulkCSV("big", n, nil), nil)
		})
		importTook := time.Since(start)
		imported(t, r, n, 0)
		if got, want := e.count(org.APIKey, ""), int64(n+len(alone)+len(during)); got != want {
			t.Errorf("query_count %d, want %d imported and created", got, want)
		}
		t.Logf("%s: %d creates alone: %s", e.st.Engine(), len(alone), percentiles(alone))
		t.Logf("%s: import of %d rows took %v; %d creates beside it: %s", e.st.Engine(), n,
			importTook.Round(time.Millisecond), len(during), percentiles(during))
	})
}

// beside sends creates on a schedule and times them.
type beside struct {
	t        *testing.T
	url, key string
	sent     int
}

// measure sends a create every createRate until limit are sent (limit < 0:
// none) and while fn runs, and returns how long each took.
func (b *beside) measure(limit int, fn func()) []time.Duration {
	var (
		mu     sync.Mutex
		took   []time.Duration
		failed []string
		wg     sync.WaitGroup
	)
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(createRate)
		defer tick.Stop()
		for i := 0; i != limit; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					d, err := b.create(i)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						failed = append(failed, err.Error())
					} else {
						took = append(took, d)
					}
				}(b.sent + i)
			}
		}
	}()
	fn()
	if limit >= 0 {
		<-stopped
	}
	close(stop)
	<-stopped
	wg.Wait()
	b.sent += len(took) + len(failed)
	if len(failed) > 0 {
		b.t.Errorf("%d creates failed: %v", len(failed), failed[:min(len(failed), 5)])
	}
	return took
}

func (b *beside) create(i int) (time.Duration, error) {
	body := fmt.Appendf(nil, `{"email": "beside%d@example.com", "display_name": "Beside %d"}`, i, i)
	hr, _ := http.NewRequest("POST", b.url, bytes.NewReader(body))
	hr.Header.Set("API-KEY", b.key)
	hr.Header.Set("Content-Type", "application/json")
	start := time.Now()
	res, err := http.DefaultClient.Do(hr)
	d := time.Since(start)
	if err != nil {
		return d, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return d, fmt.Errorf("create %d: %s", i, res.Status)
	}
	return d, nil
}

// percentiles describes latencies by their p50, p99 and maximum.
func percentiles(took []time.Duration) string {
	if len(took) == 0 {
		return "none"
	}
	slices.Sort(took)
	at := func(p float64) time.Duration {
		return took[min(len(took)-1, int(p*float64(len(took))))].Round(time.Millisecond)
	}
	return fmt.Sprintf("p50 %v, p99 %v, max %v", at(0.5), at(0.99), at(1))
}
