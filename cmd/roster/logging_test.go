package main

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuilder is a strings.Builder that the logger's flusher and the
// test may use at once.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestBufferedLogger: lines below warning wait in the buffer; a warning
// writes them out with itself; closing writes out the rest. The flush
// interval is an hour, so that no tick comes during the test.
func TestBufferedLogger(t *testing.T) {
	var out lockedBuilder
	log, _, closeLog := newBufferedLogger(&out, slog.LevelInfo, time.Hour)
	log.Info("request", "path", "/a")
	if got := out.String(); got != "" {
		t.Fatalf("an info line was written before any flush: %q", got)
	}
	log.With("request_id", "r1").Warn("slow")
	got := out.String()
	if !strings.Contains(got, `"path":"/a"`) || !strings.Contains(got, `"msg":"slow","request_id":"r1"`) {
		t.Fatalf("after a warning, want the info line and the warning written, got %q", got)
	}
	log.Debug("below the level")
	log.Info("last")
	closeLog()
	got = out.String()
	if !strings.Contains(got, `"msg":"last"`) || strings.Contains(got, "below the level") {
		t.Fatalf("after close, want the last info line and no debug line, got %q", got)
	}
	if n := strings.Count(got, "\n"); n != 3 {
		t.Fatalf("want 3 lines, got %d: %q", n, got)
	}
}
