package api_test

import (
	"net/url"
	"slices"
	"testing"
)

// TestUnicodeTwins makes the look-alike emails and names of issue 8 over
// HTTP: each is refused with what is wrong, and the forms of one address
// that are accepted are one address.
func TestUnicodeTwins(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.signup("kate@k.example")
		for email, want := range map[string]string{
			"\u212Aate@k.example":  `email: must be written "Kate@k.example": U+212A KELVIN SIGN stands for "K"`,
			"ｋate@k.example":       `email: must be written "kate@k.example": U+FF4B FULLWIDTH LATIN SMALL LETTER K stands for "k"`,
			"ka\u200Bte@k.example": "email: must not contain invisible or formatting characters (U+200B ZERO WIDTH SPACE)",
			"kаte@k.example":       `email: must not mix scripts (Latin and Cyrillic) in "kаte"`, // a Cyrillic а
			"\u202Eelpmaxe.k@etak": "email: must not contain bidirectional control characters (U+202E RIGHT-TO-LEFT OVERRIDE)",
		} {
			r := e.post("/auth/signup", map[string]string{"email": email, "password": testPassword, "display_name": "Twin"})
			if r.Status != 400 || r.errorText(t) != want {
				t.Errorf("sign-up as %q: %d %s, want 400 %q", email, r.Status, r.Body, want)
			}
		}

		// One address in its accepted forms: the second client is the
		// first one's email.
		prefix := prefixes[0]
		first := e.create(prefix, map[string]any{"email": "straße@bücher.example", "display_name": "Anna Straße"})
		for _, email := range []string{"STRASSE@bücher.example", "strasse@xn--bcher-kva.example", "Straße@BÜCHER.example"} {
			r := e.json("POST", prefix+"/", map[string]any{"email": email, "display_name": "Twin"})
			if r.Status != 400 || r.errorText(t) != "email: a client with this email already exists" {
				t.Errorf("client %q beside %q: %d %s, want the email taken", email, first.Email, r.Status, r.Body)
			}
		}

		r := e.json("POST", prefix+"/", map[string]any{"email": "ana@example.com", "display_name": "Ana \u202Eamil"})
		if want := "display_name: must not contain bidirectional control characters (U+202E RIGHT-TO-LEFT OVERRIDE)"; r.Status != 400 || r.errorText(t) != want {
			t.Errorf("a name with a bidi override: %d %s, want 400 %q", r.Status, r.Body, want)
		}
		ana := e.create(prefix, map[string]any{"email": "ana@example.com", "display_name": "Ana \u2764\uFE0F"})

		// Search folds like the keys; a Unicode domain is found with its
		// "@" or by its xn-- form.
		for q, want := range map[string][]string{
			"STRASSE":       {first.UserUID},
			"@Bücher":       {first.UserUID},
			"xn--bcher":     {first.UserUID},
			"bücher":        nil,
			"\u2764\uFE0F":  {ana.UserUID},
			"STRASSE@XN--B": {first.UserUID},
		} {
			if got := e.streamedList(prefix + "/?q=" + url.QueryEscape(q)); !slices.Equal(got, want) {
				t.Errorf("search %q: %v, want %v", q, got, want)
			}
		}
	})
}
