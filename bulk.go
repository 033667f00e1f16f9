package roster

import (
	"fmt"
	"slices"
	"strings"
)

// Bulk import and export of clients: the columns, the rules an import's rows
// must keep together, and the CSV cell guard. Reading the formats off a
// request is the api package's work, writing the rows the store's.

const (
	// MaxImportRows caps the rows of one import request.
	MaxImportRows = 100_000
	// MaxListedRowErrors caps the row errors an import answer lists; it
	// always gives their total.
	MaxListedRowErrors = 1000
)

// CSVFieldNames are the fields CSV carries, in the registry's order: the
// first columns of an export, and the columns an import may set.
var CSVFieldNames = FieldNames(UseCSV)

// ReadOnlyFields are the exported fields that Roster sets itself. An import
// accepts and ignores them, so that an export imports back.
var ReadOnlyFields = []string{"user_uid", "admin_uid", "created_at", "updated_at", "last_session",
	"sessions_count", "status", "deactivated_at"}

// IgnoredOnImport reports whether an import skips the field: a read-only
// one, profile_photo and profile_photo_thumbnail, the signed links an
// NDJSON export carries (photos are not imported), or the metric history
// an export with history=true carries (an import's clients start theirs).
func IgnoredOnImport(name string) bool {
	return name == "profile_photo" || name == "profile_photo_thumbnail" || name == "history" ||
		slices.Contains(ReadOnlyFields, name)
}

// RowError is what is wrong with one row of an import.
type RowError struct {
	Row     int    // the data row, from 1
	Field   string // the field at fault; "" when it is the row as a whole
	Message string // without the field's name
}

func (e *RowError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d: %s: %s", e.Row, e.Field, e.Message)
}

// NewRowError makes err, a validation error, the error of a row, naming
// the field that err names.
func NewRowError(row int, err error) *RowError {
	e := &RowError{Row: row, Message: err.Error()}
	if re, ok := err.(*Error); ok && re.Field != "" {
		e.Field, e.Message = re.Field, strings.TrimPrefix(re.Message, re.Field+": ")
	}
	return e
}

// TakenMessage is the error of a field whose value another client of the
// organization has: emails and external ids are unique within one.
func TakenMessage(field string) string { return "a client with this " + field + " already exists" }

// ImportRows checks the rows of one import, each alone and against the
// rows before it: no two may share an email (letter case aside) or an
// external_id.
type ImportRows struct {
	emails, externalIDs map[string]int // key → the first row that has it
}

// NewImportRows starts the checks of one import.
func NewImportRows() *ImportRows {
	return &ImportRows{emails: map[string]int{}, externalIDs: map[string]int{}}
}

// Check validates one row's raw fields, as NewClientFields does, leaving
// out the fields an import ignores. Only valid rows count for later rows'
// duplicates.
func (v *ImportRows) Check(row int, raw map[string]any) (ClientFields, *RowError) {
	for name := range raw {
		if IgnoredOnImport(name) {
			delete(raw, name)
		}
	}
	f, err := NewClientFields(raw)
	if err != nil {
		return f, NewRowError(row, err)
	}
	// The keys are cloned: the field values may share memory with the
	// whole row as read, which the maps would otherwise keep alive.
	email := strings.Clone(EmailKey(f.Email))
	if first, dup := v.emails[email]; dup {
		return f, &RowError{Row: row, Field: "email", Message: fmt.Sprintf("the same as row %d's", first)}
	}
	if f.ExternalID != nil {
		id := strings.Clone(*f.ExternalID)
		if first, dup := v.externalIDs[id]; dup {
			return f, &RowError{Row: row, Field: "external_id", Message: fmt.Sprintf("the same as row %d's", first)}
		}
		v.externalIDs[id] = row
	}
	v.emails[email] = row
	return f, nil
}

// ImportColumns checks the header of a CSV import and returns the field of
// each column, "" for the columns an import ignores. Every column must be
// a client field or an ignored one, none may appear twice, and email and
// display_name must be there.
func ImportColumns(header []string) ([]string, error) {
	cols := make([]string, len(header))
	for i, name := range header {
		switch {
		case name == "":
			return nil, Errorf(KindInvalid, "CSV header: column %d has no name", i+1)
		case slices.Contains(header[:i], name):
			return nil, FieldErrorf(name, "column given more than once")
		case IgnoredOnImport(name):
		case slices.Contains(CSVFieldNames, name):
			cols[i] = name
		default:
			return nil, FieldErrorf(name, "unknown column; the columns are %s, and the read-only %s, which an import ignores",
				strings.Join(CSVFieldNames, ", "), strings.Join(ReadOnlyFields, ", "))
		}
	}
	for _, spec := range Fields {
		if spec.Required && !slices.Contains(cols, spec.Name) {
			return nil, FieldErrorf(spec.Name, "required column missing from the CSV header")
		}
	}
	return cols, nil
}

// CSVRow returns the raw fields of one CSV record under cols (from
// ImportColumns): cells are strings, as in a form, taken out of their
// guard; an empty cell is an absent field.
func CSVRow(cols, record []string) map[string]any {
	raw := make(map[string]any, len(cols))
	for i, name := range cols {
		if name != "" && record[i] != "" {
			raw[name] = UnguardCell(record[i])
		}
	}
	return raw
}

// guarded are the characters that make a spreadsheet read a cell as a
// formula (= + - @, and a tab or CR before one), and the guard itself.
const guarded = "=+-@\t\r'"

// GuardCell protects a CSV cell from being run as a formula by the
// spreadsheet that opens an export: a cell starting with = + - @, a tab or
// a CR gets a leading single quote, which spreadsheets show as text. A cell
// that starts with a quote gets one more, so that UnguardCell gives every
// value back exactly.
func GuardCell(s string) string {
	if s != "" && strings.IndexByte(guarded, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// UnguardCell undoes GuardCell: it takes one leading quote off a cell where
// GuardCell would have put one, and leaves every other cell alone.
func UnguardCell(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte(guarded, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
