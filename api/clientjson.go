package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"roster"
	"roster/photo"
)

// clientJSON is a client as the seeds show it: user_uid, the fields of
// roster.Fields in its order, then what Roster keeps about the client.
// Numbers the registry marks NumberAsString (age, shoeSize) are strings
// because the seeds' list and details schemas say so; absent values are
// null. It is written by hand from the registry, without reflection, and
// the busiest answers write it straight into their body (writeBody):
// encoding/json would check and copy a Marshaler's output byte by byte,
// which costs more than writing it.
type clientJSON struct {
	c         *roster.Client
	photoURL  string // "" without a photo
	thumbURL  string // its thumbnail's
	withNotes bool   // only in details and on create
}

type noteJSON struct {
	Text      *string `json:"text"`
	UpdatedAt string  `json:"updated_at"`
}

// timeLayout formats times as the seeds do: UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// timeJSON formats a time as the seeds do.
func timeJSON(t time.Time) string { return t.UTC().Format(timeLayout) }

// toJSON converts a client; photoURL turns a blob key into a signed URL.
func toJSON(c *roster.Client, photoURL func(key string) string, withNotes bool) clientJSON {
	j := clientJSON{c: c, withNotes: withNotes}
	if c.ProfilePhoto != "" {
		j.photoURL = photoURL(c.ProfilePhoto)
		j.thumbURL = photoURL(photo.ThumbnailKey(c.ProfilePhoto))
	}
	return j
}

// status is active or deactivated.
func status(c *roster.Client) string {
	if c.DeactivatedAt != nil {
		return "deactivated"
	}
	return "active"
}

// MarshalJSON lets encoding/json write a client within another value.
func (j clientJSON) MarshalJSON() ([]byte, error) { return j.appendJSON(nil), nil }

// appendJSON appends the client as writeJSON writes a value: <, > and &
// as they are.
func (j clientJSON) appendJSON(b []byte) []byte { return append(j.appendFields(b), '}') }

// appendFields appends the client as appendJSON does, but leaves the
// object open for more fields.
func (j clientJSON) appendFields(b []byte) []byte {
	c := j.c
	str := appendJSONString
	b = str(append(b, `{"user_uid":`...), c.UID)
	for i := range roster.Fields {
		spec := &roster.Fields[i]
		b = append(append(append(b, `,"`...), spec.Name...), `":`...)
		b = appendFieldJSON(b, spec, &c.ClientFields)
	}
	b = appendURLJSON(append(b, `,"profile_photo":`...), j.photoURL)
	b = appendURLJSON(append(b, `,"profile_photo_thumbnail":`...), j.thumbURL)
	if j.withNotes {
		b = append(b, `,"notes":`...)
		if c.Note == nil {
			b = append(b, "null"...)
		} else {
			note, _ := marshalJSON(noteJSON{Text: c.Note.Text, UpdatedAt: timeJSON(c.Note.UpdatedAt)})
			b = append(b, note...)
		}
	}
	b = appendTimeJSON(append(b, `,"last_session":`...), c.LastSession)
	b = strconv.AppendInt(append(b, `,"sessions_count":`...), c.SessionsCount, 10)
	b = str(append(b, `,"status":`...), status(c))
	b = appendTimeJSON(append(b, `,"deactivated_at":`...), c.DeactivatedAt)
	b = str(append(b, `,"admin_uid":`...), c.CreatedBy)
	b = appendTimeJSON(append(b, `,"created_at":`...), &c.CreatedAt)
	return appendTimeJSON(append(b, `,"updated_at":`...), &c.UpdatedAt)
}

// appendClients appends a JSON array of the clients, without their notes,
// as writeJSON would write it.
func appendClients(b []byte, clients []roster.Client, photoURL func(key string) string) []byte {
	b = append(b, '[')
	for i := range clients {
		if i > 0 {
			b = append(b, ',')
		}
		b = toJSON(&clients[i], photoURL, false).appendJSON(b)
	}
	return append(b, ']')
}

// bodies recycles the buffers of writeBody, as encoding/json recycles its
// own. A new one holds a filter page of 5 at once: growing it from nothing
// after each garbage collection empties the pool would cost more.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// maxKeptBody is the largest buffer bodies keeps: a page of 50 clients
// fits, a rare larger answer is left to the garbage collector.
const maxKeptBody = 64 << 10

// writeBody writes the JSON that fill appends to a buffer, as writeJSON
// writes a value.
func writeBody(w http.ResponseWriter, status int, fill func(b []byte) []byte) {
	buf := bodies.Get().(*[]byte)
	b := append(fill((*buf)[:0]), '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	// With its length known, a body larger than net/http's buffer goes out
	// as it is, not in chunks.
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
	if cap(b) <= maxKeptBody {
		*buf = b
		bodies.Put(buf)
	}
}

// appendFieldJSON appends the field's value in f as encoding/json would
// write its Go value, but a NumberAsString number as a string.
func appendFieldJSON(b []byte, spec *roster.FieldSpec, f *roster.ClientFields) []byte {
	switch p := spec.Ref(f).(type) {
	case *string:
		return appendJSONString(b, *p)
	case *[]string:
		b = append(b, '[')
		for i, s := range *p {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		return append(b, ']')
	case **string:
		if *p != nil {
			return appendJSONString(b, **p)
		}
	case **float64:
		if *p != nil && !spec.NumberAsString {
			return appendJSONFloat(b, **p)
		}
	case **int64:
		if *p != nil && !spec.NumberAsString {
			return strconv.AppendInt(b, **p, 10)
		}
	}
	if !spec.IsSet(f) {
		return append(b, "null"...)
	}
	// A number shown as a string: its text has nothing to escape.
	return append(spec.AppendText(append(b, '"'), f), '"')
}

// appendURLJSON appends a link, or null for "".
func appendURLJSON(b []byte, url string) []byte {
	if url == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, url)
}

// appendTimeJSON appends a time as the seeds show it, or null.
func appendTimeJSON(b []byte, t *time.Time) []byte {
	if t == nil {
		return append(b, "null"...)
	}
	return append(t.UTC().AppendFormat(append(b, '"'), timeLayout), '"')
}

// appendJSONFloat appends x as encoding/json writes a float64: like %g,
// with the exponent from 1e21 and below 1e-6, and written unpadded.
func appendJSONFloat(b []byte, x float64) []byte {
	format := byte('f')
	if abs := math.Abs(x); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, x, format, -1, 64)
	if n := len(b); format == 'e' && n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
		b[n-2] = b[n-1] // e-07 → e-7
		b = b[:n-1]
	}
	return b
}

// appendJSONString appends s as a JSON string, escaped as an
// encoding/json Encoder escapes it with SetEscapeHTML(false).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf && c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if size > 1 && r != '\u2028' && r != '\u2029' {
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < utf8.RuneSelf: // other control characters, and HTML's
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		case r == utf8.RuneError:
			b = append(b, `\ufffd`...)
		default: // U+2028 and U+2029, which JavaScript does not take in a string
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
