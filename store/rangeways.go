package store

import (
	"fmt"
	"strconv"
	"sync"

	"roster"
)

// rangeWays remembers, for each filter with ranges that a page was read
// of lately, its count and the organization's number of clients: by them
// the next page of the filter is read the way they make cheaper (walks),
// in one query that carries the count as every other filter page does,
// rather than counting first and reading the page with a query of its
// own (the round trip cost PostgreSQL more than either query). Each page
// read that way brings its count back. A way chosen by a count that has
// since moved is slower, never wrong: the page is the same either way.
// Each process keeps its own; a full one is emptied.
type rangeWays struct {
	mu   sync.Mutex
	seen map[string]rangeSeen
}

// rangeSeen is what rangeWays remembers of a filter.
type rangeSeen struct{ count, size int64 }

// maxRangeWays bounds the filters rangeWays remembers.
const maxRangeWays = 4096

func newRangeWays() *rangeWays { return &rangeWays{seen: map[string]rangeSeen{}} }

// rangeKey is the key of a filter's pages in rangeWays: its clause,
// counted the same way whatever the cursor, with its arguments, each
// written with its type, strings quoted, so that no two lists of them read
// alike. The common types are written by hand: %#v of them all was a
// twentieth of a range page's CPU in the store.
func rangeKey(w *where) string {
	b := append([]byte(w.String()), 0)
	for _, a := range w.args {
		switch v := a.(type) {
		case roster.OrgID:
			b = strconv.AppendInt(append(b, " org "...), int64(v), 10)
		case int64:
			b = strconv.AppendInt(append(b, " int "...), v, 10)
		case float64:
			b = strconv.AppendFloat(append(b, " float "...), v, 'g', -1, 64)
		case string:
			b = strconv.AppendQuote(append(b, " string "...), v)
		default:
			b = fmt.Appendf(b, " %#v", v)
		}
	}
	return string(b)
}

func (r *rangeWays) get(key string) (rangeSeen, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen, ok := r.seen[key]
	return seen, ok
}

func (r *rangeWays) put(key string, seen rangeSeen) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.seen[key]; !ok && len(r.seen) >= maxRangeWays {
		clear(r.seen)
	}
	r.seen[key] = seen
}
