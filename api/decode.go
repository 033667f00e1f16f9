package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"roster"
	"roster/photo"
)

// Body limits: JSON and form bodies carry at most a 100 kB note; multipart
// bodies may add one photo.
const (
	maxBody          = 1 << 20
	maxMultipartBody = photo.MaxBytes + maxBody
	maxFormValue     = 64 << 10
)

// maxJSONDepth is how deeply a request's JSON may nest objects and arrays.
// encoding/json accepts 10,000 levels, which Roster would store (in a
// session's metrics) and hand on to consumers whose parsers give up far
// sooner.
const maxJSONDepth = 32

var errTooDeep = roster.Errorf(roster.KindInvalid,
	"request body nests objects and arrays more than %d levels deep", maxJSONDepth)

// input is what a request carried: raw field values (see roster's fields)
// and, from a multipart body, a normalized photo.
type input struct {
	fields map[string]any
	photo  *photo.Upload
}

// readInput reads the fields of a request from its body (JSON, form or
// multipart) and, when withQuery is set, its query string, as the v2 PUT
// does. A field given twice is an error rather than a silent choice.
func readInput(w http.ResponseWriter, r *http.Request, withQuery, withPhoto bool) (input, error) {
	in := input{fields: map[string]any{}}
	if withQuery {
		q, err := query(r)
		if err != nil {
			return in, err
		}
		if err := addValues(in.fields, q); err != nil {
			return in, err
		}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && r.ContentLength <= 0 {
		return in, nil
	}
	media, params, err := mime.ParseMediaType(ct)
	if err != nil && ct != "" {
		return in, roster.Errorf(roster.KindUnsupported, "Content-Type %q is not valid", ct)
	}
	switch media {
	case "application/json":
		return in, readJSON(http.MaxBytesReader(w, r.Body, maxBody), in.fields)
	case "application/x-www-form-urlencoded":
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			return in, err
		}
		values, err := url.ParseQuery(string(body))
		if err != nil {
			return in, invalid("form body: %v", err)
		}
		return in, addValues(in.fields, values)
	case "multipart/form-data":
		if !withPhoto {
			break
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxMultipartBody)
		return in, readMultipart(multipart.NewReader(r.Body, params["boundary"]), &in)
	}
	return in, roster.Errorf(roster.KindUnsupported,
		"Content-Type %q is not accepted here: send application/json or application/x-www-form-urlencoded%s",
		media, map[bool]string{true: " or multipart/form-data", false: ""}[withPhoto])
}

// readJSON decodes one JSON object, keeping numbers as json.Number so that
// integers are not rounded through float64. It walks the object's keys
// itself because encoding/json silently keeps the last of duplicate keys,
// and checks the body's UTF-8 itself because encoding/json silently stores
// each invalid byte as U+FFFD, changing an email or a name unseen (JSON is
// UTF-8, RFC 8259 §8.1). body bounds what is kept for that check.
func readJSON(body io.Reader, fields map[string]any) error {
	return readObject(body, fields, objectLimits{})
}

// objectLimits are what readObject allows beyond a request body's rules.
type objectLimits struct {
	// skip names a top-level field whose value is checked as it streams
	// past but never held, however long it is: the field reads as null.
	skip string
	// maxHeld, when not 0, bounds what the object costs in memory: the
	// bytes the decoder holds at once, and the bytes of the object apart
	// from skip's value. Past it the read fails with errObjectTooLong, or
	// errSkippedTooLong for a token of skip's value.
	maxHeld int64
}

var (
	errObjectTooLong  = errors.New("JSON object too long")
	errSkippedTooLong = errors.New("JSON token too long in a skipped value")
)

