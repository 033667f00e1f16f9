package roster

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestEmailKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"Kate@Example.COM", "kate@example.com"},
		{"STRASSE@example.com", "straße@example.com"}, // full case folding: ß is ss
		{"ẞ@example.com", "ss@example.com"},           // capital sharp s
		{"İ@example.com", "i\u0307@example.com"},      // dotted capital I folds to i and a combining dot
		{"\u212Aate@example.com", "kate@example.com"}, // Kelvin sign
		{"ｋａｔｅ@ｅｘａｍｐｌｅ.com", "kate@example.com"},      // full-width
		{"ﬁnance@example.com", "finance@example.com"}, // ligature
		{"kate@bücher.example", "kate@xn--bcher-kva.example"},
		{"kate@BÜCHER.example", "kate@xn--bcher-kva.example"},
		{"kate@XN--BCHER-KVA.example", "kate@xn--bcher-kva.example"},
		{"ΟΔΥΣΣΕΥΣ@example.com", "οδυσσευσ@example.com"}, // final sigma folds like any sigma
		{"ᏣᎳᎩ@example.com", "ꮳꮃꭹ@example.com"},           // Cherokee folds to its capitals
		{"用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v"},
		{"Δοκιμή@Παράδειγμα.δοκιμή", "δοκιμή@xn--hxajbheg2az3al.xn--jxalpdlp"},
	} {
		if ka, kb := EmailKey(tc.a), EmailKey(tc.b); ka != kb {
			t.Errorf("EmailKey(%q) = %q, EmailKey(%q) = %q: want them equal", tc.a, ka, tc.b, kb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"İnfo@example.com", "info@example.com"},        // full folding is not Turkish folding
		{"ınfo@example.com", "info@example.com"},        // dotless i stays itself
		{"kate@straße.example", "kate@strasse.example"}, // IDNA2008 keeps ß in domains
		{"kate@example.com", "kate@example.co"},
	} {
		if ka, kb := EmailKey(tc.a), EmailKey(tc.b); ka == kb {
			t.Errorf("EmailKey(%q) = EmailKey(%q) = %q: want them apart", tc.a, tc.b, ka)
		}
	}
	if k := EmailKey("Kate@Bücher.example"); k != "kate@xn--bcher-kva.example" {
		t.Errorf("EmailKey = %q, want the folded local part and the A-label domain", k)
	}
}

// Keys are what stored keys, search fragments and twin markers are compared
// by, so they must be stable under folding again, and never hold an ASCII
// capital letter (the migration's twin keys rely on it).
func TestEmailKeyIsFolded(t *testing.T) {
	for _, s := range append(realEmails, "Kate@Example.COM", "ÀÉÎ@ÕÜ.example", "\u212Aate@k.example", "x@[IPv6:::1]",
		"no at sign", "TWIN:abc", "ǅ@ǅ.example", "ß@ẞ.example") {
		k := EmailKey(s)
		if strings.ContainsFunc(k, func(r rune) bool { return 'A' <= r && r <= 'Z' }) {
			t.Errorf("EmailKey(%q) = %q has a capital letter", s, k)
		}
		if again := EmailKey(k); again != k {
			t.Errorf("EmailKey(%q) = %q, and again %q", s, k, again)
		}
	}
}

// Folding every character twice gives what folding it once gives: keys are
// fixed points, whatever they were made from.
func TestFoldIsIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || refusal(r) != "" {
			continue
		}
		s := string(r) + "x" + string(r)
		if f := fold(s); fold(f) != f {
			t.Errorf("fold(%q) = %q, and again %q", s, f, fold(f))
		}
	}
}

// An ASCII address keeps the key it always had, so that the migration
// changes only keys with other characters.
func TestEmailKeyOfASCIIIsLowerCase(t *testing.T) {
	for _, s := range []string{"Kate@Example.COM", "a_b@x_y.example", "x@xn--BCHER-kva.example", "x@-bad-.example", "@@"} {
		if k := EmailKey(s); k != strings.ToLower(s) {
			t.Errorf("EmailKey(%q) = %q, want %q", s, k, strings.ToLower(s))
		}
	}
}

