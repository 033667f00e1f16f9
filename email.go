package roster

import (
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// EmailKey is the form of an email that uniqueness and comparison are
// decided on: the local part folded as names are (NFKC, then full case
// folding), the domain in its IDNA ASCII form, so that "Kate@Bücher.example"
// and "kate@xn--bcher-kva.example" are one address. It is computed in Go
// because the engines fold differently (SQLite's lower() folds ASCII only).
// An ASCII address is only lower-cased, as keys always were.
//
// It makes a key of any string, search fragments and addresses that
// ValidateEmail refuses included, and its result never holds an ASCII
// capital letter: a stored key that does can never be found by an email.
func EmailKey(email string) string {
	if isASCII(email) {
		return strings.ToLower(email)
	}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return fold(email)
	}
	return fold(email[:at]) + "@" + domainKey(email[at+1:])
}

// emailDomain is the IDNA profile of email domains: the Lookup profile that
// resolvers use (UTS #46 mapping, non-transitional so that "ß" stays "ß" as
// in IDNA2008; letters, digits and hyphens only; hyphen, joiner and bidi
// rules), and DNS's lengths, since mail goes to a domain that resolves.
var emailDomain = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true))

// domainKey is a domain's IDNA ASCII form or, for what IDNA refuses (a
// search fragment's partial domain), its folded form.
func domainKey(domain string) string {
	if a, err := emailDomain.ToASCII(domain); err == nil {
		return a
	}
	return fold(domain)
}

// ValidateEmail checks that s is one plain address (no display name) that
// mail reaches exactly as its key reads: no invisible, formatting or
// bidirectional characters, no compatibility variants of letters, a domain
// that IDNA accepts, and a local part and domain labels that do not mix
// scripts the way look-alike addresses do.
func ValidateEmail(s string) error {
	if len(s) > 254 {
		return fmt.Errorf("must be at most 254 characters")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("must be valid UTF-8")
	}
	for _, r := range s {
		if why := refusal(r); why != "" {
			return fmt.Errorf("must not contain %s (%s)", why, describe(r))
		}
	}
	if plain := norm.NFKC.String(s); plain != s {
		return notPlain(s, plain)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return fmt.Errorf("must be a valid email address")
	}
	// ParseAddress takes no quoted local part back as given: there is one @.
	at := strings.LastIndexByte(s, '@')
	labels, ok := domainLabels(s[at+1:])
	if !ok {
		return fmt.Errorf("must have a valid domain name, not %q", s[at+1:])
	}
	return checkScripts(append([]string{s[:at]}, labels...))
}

// domainLabels returns the labels of a domain that IDNA accepts, in Unicode
// form, A-labels decoded. UTS #46's mapping lets symbols and emoji through,
// which IDNA2008 refuses: labels are held to letters, marks, digits and
// hyphens.
func domainLabels(domain string) ([]string, bool) {
	// An ideographic full stop (U+3002) at the end maps to a trailing dot,
	// the DNS root: "x.example。" would be a second key of "x.example".
	if a, err := emailDomain.ToASCII(domain); err != nil || strings.HasSuffix(a, ".") || strings.Contains(a, "..") {
		return nil, false
	}
	u, err := emailDomain.ToUnicode(domain)
	notLDH := func(r rune) bool { return r != '-' && !unicode.In(r, unicode.L, unicode.M, unicode.Nd) }
	if err != nil || strings.ContainsFunc(u, func(r rune) bool { return r != '.' && notLDH(r) }) {
		return nil, false
	}
	return strings.Split(u, "."), true
}

// notPlain explains why s is not in NFKC form, the form its key is made
// from, and shows the plain form to write instead: mail sent to the form
// typed could reach another mailbox than the one the key stands for.
func notPlain(s, plain string) error {
	for _, r := range s {
		if p := norm.NFKC.String(string(r)); p != string(r) {
			return fmt.Errorf("must be written %q: %s stands for %q", plain, describe(r), p)
		}
	}
	return fmt.Errorf("must be written %q, with accents composed with their letters", plain)
}

// checkScripts refuses a local part or domain label that mixes scripts,
// as "pаypal" with a Cyrillic "а" does, unless it is one of Unicode TS #39's
// highly restrictive combinations (Japanese, Chinese and Korean with
// Latin). Common characters (digits, punctuation) and inherited ones
// (combining marks) belong to every script.
func checkScripts(parts []string) error {
	for _, part := range parts {
		if scripts := scriptsOf(part); !mixable(scripts) {
			return fmt.Errorf("must not mix scripts (%s) in %q", joinAnd(scripts), part)
		}
	}
	return nil
}

// scriptNames are the scripts a character can belong to apart from Common
// and Inherited, in a fixed order.
var scriptNames = slices.DeleteFunc(slices.Sorted(maps.Keys(unicode.Scripts)),
	func(name string) bool { return name == "Common" || name == "Inherited" })

// scriptsOf lists the scripts of s's characters, Common and Inherited
// aside, in the order they first appear.
func scriptsOf(s string) []string {
	var scripts []string
	last := ""
	for _, r := range s {
		if last == "" || !unicode.Is(unicode.Scripts[last], r) {
			last = scriptOf(r)
		}
		if last != "" && !slices.Contains(scripts, last) {
			scripts = append(scripts, last)
		}
	}
	return scripts
}

// scriptOf returns r's script, "" for Common and Inherited.
func scriptOf(r rune) string {
	switch {
	case r < utf8.RuneSelf && unicode.IsLetter(r):
		return "Latin"
	case r < utf8.RuneSelf || unicode.In(r, unicode.Common, unicode.Inherited):
		return ""
	}
	for _, name := range scriptNames {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	return ""
}

// highlyRestrictive are the combinations of scripts that Unicode TS #39's
// highly restrictive level allows beside a single script.
var highlyRestrictive = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

func mixable(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	return slices.ContainsFunc(highlyRestrictive, func(allowed []string) bool {
		return !slices.ContainsFunc(scripts, func(s string) bool { return !slices.Contains(allowed, s) })
	})
}

// joinAnd joins names as "A, B and C".
func joinAnd(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