func readObject(body io.Reader, fields map[string]any, lim objectLimits) error {
	text := &utf8Check{r: body}
	held := &heldLimit{r: text, max: lim.maxHeld}
	dec := json.NewDecoder(&depthLimit{r: held})
	held.dec = dec
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return jsonError(err, "request body must be a JSON object")
	}
	var skipped int64 // bytes of skip's value
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(truncated(err), "")
		}
		var v any
		if name := tok.(string); name == lim.skip && name != "" {
			start := dec.InputOffset()
			if err = skipValue(dec); errors.Is(err, errObjectTooLong) {
				return errSkippedTooLong
			}
			skipped += dec.InputOffset() - start
		} else {
			err = dec.Decode(&v)
		}
		if err != nil {
			return jsonError(truncated(err), "")
		}
		if lim.maxHeld > 0 && dec.InputOffset()-skipped > lim.maxHeld {
			return errObjectTooLong
		}
		if err := addField(fields, tok.(string), v); err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil {
		return jsonError(truncated(err), "")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("request body must hold one JSON object only")
	}
	// encoding/json would have read invalid UTF-8 in a string as U+FFFD.
	if !text.valid() {
		return invalid("request body is not valid UTF-8")
	}
	return nil
}

// skipValue reads the next value token by token, which checks its syntax
// but holds no more than one token at a time.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// heldLimit fails a read that would have the decoder dec hold more than max
// bytes it has not yet consumed: the value or token it is reading. 0 is no
// limit.
type heldLimit struct {
	r    io.Reader
	dec  *json.Decoder
	max  int64
	read int64
}

func (h *heldLimit) Read(p []byte) (int, error) {
	if h.max == 0 {
		return h.r.Read(p)
	}
	left := h.max - (h.read - h.dec.InputOffset())
	if left <= 0 {
		return 0, errObjectTooLong
	}
	n, err := h.r.Read(p[:min(int64(len(p)), left)])
	h.read += int64(n)
	return n, err
}

// utf8Check checks that the bytes read through it are UTF-8, as they
// stream past: a rune split between two reads waits in carry.
type utf8Check struct {
	r     io.Reader
	carry [utf8.UTFMax]byte
	held  int // bytes in carry
	bad   bool
}

func (u *utf8Check) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	b := p[:n]
	for u.held > 0 && len(b) > 0 && !u.bad {
		u.carry[u.held], b = b[0], b[1:]
		if u.held++; utf8.FullRune(u.carry[:u.held]) {
			u.bad = !utf8.Valid(u.carry[:u.held])
			u.held = 0
		}
	}
	if u.bad || len(b) == 0 {
		return n, err
	}
	// A rune not yet complete at the end waits for the next read.
	end := len(b)
	for i := len(b) - 1; i >= max(0, len(b)-utf8.UTFMax+1); i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				end = i
			}
			break
		}
	}
	u.bad = !utf8.Valid(b[:end])
	u.held = copy(u.carry[:], b[end:])
	return n, err
}

// valid reports whether everything read was UTF-8; call it at the end.
func (u *utf8Check) valid() bool { return !u.bad && u.held == 0 }

// truncated turns the end of the body inside an object into the error it is.
func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// jsonError explains a JSON decoding failure; msg, if set, replaces the
// message of a body that is valid JSON but the wrong shape.
func jsonError(err error, msg string) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig), errors.Is(err, errTooDeep), errors.Is(err, errObjectTooLong):
		return err
	case errors.Is(err, io.EOF):
		return invalid("request body is empty: send a JSON object")
	case err != nil && errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("request body is not valid JSON: it ends too early")
	case err != nil:
		return invalid("request body is not valid JSON: %v", err)
	}
	return invalid("%s", msg)
}

// depthLimit fails a read once the JSON read through it nests objects and
// arrays more than maxJSONDepth deep. It follows only brackets and strings
// as the bytes stream past, in constant memory, so the decoder never holds a
// value too deep and no second parse is needed; the decoder still judges
// everything else.
type depthLimit struct {
	r                 io.Reader
	depth             int
	inString, escaped bool
	err               error
}

func (d *depthLimit) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	for i, c := range p[:n] {
		switch {
		case d.escaped:
			d.escaped = false
		case d.inString:
			d.escaped = c == '\\'
			d.inString = c != '"'
		case c == '"':
			d.inString = true
		case c == '{' || c == '[':
			if d.depth++; d.depth > maxJSONDepth {
				// The bytes before it are the decoder's, to report an
				// earlier syntax error as that.
				d.err = errTooDeep
				return i, d.err
			}
		case c == '}' || c == ']':
			d.depth--
		}
	}
	return n, err
}

