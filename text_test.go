package roster

import (
	"testing"
)

// displayFields are the fields whose text goes through the display-text
// rules, with a value that each accepts.
var displayFields = []string{"display_name", "phone", "brand", "shoeModel", "external_id"}

func TestDisplayTextRefuses(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"Ana\tLima", "must not contain control characters (U+0009)"},
		{"Ana\u0085Lima", "must not contain control characters (U+0085)"},
		{"Ana\u2028Lima", "must not contain line or paragraph separators (U+2028 LINE SEPARATOR)"},
		{"Ana \u202Eamil", "must not contain bidirectional control characters (U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"Ana \u2066Lima\u2069", "must not contain bidirectional control characters (U+2066 LEFT-TO-RIGHT ISOLATE)"},
		{"\u200FAna", "must not contain bidirectional control characters (U+200F RIGHT-TO-LEFT MARK)"},
		{"A\u200Bna", "must not contain invisible or formatting characters (U+200B ZERO WIDTH SPACE)"},
		{"A\u00ADna", "must not contain invisible or formatting characters (U+00AD SOFT HYPHEN)"},
		{"\uFEFFAna", "must not contain invisible or formatting characters (U+FEFF ZERO WIDTH NO-BREAK SPACE)"},
		{"\u3164", "must not contain invisible or formatting characters (U+3164 HANGUL FILLER)"},
		{"Ana \u3164", "must not contain invisible or formatting characters (U+3164 HANGUL FILLER)"},
		{"A\u034Fna", "must not contain invisible or formatting characters (U+034F COMBINING GRAPHEME JOINER)"},
		{"Ana\U000E0041", "must not contain invisible or formatting characters (U+E0041 TAG LATIN CAPITAL LETTER A)"},
		{"A\u200Dna", "must not contain invisible or formatting characters (U+200D ZERO WIDTH JOINER)"},     // between letters
		{"A\u200Cna", "must not contain invisible or formatting characters (U+200C ZERO WIDTH NON-JOINER)"}, // between Latin letters
		{"ر\u200Cا", "must not contain invisible or formatting characters (U+200C ZERO WIDTH NON-JOINER)"},  // after a letter that does not join
		{"Ana\uFE0F", "must not contain invisible or formatting characters (U+FE0F VARIATION SELECTOR-16)"}, // after a letter
		{"\uFE0FAna", "must not contain invisible or formatting characters (U+FE0F VARIATION SELECTOR-16)"}, // after nothing
		{"❤\u200D", "must not contain invisible or formatting characters (U+200D ZERO WIDTH JOINER)"},       // joining nothing
		{"Ana \uE000", "must not contain private-use characters (U+E000)"},
		{"Ana \U000F0000", "must not contain private-use characters (U+F0000)"},
		{"Ana \uFFFF", "must not contain noncharacters (U+FFFF)"},
		{"Ana \u0378", "must not contain unassigned code points (U+0378)"},
	} {
		for _, field := range displayFields {
			_, err := NewClientUpdate(map[string]any{field: tc.text})
			if want := field + ": " + tc.want; err == nil || err.Error() != want || KindOf(err) != KindInvalid {
				t.Errorf("%s %q: err %v, want %q", field, tc.text, err, want)
			}
		}
		if _, err := ParseDisplayName("display_name", tc.text); err == nil || err.Error() != "display_name: "+tc.want {
			t.Errorf("account display name %q: err %v, want %q", tc.text, err, tc.want)
		}
	}
}

func TestDisplayTextAccepts(t *testing.T) {
	for _, s := range []string{
		"Ana Lima",
		"Zoë Ångström-Ødegård",
		"Jose\u0301", // a combining accent, kept as typed
		"Ｆｕｌｌ Ｗｉｄｔｈ", // compatibility forms are text, unlike in emails
		"王秀英", "山田 太郎", "김민준", "Αλέξανδρος", "Дмитрий", "محمد علي", "דוד כהן", "अजय कुमार", "สมชาย", "Nguyễn Văn An",
		"حسین\u200Cزاده",                           // a Persian name with its non-joiner
		"ශ්\u200Dරී",                               // Sinhala: a joiner after a virama
		"क्\u200Cष",                                // Devanagari: a non-joiner after a virama
		"Ana \u2764\uFE0F",                         // an emoji with its presentation selector
		"Ana \u2764\uFE0E",                         // and with the text one
		"Ana \U0001F44D\U0001F3FD",                 // with a skin tone
		"Ana \U0001F469\u200D\U0001F4BB",           // a zero-width-joiner sequence
		"Ana \U0001F3F3\uFE0F\u200D\U0001F308",     // with a presentation selector inside
		"Ana \U0001F469\U0001F3FD\u200D\U0001F4BB", // with a skin tone inside
		"Team 1\uFE0F\u20E3",                       // a keycap
		"\U0001F1E7\U0001F1F7 Ana",                 // a flag
		"葛\U000E0100城",                             // an ideographic variation sequence
		"Ana\u00A0Lima",                            // a no-break space
		"+55 (11) 91234-5678",
	} {
		for _, field := range displayFields {
			u, err := NewClientUpdate(map[string]any{field: s})
			if err != nil {
				t.Errorf("%s %q: %v", field, s, err)
				continue
			}
			if got := storedText(u.ClientFields, field); got != s {
				t.Errorf("%s %q stored as %q, want it as typed", field, s, got)
			}
		}
	}
}

func storedText(f ClientFields, field string) string {
	switch field {
	case "display_name":
		return f.DisplayName
	case "phone":
		return *f.Phone
	case "brand":
		return *f.Brand
	case "shoeModel":
		return *f.ShoeModel
	}
	return *f.ExternalID
}

func TestNameKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"ANA LIMA", "ana lima"},
		{"Straße", "STRASSE"},
		{"Ｆｕｌｌ", "full"},
		{"ﬁnn", "FINN"},
		{"Jose\u0301", "JOSÉ"},
		{"ᏣᎳᎩ", "ꮳꮃꭹ"},
	} {
		if ka, kb := NameKey(tc.a), NameKey(tc.b); ka != kb {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: want them equal", tc.a, ka, tc.b, kb)
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 sessions", 1: "1 session", 2: "2 sessions", 12000: "12000 sessions"} {
		if got := Count(n, "session"); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}
