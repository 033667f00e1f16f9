package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// newLogger returns a logger of JSON lines to w, of level and above.
func newLogger(w io.Writer, level slog.Leveler) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level, ReplaceAttr: inMilliseconds}))
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