// realEmails are addresses that people have and must be able to use.
var realEmails = []string{
	"kate@example.com",
	"Kate.Smith@Example.com",
	"kate+roster@example.com",
	"kate+tag+more@mail.example.co.uk",
	"first.last@sub.domain.example",
	"o'brien@example.ie",
	"x@localhost",
	"1234567890@example.com",
	"a-b_c@x-y.example",
	"kate@xn--bcher-kva.example",
	"kate@bücher.example",
	"josé@example.es",
	"zoë@exämple.de",
	"δοκιμή@παράδειγμα.δοκιμή",
	"用户@例子.广告",
	"ユーザー@例え.テスト",
	"山田たろう@example.jp",
	"用户abc@example.cn",
	"사용자@예시.한국",
	"иван@пример.рф",
	"ivan@пример.рф",
	"अजय@डाटा.भारत",
	"θσερ@εχαμπλε.ψομ",
	"علی@مثال.ایران",
	"דוד@דוגמה.ישראל",
	"straße@example.de",
	"kate@straße.example",
	"İlker@örnek.tr",
}

func TestValidateEmailAcceptsRealAddresses(t *testing.T) {
	for _, s := range realEmails {
		if err := ValidateEmail(s); err != nil {
			t.Errorf("ValidateEmail(%q) = %v, want nil", s, err)
		}
	}
}

func TestValidateEmailRefuses(t *testing.T) {
	for _, tc := range []struct{ email, want string }{
		{strings.Repeat("a", 250) + "@x.co", "must be at most 254 characters"},
		{"kate@example.com\xff", "must be valid UTF-8"},
		{"ka\x00te@example.com", "must not contain control characters (U+0000)"},
		{"ka\u200Bte@example.com", "must not contain invisible or formatting characters (U+200B ZERO WIDTH SPACE)"},
		{"ka\u200Dte@example.com", "must not contain invisible or formatting characters (U+200D ZERO WIDTH JOINER)"},
		{"ka\u00ADte@example.com", "must not contain invisible or formatting characters (U+00AD SOFT HYPHEN)"},
		{"\uFEFFkate@example.com", "must not contain invisible or formatting characters (U+FEFF ZERO WIDTH NO-BREAK SPACE)"},
		{"kate\u2060@example.com", "must not contain invisible or formatting characters (U+2060 WORD JOINER)"},
		{"kate@exam\u034Fple.com", "must not contain invisible or formatting characters (U+034F COMBINING GRAPHEME JOINER)"},
		{"kate\uFE0F@example.com", "must not contain invisible or formatting characters (U+FE0F VARIATION SELECTOR-16)"},
		{"\u3164kate@example.com", "must not contain invisible or formatting characters (U+3164 HANGUL FILLER)"},
		{"kate\U000E0041@example.com", "must not contain invisible or formatting characters (U+E0041 TAG LATIN CAPITAL LETTER A)"},
		{"\u202Emoc.elpmaxe@etak", "must not contain bidirectional control characters (U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"kate\u2066@example.com", "must not contain bidirectional control characters (U+2066 LEFT-TO-RIGHT ISOLATE)"},
		{"kate\u200F@example.com", "must not contain bidirectional control characters (U+200F RIGHT-TO-LEFT MARK)"},
		{"kate\u2028@example.com", "must not contain line or paragraph separators (U+2028 LINE SEPARATOR)"},
		{"kate\uE000@example.com", "must not contain private-use characters (U+E000)"},
		{"kate\uFDD0@example.com", "must not contain noncharacters (U+FDD0)"},
		{"kate\u0378@example.com", "must not contain unassigned code points (U+0378)"},
		{"\u212Aate@example.com", `must be written "Kate@example.com": U+212A KELVIN SIGN stands for "K"`},
		{"ｋａｔｅ@example.com", `must be written "kate@example.com": U+FF4B FULLWIDTH LATIN SMALL LETTER K stands for "k"`},
		{"ﬁnance@example.com", `must be written "finance@example.com": U+FB01 LATIN SMALL LIGATURE FI stands for "fi"`},
		{"kate@ｅxample.com", `must be written "kate@example.com": U+FF45 FULLWIDTH LATIN SMALL LETTER E stands for "e"`},
		{"jose\u0301@example.com", `must be written "josé@example.com", with accents composed with their letters`},
		{"kate\u00A0@example.com", `must be written "kate @example.com": U+00A0 NO-BREAK SPACE stands for " "`},
		{"kate", "must be a valid email address"},
		{"Kate <kate@example.com>", "must be a valid email address"},
		{`"kate smith"@example.com`, "must be a valid email address"},
		{"kate@@example.com", "must be a valid email address"},
		{"kate@exa_mple.com", `must have a valid domain name, not "exa_mple.com"`},
		{"kate@-example.com", `must have a valid domain name, not "-example.com"`},
		{"kate@[127.0.0.1]", `must have a valid domain name, not "[127.0.0.1]"`},
		{"kate@" + strings.Repeat("a", 64) + ".example", `must have a valid domain name, not "` + strings.Repeat("a", 64) + `.example"`},
		{"kate@xn--ls8h.example", `must have a valid domain name, not "xn--ls8h.example"`}, // an emoji: not in IDNA2008
		{"kate@example.com\u3002", `must have a valid domain name, not "example.com。"`},    // a trailing root dot
		{"kate@example.com.\u3002", `must have a valid domain name, not "example.com.。"`},  // an empty label
		{"kate@xn--bcher.example", `must have a valid domain name, not "xn--bcher.example"`},
		{"kate@ab--cd.example", `must have a valid domain name, not "ab--cd.example"`},
		{"kate@a\u05D0.example", `must have a valid domain name, not "aא.example"`}, // bidi rule
		{"pаypal@example.com", `must not mix scripts (Latin and Cyrillic) in "pаypal"`},
		{"kate@pаypal.com", `must not mix scripts (Latin and Cyrillic) in "pаypal"`},
		{"kate@xn--pypal-4ve.com", `must not mix scripts (Latin and Cyrillic) in "pаypal"`},
		{"kate@mail.PАYPAL.com", `must not mix scripts (Latin and Cyrillic) in "pаypal"`},
		{"οmega@example.com", `must not mix scripts (Greek and Latin) in "οmega"`},
		{"аpple用户@example.com", `must not mix scripts (Cyrillic, Latin and Han) in "аpple用户"`},
		{"abcδ한@example.com", `must not mix scripts (Latin, Greek and Hangul) in "abcδ한"`},
		{"한ひ@example.com", `must not mix scripts (Hangul and Hiragana) in "한ひ"`},
	} {
		err := ValidateEmail(tc.email)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ValidateEmail(%q) = %v, want %q", tc.email, err, tc.want)
		}
	}
}

