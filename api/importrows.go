package api

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"roster"
)

// Import bodies: CSV with a header row, or NDJSON, one client object a line.
// A CSV row or an NDJSON line holds one client: maxImportRow leaves room to
// spare and keeps what a row costs in memory small.
const (
	maxImportBody  = 100 << 20
	maxImportRow   = maxBody
	csvContentType = "text/csv"
	ndjsonType     = "application/x-ndjson"
)

// rowReader reads an import body one data row at a time.
type rowReader interface {
	// next returns the next data row's number (from 1) and raw fields. A
	// *roster.RowError is a bad row that reading goes on past; io.EOF ends
	// the rows; any other error ends the import.
	next() (row int, raw map[string]any, err error)
}

// newRowReader reads body by its Content-Type ct, at most maxImportBody
// bytes of it.
func newRowReader(w http.ResponseWriter, body io.ReadCloser, ct string) (rowReader, error) {
	media, params, err := mime.ParseMediaType(ct)
	if err != nil && ct != "" {
		return nil, roster.Errorf(roster.KindUnsupported, "Content-Type %q is not valid", ct)
	}
	if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
		return nil, roster.Errorf(roster.KindUnsupported, "charset %q is not accepted: send UTF-8", cs)
	}
	limited := http.MaxBytesReader(w, body, maxImportBody)
	switch media {
	case csvContentType:
		return newCSVRows(limited)
	case ndjsonType:
		return newNDJSONRows(limited), nil
	}
	return nil, roster.Errorf(roster.KindUnsupported, "Content-Type %q is not accepted here: send %s or %s",
		media, csvContentType, ndjsonType)
}

// csvRows reads CSV: a header row of field names, then one client a row,
// each cell a string as in a form, an empty cell an absent field.
type csvRows struct {
	r     *csv.Reader
	limit *rowLimit
	cols  []string // from roster.ImportColumns; nil while reading the header
	row   int
}

func newCSVRows(body io.Reader) (*csvRows, error) {
	limit := &rowLimit{r: body}
	c := &csvRows{r: csv.NewReader(limit), limit: limit}
	c.r.FieldsPerRecord = -1 // a row of the wrong length is a bad row, not a broken body
	c.r.ReuseRecord = true
	header, err := c.read()
	if errors.Is(err, io.EOF) {
		return nil, invalid("request body is empty: send a CSV header row of field names, then one row per client")
	}
	if err != nil {
		return nil, csvError(err)
	}
	// Spreadsheets save UTF-8 CSV with a byte order mark.
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	if c.cols, err = roster.ImportColumns(header); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *csvRows) next() (int, map[string]any, error) {
	record, err := c.read()
	switch {
	case errors.Is(err, io.EOF) && c.row == 0:
		return 0, nil, invalid("the CSV body has a header row but no data rows")
	case err != nil:
		return 0, nil, csvError(err)
	}
	c.row++
	if len(record) != len(c.cols) {
		return c.row, nil, &roster.RowError{Row: c.row,
			Message: fmt.Sprintf("has %s; the header row has %d", roster.Count(len(record), "cell"), len(c.cols))}
	}
	return c.row, roster.CSVRow(c.cols, record), nil
}

// read reads the next record, refusing one longer than maxImportRow.
func (c *csvRows) read() ([]string, error) {
	c.limit.start = c.r.InputOffset()
	record, err := c.r.Read()
	switch {
	case errors.Is(err, errRowTooLong) && c.cols == nil:
		return nil, roster.Errorf(roster.KindTooLarge, "the CSV header row is longer than %d bytes", maxImportRow)
	case errors.Is(err, errRowTooLong):
		return nil, roster.Errorf(roster.KindTooLarge, "row %d is longer than %d bytes", c.row+1, maxImportRow)
	}
	return record, err
}

var errRowTooLong = errors.New("CSV row too long")

// rowLimit fails a read that would take more than maxImportRow bytes past
// the start of the record being read. encoding/csv holds a whole record in
// memory, however long it is, and reads no further than it needs: this
// caps both what it holds and what it reads of an oversized record.
type rowLimit struct {
	r     io.Reader
	read  int64 // bytes read so far
	start int64 // where the record being read starts (csv.Reader.InputOffset)
}

func (l *rowLimit) Read(p []byte) (int, error) {
	left := l.start + maxImportRow - l.read
	if left <= 0 {
		return 0, errRowTooLong
	}
	n, err := l.r.Read(p[:min(int64(len(p)), left)])
	l.read += int64(n)
	return n, err
}

