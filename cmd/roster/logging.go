package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// newLogger returns a logger of JSON lines to w, of level and above.
func newLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(jsonHandler(w, level))
}

func jsonHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: inMilliseconds})
}

// logFlushEvery is how long a buffered log line may wait to be written.
const logFlushEvery = 100 * time.Millisecond

// newBufferedLogger is newLogger for serve, whose access log has a line
// per request: it gathers lines and writes them out every flushEvery,
// or as soon as a warning or an error comes, rather than making a system
// call for each (a tenth of a read by id's CPU, measured). closeLog
// writes out what is left; a crash loses at most flushEvery of lines
// below warning. access is where the access log's lines go, the same
// buffer, or nil when level leaves out information.
func newBufferedLogger(w io.Writer, level slog.Leveler, flushEvery time.Duration) (log *slog.Logger, access io.Writer, closeLog func()) {
	b := &logBuffer{w: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(flushEvery)
	if level.Level() <= slog.LevelInfo {
		access = b
	}
	return slog.New(flushingHandler{jsonHandler(b, level), b}), access, b.close
}

// logBuffer is a buffered writer that several goroutines share.
type logBuffer struct {
	mu         sync.Mutex
	w          *bufio.Writer
	stop, done chan struct{}
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *logBuffer) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.w.Flush()
}

func (b *logBuffer) flushEvery(d time.Duration) {
	defer close(b.done)
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.flush()
		case <-b.stop:
			b.flush()
			return
		}
	}
}

func (b *logBuffer) close() {
	close(b.stop)
	<-b.done
}

// flushingHandler writes out the buffer after a record of level warning
// or above, so that what goes wrong is seen at once.
type flushingHandler struct {
	slog.Handler
	buf *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.buf.flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{h.Handler.WithAttrs(attrs), h.buf}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{h.Handler.WithGroup(name), h.buf}
}

// inMilliseconds writes a duration as milliseconds, under its key with
// "_ms" added: slog's JSON would be nanoseconds, which nobody reads at a
// glance, under a key that does not say so.
func inMilliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	return slog.Float64(a.Key+"_ms", float64(a.Value.Duration().Microseconds())/1000)
}

// levelValue is the --log-level flag.
type levelValue struct{ level *slog.Level }

func (v levelValue) String() string {
	if v.level == nil {
		return ""
	}
	return strings.ToLower(v.level.String())
}

func (v levelValue) Set(s string) error {
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
		if strings.EqualFold(s, l.String()) {
			*v.level = l
			return nil
		}
	}
	return fmt.Errorf("use debug, info, warn or error")
}
