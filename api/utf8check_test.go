package api

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// TestUTF8Check: runes split between reads are judged whole, and a body
// that ends inside a rune is not UTF-8.
func TestUTF8Check(t *testing.T) {
	for _, c := range []struct {
		text  string
		valid bool
	}{
		{"", true},
		{"plain ASCII", true},
		{"café, Ωmega, 日本, 🏃 and \U0010FFFF", true},
		{"caf\xe9 in Latin-1", false},
		{"a stray continuation \x80", false},
		{"ends inside a rune \xe6\x97", false},
		{"\xf0\x9f\x8f a rune cut short", false},
		{"an overlong \xc0\xaf slash", false},
		{"a surrogate \xed\xa0\x80", false},
	} {
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"whole": func(r io.Reader) io.Reader { return r }, "byte by byte": iotest.OneByteReader,
			"by halves": iotest.HalfReader,
		} {
			u := &utf8Check{r: wrap(strings.NewReader(c.text))}
			if b, err := io.ReadAll(u); err != nil || string(b) != c.text {
				t.Fatalf("%q %s: read %q, %v", c.text, name, b, err)
			}
			if u.valid() != c.valid {
				t.Errorf("%q %s: valid %t, want %t", c.text, name, u.valid(), c.valid)
			}
		}
	}
}
