package store

import (
	"slices"
	"testing"
)

func TestTrigramCover(t *testing.T) {
	for key, want := range map[string][]string{
		"ab":           {"ab"},
		"ana":          {"ana"},
		"elena":        {"ele", "ena"},
		`a"b"c`:        {`a"b`, `b"c`},
		"smith.12":     {"smi", "th.", ".12"},
		"olga rossi":   {"olg", "a r", "oss", "ssi"},
		"pedro.okafor": {"ped", "ro.", "oka", "for"},
		"王小明李":         {"王小明", "小明李"},
		// A repeated trigram would stand for the key alone: every one instead.
		"anaana": {"ana", "naa", "aan"},
		"abcabc": {"abc", "bca", "cab"},
	} {
		if got := trigramCover(key); !slices.Equal(got, want) {
			t.Errorf("trigramCover(%q) = %q, want %q", key, got, want)
		}
	}
}
