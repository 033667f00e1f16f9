package api

import (
	"io"
	"strconv"
	"sync"
	"time"
)

// accessLog writes a JSON line per request in the shape of the server's
// other log lines (time, level, msg, then the request's attributes, the
// duration in milliseconds), encoded by hand into a recycled buffer.
// Through slog's JSON handler, whose ReplaceAttr turns durations into
// milliseconds, each line cost about 2 µs and five allocations, 5 % of a
// read by id's CPU (pprof under wrk); written here it costs a fifth of
// that and no allocation.
type accessLog struct{ w io.Writer } // w nil: no access log

// accessLines recycles the lines' buffers.
var accessLines = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// write logs one answered request. One Write per line keeps the lines of
// concurrent requests whole.
func (l accessLog) write(at time.Time, id, method, path string, status int, took time.Duration, remote string) {
	if l.w == nil {
		return
	}
	buf := accessLines.Get().(*[]byte)
	b := append((*buf)[:0], `{"time":"`...)
	b = at.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","request_id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, path)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"duration_ms":`...)
	b = appendJSONFloat(b, float64(took.Microseconds())/1000)
	b = append(b, `,"remote":`...)
	b = appendJSONString(b, remote)
	b = append(b, "}\n"...)
	l.w.Write(b)
	if cap(b) <= maxKeptBody {
		*buf = b
		accessLines.Put(buf)
	}
}
