package auth

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestCommonPasswordsList checks what the search relies on: lines ended by
// "\n", sorted bytewise without repeats, each already in folded form (so
// that a folded password can equal it) and long enough to pass the length
// rule (so that no line is dead weight).
func TestCommonPasswordsList(t *testing.T) {
	if !strings.HasSuffix(commonPasswords, "\n") {
		t.Fatal("the list does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(commonPasswords, "\n"), "\n")
	if n := len(lines); n < 30_000 || n > 100_000 {
		t.Fatalf("%d lines; the top 100,000 less short ones should leave about 38,000", n)
	}
	for i, line := range lines {
		switch {
		case i > 0 && lines[i-1] >= line:
			t.Fatalf("line %d %q is not after %q", i+1, line, lines[i-1])
		case fold(line) != line:
			t.Fatalf("line %d %q is not folded", i+1, line)
		case utf8.RuneCountInString(line) < passwordMinRunes:
			t.Fatalf("line %d %q is shorter than %d characters", i+1, line, passwordMinRunes)
		}
	}
}

func TestInSortedLines(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(commonPasswords, "\n"), "\n")
	for _, line := range lines {
		if !isCommonPassword(line) {
			t.Fatalf("%q is a line but is not found", line)
		}
	}
	// Strings between lines, before the first and after the last.
	absent := []string{"", "\n", lines[0][:len(lines[0])-1], lines[len(lines)-1] + "z", "~"}
	for _, line := range lines {
		absent = append(absent, line+"\x00", line[:len(line)-1])
	}
	in := make(map[string]bool, len(lines))
	for _, line := range lines {
		in[line] = true
	}
	for _, s := range absent {
		if !in[s] && isCommonPassword(s) {
			t.Fatalf("%q is not a line but is found", s)
		}
	}
	for _, text := range []string{"", "b\n", "a\nc\n"} {
		for _, s := range []string{"", "a", "b", "c", "d"} {
			want := strings.Contains("\n"+text, "\n"+s+"\n")
			if got := inSortedLines(text, s); got != want {
				t.Errorf("inSortedLines(%q, %q) = %v, want %v", text, s, got, want)
			}
		}
	}
}

func BenchmarkIsCommonPassword(b *testing.B) {
	for b.Loop() {
		if isCommonPassword("vr7#qlp2!xzw9@mtb4") {
			b.Fatal("found")
		}
	}
}