func addValues(fields map[string]any, values url.Values) error {
	for k, vs := range values {
		if len(vs) > 1 {
			return invalid("%s: given more than once", k)
		}
		if err := addField(fields, k, vs[0]); err != nil {
			return err
		}
	}
	return nil
}

func addField(fields map[string]any, k string, v any) error {
	if _, dup := fields[k]; dup {
		return roster.FieldErrorf(k, "given more than once")
	}
	fields[k] = v
	return nil
}

func readMultipart(mr *multipart.Reader, in *input) error {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return multipartError(err)
		}
		name := part.FormName()
		switch {
		case name == "profile_photo" && part.FileName() != "":
			if in.photo != nil {
				return invalid("profile_photo: given more than once")
			}
			if in.photo, err = photo.Normalize(part); err != nil {
				return err
			}
		case name == "profile_photo":
			return invalid("profile_photo: must be a file upload (a part with a filename)")
		case part.FileName() != "":
			return invalid("%s: unexpected file upload; only profile_photo may be a file", name)
		default:
			v, err := io.ReadAll(io.LimitReader(part, maxFormValue+1))
			if err != nil {
				return multipartError(err)
			}
			if len(v) > maxFormValue {
				return roster.Errorf(roster.KindTooLarge, "%s: larger than %d bytes", name, maxFormValue)
			}
			if err := addField(in.fields, name, string(bytes.Clone(v))); err != nil {
				return err
			}
		}
	}
}

// multipartError keeps a body over its limit a 413; anything else about a
// broken multipart body is the caller's mistake.
func multipartError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return invalid("multipart body: %v", err)
}

// takeString removes a required string field from fields.
func takeString(fields map[string]any, name string) (string, error) {
	v, ok := fields[name]
	delete(fields, name)
	s, isString := v.(string)
	switch {
	case !ok || v == nil || s == "" && isString:
		return "", invalid("%s: required", name)
	case !isString:
		return "", invalid("%s: must be a string", name)
	}
	return s, nil
}

// takeBool removes an optional boolean field from fields: JSON's true or
// false, or, from a form, the same words (1 and 0 too, as boolParam
// takes); absent is false.
func takeBool(fields map[string]any, name string) (bool, error) {
	v := fields[name]
	delete(fields, name)
	switch v {
	case true, "true", "1":
		return true, nil
	case false, "false", "0", "", nil:
		return false, nil
	}
	return false, invalid("%s: must be true or false", name)
}

// readStrings reads a body whose fields are all strings: the required ones,
// then any of the optional ones (absent: ""). Any other field is an error,
// so that a misspelt name is not silently ignored.
func readStrings(w http.ResponseWriter, r *http.Request, required []string, optional ...string) (map[string]string, error) {
	in, err := readInput(w, r, false, false)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(required)+len(optional))
	for _, name := range required {
		if out[name], err = takeString(in.fields, name); err != nil {
			return nil, err
		}
	}
	for _, name := range optional {
		if v, ok := in.fields[name]; ok && v != nil && v != "" {
			if out[name], err = takeString(in.fields, name); err != nil {
				return nil, err
			}
		}
		delete(in.fields, name)
	}
	for k := range in.fields {
		return nil, invalid("%s: unknown field; accepted: %s", k, strings.Join(slices.Concat(required, optional), ", "))
	}
	return out, nil
}

// readJSONOnly reads a body that must be one JSON object, for the endpoints
// that have no form or multipart variant to keep compatible with the seeds.
func readJSONOnly(w http.ResponseWriter, r *http.Request) (map[string]any, error) {
	ct := r.Header.Get("Content-Type")
	media, _, err := mime.ParseMediaType(ct)
	switch {
	case err != nil && ct != "":
		return nil, roster.Errorf(roster.KindUnsupported, "Content-Type %q is not valid", ct)
	case media != "application/json":
		return nil, roster.Errorf(roster.KindUnsupported, "Content-Type %q is not accepted here: send application/json", media)
	}
	fields := map[string]any{}
	return fields, readJSON(http.MaxBytesReader(w, r.Body, maxBody), fields)
}
