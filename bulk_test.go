package roster

import (
	"slices"
	"strings"
	"testing"
)

func TestGuardCellRoundTrips(t *testing.T) {
	for _, c := range []struct{ value, cell string }{
		{"", ""}, {"Ann", "Ann"}, {"=1+2", "'=1+2"}, {"+44 20", "'+44 20"}, {"-5", "'-5"}, {"@x", "'@x"},
		{"\tx", "'\tx"}, {"\rx", "'\rx"}, {"'", "''"}, {"'quoted", "''quoted"}, {"''", "'''"}, {"'=x", "''=x"},
		{"O'Neill", "O'Neill"}, {"a=b", "a=b"},
	} {
		if got := GuardCell(c.value); got != c.cell {
			t.Errorf("GuardCell(%q) = %q, want %q", c.value, got, c.cell)
		}
		if got := UnguardCell(c.cell); got != c.value {
			t.Errorf("UnguardCell(%q) = %q, want %q", c.cell, got, c.value)
		}
	}
	// A hand-written cell keeps a quote that guards nothing.
	if got := UnguardCell("'Neill"); got != "'Neill" {
		t.Errorf("UnguardCell('Neill) = %q", got)
	}
}

func TestImportColumns(t *testing.T) {
	cols, err := ImportColumns([]string{"user_uid", "email", "display_name", "status", "age"})
	if err != nil || !slices.Equal(cols, []string{"", "email", "display_name", "", "age"}) {
		t.Errorf("columns %q, %v", cols, err)
	}
	raw := CSVRow(cols, []string{"u1", "a@example.com", "'=Ann", "active", ""})
	if len(raw) != 2 || raw["email"] != "a@example.com" || raw["display_name"] != "=Ann" {
		t.Errorf("row %v", raw)
	}
	for header, want := range map[string]string{
		"email,display_name,colour": "colour: unknown column",
		"email,display_name,email":  "email: column given more than once",
		"email,age":                 "display_name: required column missing",
		"email,,display_name":       "CSV header: column 2 has no name",
	} {
		_, err := ImportColumns(strings.Split(header, ","))
		if err == nil || !strings.HasPrefix(err.Error(), want) || KindOf(err) != KindInvalid {
			t.Errorf("%s: err %v, want %q", header, err, want)
		}
	}
}

func TestImportRowsCheck(t *testing.T) {
	v := NewImportRows()
	check := func(row int, raw map[string]any) *RowError {
		_, e := v.Check(row, raw)
		return e
	}
	if e := check(1, map[string]any{"email": "Ann@example.com", "display_name": "Ann", "external_id": "x", "user_uid": "u"}); e != nil {
		t.Fatalf("a valid row: %v", e)
	}
	for _, c := range []struct {
		raw  map[string]any
		want RowError
	}{
		{map[string]any{"email": "ann@EXAMPLE.com", "display_name": "Again"}, RowError{2, "email", "the same as row 1's"}},
		{map[string]any{"email": "b@example.com", "display_name": "B", "external_id": "x"}, RowError{2, "external_id", "the same as row 1's"}},
		{map[string]any{"email": "c@example.com", "display_name": "C", "age": "200"}, RowError{2, "age", "must be between 0 and 150"}},
		{map[string]any{"display_name": "D"}, RowError{2, "email", "required"}},
	} {
		if e := check(2, c.raw); e == nil || *e != c.want {
			t.Errorf("%v: %v, want %v", c.raw, e, c.want)
		}
	}
	// Bad rows do not count as seen: a later row may have their email.
	if e := check(3, map[string]any{"email": "c@example.com", "display_name": "C"}); e != nil {
		t.Errorf("the email of a bad row: %v", e)
	}
	if e := (&RowError{4, "", "has 2 cells"}); e.Error() != "row 4: has 2 cells" {
		t.Errorf("Error() = %q", e.Error())
	}
}
