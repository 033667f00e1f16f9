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
type ndjsonRows struct {
	sc   *bufio.Scanner
	line int
	rows int
}

func newNDJSONRows(body io.Reader) *ndjsonRows {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportRow)
	return &ndjsonRows{sc: sc}
}

func (n *ndjsonRows) next() (int, map[string]any, error) {
	for n.sc.Scan() {
		n.line++
		line := bytes.TrimSpace(n.sc.Bytes())
		if len(line) == 0 {
			continue
		}
		n.rows++
		raw := map[string]any{}
		if err := readJSON(bytes.NewReader(line), raw); err != nil {
			// readJSON speaks of the request body; here it is one line.
			e := roster.NewRowError(n.line, err)
			e.Message = strings.Replace(e.Message, "request body", "the line", 1)
			return n.line, nil, e
		}
		return n.line, raw, nil
	}
	err := n.sc.Err()
	switch {
	case errors.Is(err, bufio.ErrTooLong):
		return 0, nil, roster.Errorf(roster.KindTooLarge, "line %d is longer than %d bytes", n.line+1, maxImportRow)
	case err != nil:
		return 0, nil, err
	case n.rows == 0:
		return 0, nil, invalid("request body is empty: send one JSON object per line")
	}
	return 0, nil, io.EOF
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
