package console_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
)

// chartOf finds the chart of field on a client page: its polyline's
// points, its title and its description.
var chartRE = regexp.MustCompile(`(?s)<svg [^>]*role="img" aria-labelledby="chart-(\w+)-title chart-\w+-desc">\s*` +
	`<title id="chart-\w+-title">([^<]*)</title>\s*<desc id="chart-\w+-desc">([^<]*)</desc>\s*<polyline points="([^"]*)"`)

// TestClientMetricCharts: the client page draws each measure's history
// from the stored entries, oldest to newest left to right, lowest to
// highest bottom to top, and says in words what it shows.
func TestClientMetricCharts(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		c := e.addClient(e.org, "ada@example.com", "Ada")
		none := e.addClient(e.org, "none@example.com", "None")
		t0 := e.clock.Now().Truncate(time.Minute)
		record := func(field string, value float64, at time.Time) {
			t.Helper()
			m := roster.Metric{UID: roster.NewUID(at), Field: field, Value: value, RecordedAt: at, RecordedBy: e.org.OwnerUID}
			if err := e.st.RecordMetric(t.Context(), e.org.ID, c.UID, m); err != nil {
				t.Fatal(err)
			}
		}
		// Recorded out of order: the chart follows recorded_at.
		record("weight", 72, t0)
		record("weight", 70, t0.Add(-48*time.Hour))
		record("weight", 74, t0.Add(-24*time.Hour))
		record("height", 180.5, t0.Add(-time.Hour))

		page := b.get("/console/clients/" + c.UID)
		charts := chartRE.FindAllStringSubmatch(page.body, -1)
		if len(charts) != 2 {
			t.Fatalf("%d charts on the page: %s", len(charts), page.body)
		}
		day := func(d time.Duration) string { return t0.Add(d).UTC().Format("2006-01-02 15:04 UTC") }
		want := [][]string{
			{"height", "Height history", "1 measurement from " + day(-time.Hour) + " to " + day(-time.Hour) +
				": first 180.5, last 180.5, lowest 180.5, highest 180.5.", "120.0,32.0"},
			// 240×64 with a margin of 4: x from 4 to 236 over the two days,
			// y from 60 (70, the lowest) to 4 (74, the highest).
			{"weight", "Weight history", "3 measurements from " + day(-48*time.Hour) + " to " + day(0) +
				": first 70, last 72, lowest 70, highest 74.", "4.0,60.0 120.0,4.0 236.0,32.0"},
		}
		for i, w := range want {
			if got := charts[i][1:]; strings.Join(got, "|") != strings.Join(w, "|") {
				t.Errorf("chart %d:\n got %q\nwant %q", i, got, w)
			}
		}
		if !strings.Contains(page.body, `<circle cx="120.0" cy="4.0" r="2" fill="currentColor"><title>74 on `+day(-24*time.Hour)+`</title></circle>`) {
			t.Errorf("no dot for the weight of the day before: %s", page.body)
		}
		// The current weight is the newest, 72, whatever the order of recording.
		if got := e.storedClient(t, c.UID); got.Weight == nil || *got.Weight != 72 {
			t.Errorf("current weight %v", got.Weight)
		}

		// No history, no charts.
		if body := b.get("/console/clients/" + none.UID).body; strings.Contains(body, "<svg") || strings.Contains(body, "Measures over time") {
			t.Errorf("a client without history shows charts: %s", body)
		}
	})
}
