package roster

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/unicode/runenames"
)

// Text that people type is checked in the manner of PRECIS's FreeformClass
// (RFC 8264): controls, default-ignorable (invisible) and unassigned code
// points are refused, and so are private-use characters. Unlike PRECIS,
// names keep the variation selectors and joiners of emoji, and text is
// stored exactly as typed: nothing is mapped or normalized behind the
// writer's back. Keys for comparing text are made apart from it (fold,
// EmailKey).

// fold is the form that text is compared and sorted by: NFKC, so that
// compatibility variants (full-width letters, ligatures, the Kelvin sign)
// equal their plain letters, then full Unicode case folding ("ß" folds to
// "ss"), then NFKC again, since folding can leave text that normalization
// would still change; the result folds to itself. ASCII folds by
// lower-casing alone, without the tables.
func fold(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	// A Caser keeps state between calls: one per call.
	folded := strings.Map(foldCherokee, cases.Fold().String(norm.NFKC.String(s)))
	return norm.NFKC.String(folded)
}

// foldCherokee corrects x/text's Fold, which swaps the two cases of
// Cherokee (golang.org/issue/46101). Cherokee folds to its capitals, the
// letters encoded first, since case folding never changes for a letter
// once encoded.
func foldCherokee(r rune) rune {
	if unicode.Is(unicode.Cherokee, r) && unicode.IsLower(r) {
		return unicode.ToUpper(r)
	}
	return r
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// NameKey is the form of a display name that lists sort and search by.
func NameKey(name string) string { return fold(name) }

// Why a character is refused in text; a name's own rules may allow a joiner
// or a variation selector where it does visible work (allowedInvisible).
const (
	refusedControl    = "control characters"
	refusedLineBreak  = "line or paragraph separators"
	refusedBidi       = "bidirectional control characters"
	refusedInvisible  = "invisible or formatting characters"
	refusedPrivateUse = "private-use characters"
	refusedNonchar    = "noncharacters"
	refusedUnassigned = "unassigned code points"
)

// refusal says why r may not appear in an email or a line of display text,
// or "" when it may. Unassigned code points are refused so that keys made
// from stored text never change: Unicode keeps the normalization and case
// folding of assigned characters stable from one version to the next.
func refusal(r rune) string {
	switch {
	case r < utf8.RuneSelf:
		if unicode.IsControl(r) {
			return refusedControl
		}
		return ""
	case unicode.IsControl(r):
		return refusedControl
	case unicode.In(r, unicode.Zl, unicode.Zp):
		return refusedLineBreak
	case unicode.Is(unicode.Bidi_Control, r):
		return refusedBidi
	case defaultIgnorable(r):
		return refusedInvisible
	case unicode.Is(unicode.Co, r):
		return refusedPrivateUse
	case unicode.Is(unicode.Noncharacter_Code_Point, r):
		return refusedNonchar
	case !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z):
		// What is left of category C (Cc, Cf and Co are refused above,
		// surrogates are not valid UTF-8) is Cn, unassigned.
		return refusedUnassigned
	}
	return ""
}

// defaultIgnorable reports whether r is a format character (Cf) or one of
// Unicode's default-ignorable code points, which a reader does not see:
// zero-width spaces and joiners, the soft hyphen, the BOM, variation
// selectors, tag characters, the Hangul fillers.
func defaultIgnorable(r rune) bool {
	return unicode.In(r, unicode.Cf, unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector)
}

// describe names a character for an error message, since it may be one the
// reader cannot see.
func describe(r rune) string {
	name := runenames.Name(r)
	if name == "" || strings.HasPrefix(name, "<") {
		return fmt.Sprintf("U+%04X", r)
	}
	return fmt.Sprintf("U+%04X %s", r, name)
}

// checkDisplayText refuses display text with characters that are not
// visible text: controls, line breaks, bidirectional controls (which reorder
// what surrounds the text wherever it is shown), invisible and formatting
// characters, private-use characters, noncharacters and unassigned code
// points. Emoji keep their presentation selectors and zero-width-joiner
// sequences, and scripts that need a joiner keep it where RFC 5892 allows
// one.
func checkDisplayText(s string) error {
	for i, r := range s {
		why := refusal(r)
		if why == "" || why == refusedInvisible && allowedInvisible(s, i, r) {
			continue
		}
		return fmt.Errorf("must not contain %s (%s)", why, describe(r))
	}
	return nil
}

const (
	zwnj = '\u200C' // ZERO WIDTH NON-JOINER
	zwj  = '\u200D' // ZERO WIDTH JOINER
)

// allowedInvisible reports whether the invisible character r at s[i] does
// visible work in a name: a variation selector that picks the look of the
// character before it (an emoji's, an ideograph's), a joiner that makes
// one emoji of two, or a joiner where RFC 5892's CONTEXTJ rules allow it
// (after a virama in Indic scripts; a non-joiner between letters that join,
// as in Persian names).
func allowedInvisible(s string, i int, r rune) bool {
	prev, next := around(s, i, i+utf8.RuneLen(r))
	switch {
	case unicode.Is(unicode.Variation_Selector, r):
		return takesVariation(prev)
	case r == zwj && emojiJoin(prev, next):
		return true
	case r == zwj || r == zwnj:
		return joinerInContext(s, i)
	}
	return false
}

// around returns the characters before s[i] and from s[j] on, -1 where s
// ends.
func around(s string, i, j int) (prev, next rune) {
	prev, next = -1, -1
	if i > 0 {
		prev, _ = utf8.DecodeLastRuneInString(s[:i])
	}
	if j < len(s) {
		next, _ = utf8.DecodeRuneInString(s[j:])
	}
	return prev, next
}

// takesVariation reports whether a variation selector after r can change
// how r looks: emoji and other symbols (text or emoji presentation),
// digits, "#" and "*" (keycaps), ideographs (ideographic variation
// sequences, as in Japanese names) and Mongolian letters.
func takesVariation(r rune) bool {
	return unicode.In(r, unicode.S, unicode.P, unicode.Ideographic, unicode.Mongolian) ||
		'0' <= r && r <= '9' || r == '#' || r == '*'
}

// emojiJoin reports whether a zero-width joiner between prev and next joins
// two emoji into one (as in 👩‍💻): a symbol, skin tone or presentation
// selector before it, and a symbol after it.
func emojiJoin(prev, next rune) bool {
	return (unicode.Is(unicode.S, prev) || prev == '\uFE0F') && unicode.Is(unicode.S, next)
}

// joinerRules checks the context of joiners. Its result is never stored:
// it is asked only whether a word's joiners stand where RFC 5892 allows.
var joinerRules = precis.NewFreeform()

// joinerInContext reports whether the joiner at s[i] stands where RFC
// 5892's CONTEXTJ rules allow it within its word (its run of letters,
// marks and joiners).
func joinerInContext(s string, i int) bool {
	outside := func(r rune) bool { return !unicode.In(r, unicode.L, unicode.M) && r != zwj && r != zwnj }
	start, end := 0, len(s)
	if j := strings.LastIndexFunc(s[:i], outside); j >= 0 {
		_, n := utf8.DecodeRuneInString(s[j:])
		start = j + n
	}
	if j := strings.IndexFunc(s[i:], outside); j >= 0 {
		end = i + j
	}
	_, err := joinerRules.String(s[start:end])
	return err == nil
}

// Count writes n and the noun, in the plural unless n is 1: "1 session",
// "2 sessions", "0 sessions". Roster's messages count only nouns whose
// plural ends in s.
func Count[N ~int | ~int64](n N, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.FormatInt(int64(n), 10) + " " + noun + "s"
}
