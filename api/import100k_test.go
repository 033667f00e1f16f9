//go:build !race

package api_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store/storetest"
)

// watchHeap samples the heap until the returned function is called, which
// gives its peak and its size before. The server runs in this process and
// the test streams its bodies, so the peak is the server's.
func watchHeap() func() (peak, before uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.HeapInuse
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		peak := before
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		return <-done, before
	}
}

// TestImport100000Rows imports the most rows an import takes and watches
// the server's heap. It stays out of the race detector's run, which slows
// modernc's SQLite, which is Go, about twentyfold: there it took minutes
// of go test's timeout on a loaded machine, to measure a heap the
// detector inflates. TestImportProgress runs the same code paths, over
// many batches, under the detector.
func TestImport100000Rows(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		org := storetest.NewOrg(t, e.st, "Enterprise")
		n := roster.MaxImportRows
		start, heap := time.Now(), watchHeap()
		r := e.importAs(org.APIKey, prefixes[0], "", csvType, bulkCSV("big", n, nil), nil)
		took := time.Since(start)
		peak, before := heap()
		imported(t, r, n, 0)
		t.Logf("%s: imported %d rows in %v; heap in use %.1f MiB before, %.1f MiB at the peak",
			e.st.Engine(), n, took.Round(time.Millisecond), mib(before), mib(peak))

		// The counters say what creating each row would have made them.
		want := map[string]int{}
		for i := 1; i <= n; i++ {
			row := bulkRow("big", i)
			want["gender="+row[4]]++
			var acts []string
			json.Unmarshal([]byte(row[12]), &acts)
			for _, a := range acts {
				want["activity="+strings.ReplaceAll(a, " ", "+")]++
			}
		}
		want[""], want["admin_uid="+org.OwnerUID] = n, n
		delete(want, "gender=")
		for f, w := range want {
			if got := e.count(org.APIKey, f); got != int64(w) {
				t.Errorf("query_count for %q = %d, want %d", f, got, w)
			}
		}

		// Lists show the rows in the file's order; a stored row reads back.
		r = e.do(req{Method: "GET", Path: prefixes[1] + "/filter/?limit=3", Key: org.APIKey})
		expect(t, r, 200)
		var page struct{ Users []map[string]any }
		r.decode(t, &page)
		for i, u := range page.Users {
			if want := bulkExpected(bulkRow("big", i+1)); !reflect.DeepEqual(fieldData(u), want) {
				t.Errorf("page row %d = %v, want %v", i+1, fieldData(u), want)
			}
		}
		var one map[string]any
		e.do(req{Method: "GET", Path: prefixes[0] + "/" + page.Users[2]["user_uid"].(string), Key: org.APIKey}).decode(t, &one)
		if one["admin_uid"] != org.OwnerUID || !reflect.DeepEqual(fieldData(one), bulkExpected(bulkRow("big", 3))) {
			t.Errorf("row 3 reads back as %v", one)
		}
		exportAll(t, e, org, n)
	})
}

// exportAll streams the NDJSON export of n generated rows, counts its lines
// and compares the first and the last. It reads the body as it comes rather
// than through env.do, which would hold it whole and check all of it
// against the document (the smaller exports are).
func exportAll(t *testing.T, e *env, org storetest.Org, n int) {
	start, heap := time.Now(), watchHeap()
	hr, _ := http.NewRequest("GET", e.srv.URL+prefixes[0]+"/export/", nil)
	hr.Header.Set("API-KEY", org.APIKey)
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != ndjsonType {
		t.Fatalf("export: status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(res.Body)
	lines := 0
	var last []byte
	for sc.Scan() {
		if lines++; lines == 1 || lines == n {
			last = append(last[:0], sc.Bytes()...)
			var obj map[string]any
			if err := json.Unmarshal(last, &obj); err != nil {
				t.Fatalf("export line %d: %v", lines, err)
			}
			if want := bulkExpected(bulkRow("big", lines)); !reflect.DeepEqual(fieldData(obj), want) {
				t.Errorf("export line %d = %v, want %v", lines, fieldData(obj), want)
			}
		}
	}
	peak, before := heap()
	if err := sc.Err(); err != nil || lines != n {
		t.Errorf("export has %d lines (%v), want %d", lines, err, n)
	}
	t.Logf("%s: exported %d rows as NDJSON in %v; heap in use %.1f MiB before, %.1f MiB at the peak",
		e.st.Engine(), lines, time.Since(start).Round(time.Millisecond), mib(before), mib(peak))
}
