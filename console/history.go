package console

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"roster"
)

// The client page draws a small chart of each measure with history: an
// inline SVG written on the server, without a script or a chart library,
// which says in its title and description what it shows, for those who
// cannot see it.

// chartPoints is how many of a field's newest entries its chart draws.
const chartPoints = 50

// The chart's size in SVG units, and the margin that keeps the line and
// its dots inside.
const (
	chartWidth, chartHeight = 240, 64
	chartMargin             = 4
)

// metricChart is one measure's chart.
type metricChart struct {
	ID     string // of its title, for the SVG's aria-labelledby
	Title  string
	Desc   string
	Points string // the polyline's, oldest first
	Dots   []chartDot
	Width  int
	Height int
}

type chartDot struct {
	X, Y  string
	Title string // the entry's value and time
}

// charts reads the newest entries of cl's history and draws a chart of
// each field that has any, in the registry's order.
func (c *Console) charts(r *http.Request, s *session, cl *roster.Client) ([]metricChart, error) {
	recent, err := c.st.RecentMetrics(r.Context(), s.p.OrgID, cl.UID, chartPoints)
	if err != nil {
		return nil, err
	}
	var out []metricChart
	for _, name := range roster.FieldNames(roster.UseHistory) {
		if entries := recent[name]; len(entries) > 0 {
			out = append(out, chartOf(name, entries))
		}
	}
	return out, nil
}

// chartOf draws entries, oldest first: time runs left to right, the
// lowest value at the bottom and the highest at the top. One point, or
// entries that do not differ in time or value, sit in the middle.
func chartOf(field string, entries []roster.Metric) metricChart {
	first, last := entries[0], entries[len(entries)-1]
	lo, hi := first.Value, first.Value
	for _, m := range entries {
		lo, hi = min(lo, m.Value), max(hi, m.Value)
	}
	span := last.RecordedAt.Sub(first.RecordedAt).Seconds()
	scale := func(v, from, width float64, size int) float64 {
		if width == 0 {
			return float64(size) / 2
		}
		return chartMargin + (v-from)/width*float64(size-2*chartMargin)
	}
	ch := metricChart{ID: "chart-" + field, Title: label(field) + " history", Width: chartWidth, Height: chartHeight}
	points := make([]string, len(entries))
	for i, m := range entries {
		x := scale(m.RecordedAt.Sub(first.RecordedAt).Seconds(), 0, span, chartWidth)
		y := chartHeight - scale(m.Value, lo, hi-lo, chartHeight)
		dot := chartDot{X: coord(x), Y: coord(y), Title: number(m.Value) + " on " + when(&m.RecordedAt)}
		points[i] = dot.X + "," + dot.Y
		ch.Dots = append(ch.Dots, dot)
	}
	ch.Points = strings.Join(points, " ")
	ch.Desc = fmt.Sprintf("%s from %s to %s: first %s, last %s, lowest %s, highest %s.",
		roster.Count(len(entries), "measurement"), when(&first.RecordedAt), when(&last.RecordedAt),
		number(first.Value), number(last.Value), number(lo), number(hi))
	return ch
}

func coord(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func number(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