// csvError explains malformed CSV, past which no row can be trusted; a
// read error (the body limit, a broken connection) stays what it is.
func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return invalid("CSV body is malformed: %v", pe)
	}
	return err
}

// ndjsonRows reads NDJSON: one JSON object a line, as a client is in a
// JSON create. Row numbers are line numbers; blank lines are skipped.
// A line may pass maxImportRow by its history, which an export with
// history=true adds and an import ignores: that value is only checked as
// it streams past, so that every export imports back, however long a
// client's history, while memory holds at most maxImportRow of a line.
type ndjsonRows struct {
	br   *bufio.Reader
	line int
	rows int
}

func newNDJSONRows(body io.Reader) *ndjsonRows {
	return &ndjsonRows{br: bufio.NewReaderSize(body, 64<<10)}
}

func (n *ndjsonRows) next() (int, map[string]any, error) {
	for {
		c, err := n.br.ReadByte()
		switch {
		case errors.Is(err, io.EOF) && n.rows == 0:
			return 0, nil, invalid("request body is empty: send one JSON object per line")
		case err != nil:
			return 0, nil, err
		case c == '\n':
			n.line++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f':
			continue
		}
		if err := n.br.UnreadByte(); err != nil {
			return 0, nil, err
		}
		n.line++
		n.rows++
		return n.row()
	}
}

// row reads the line that starts at the next byte.
func (n *ndjsonRows) row() (int, map[string]any, error) {
	line := &lineReader{br: n.br}
	raw := map[string]any{}
	err := readObject(line, raw, objectLimits{skip: "history", maxHeld: maxImportRow})
	tooLong := errors.Is(err, errObjectTooLong) || errors.Is(err, errSkippedTooLong)
	if line.err == nil && err != nil && !tooLong {
		// What is left of a bad line is passed over, not held.
		_, line.err = io.Copy(io.Discard, line)
	}
	switch {
	case line.err != nil:
		return 0, nil, line.err
	case errors.Is(err, errSkippedTooLong):
		return 0, nil, roster.Errorf(roster.KindTooLarge, "line %d has a value in its history longer than %d bytes", n.line, maxImportRow)
	case tooLong:
		return 0, nil, roster.Errorf(roster.KindTooLarge,
			"line %d is longer than %d bytes, not counting its history (which an import ignores)", n.line, maxImportRow)
	case err != nil:
		// readJSON speaks of the request body; here it is one line.
		e := roster.NewRowError(n.line, err)
		e.Message = strings.Replace(e.Message, "request body", "the line", 1)
		return n.line, nil, e
	}
	return n.line, raw, nil
}

// lineReader reads br up to the end of the line, its '\n' included, and
// keeps the error of br (a broken connection, the body's limit), which
// ends the import rather than the row.
type lineReader struct {
	br   *bufio.Reader
	done bool
	err  error
}

func (l *lineReader) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	buf, err := l.br.Peek(max(1, min(len(p), l.br.Buffered())))
	if len(buf) == 0 {
		if !errors.Is(err, io.EOF) {
			l.err = err
		}
		return 0, err
	}
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf, l.done = buf[:i+1], true
	}
	k := copy(p, buf)
	l.br.Discard(k) // bytes Peek returned: it cannot fail
	return k, nil
}

// spool keeps an import's valid rows on disk, as JSON lines, between
// validating them and inserting them, so that memory holds neither the
// body nor the parsed clients, however many there are.
type spool struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
	n   int
}

// spoolPattern names spool files in the temporary directory.
const spoolPattern = "roster-import-*.ndjson"

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", spoolPattern)
	if err != nil {
		return nil, err
	}
	// The rows hold clients' emails: unlinked at once, the file goes with
	// the process however it ends (see RemoveImportLeftovers for older ones).
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	return &spool{f: f, w: w, enc: json.NewEncoder(w)}, nil
}

func (s *spool) add(f *roster.ClientFields) error {
	s.n++
	return s.enc.Encode(f)
}

// rows rewinds the spool and returns a reader of its rows, in order.
func (s *spool) rows() (func() (roster.ClientFields, error), error) {
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(s.f)
	return func() (f roster.ClientFields, err error) {
		err = dec.Decode(&f)
		return f, err
	}, nil
}

// remove closes the spool: its file, unlinked since newSpool, goes with it.
func (s *spool) remove() {
	s.f.Close()
}