// Every email field names itself in the error.
func TestEmailFieldNamesItself(t *testing.T) {
	_, err := NewClientFields(map[string]any{"email": "pаypal@example.com", "display_name": "P"})
	if err == nil || err.Error() != `email: must not mix scripts (Latin and Cyrillic) in "pаypal"` {
		t.Errorf("err %v, want the field and the mixed scripts", err)
	}
	_, err = ParseEmail("user_email", "\u212Aate@example.com")
	if KindOf(err) != KindInvalid || err.Error() != `user_email: must be written "Kate@example.com": U+212A KELVIN SIGN stands for "K"` {
		t.Errorf("err %v, want an invalid user_email showing the plain form", err)
	}
}

func TestSearchKey(t *testing.T) {
	for _, tc := range []struct {
		search, name, email string
		want                bool
	}{
		{"ANA", "Ana Lima", "x@example.com", true},
		{"ana", "x", "ANA@example.com", true},
		{"strasse", "Anna Straße", "x@example.com", true},
		{"STRASSE", "x", "straße@example.com", true},
		{"ｋａｔｅ", "Kate", "x@example.com", true},
		{"kate@bücher", "x", "Kate@Bücher.example", true},
		{"@BÜCHER.EX", "x", "kate@bücher.example", true},
		{"xn--bcher", "x", "kate@bücher.example", true},
		{"bücher", "x", "kate@bücher.example", false}, // a Unicode domain is stored in its xn-- form
		{"émile", "ÉMILE", "x@example.com", true},
		{"zoe", "Zoë", "x@example.com", false},
	} {
		if got := SearchMatches(tc.search, tc.name, tc.email); got != tc.want {
			t.Errorf("SearchMatches(%q, %q, %q) = %v, want %v", tc.search, tc.name, tc.email, got, tc.want)
		}
	}
}
