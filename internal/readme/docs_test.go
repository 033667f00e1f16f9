package readme

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// root is the repository's root, from this package's directory.
const root = "../.."

var (
	// link is a Markdown link's target.
	link = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// heading is a Markdown heading's text.
	heading = regexp.MustCompile(`(?m)^#{1,6} +(.+?) *$`)
	// outside are the ways a document can point outside the repository: a
	// parent directory, absolute paths of files (not /proc's), and the
	// notes the project keeps beside the repository, which its readers do
	// not have.
	outside = regexp.MustCompile("(^|[\\s(`'\"])(\\.\\./|/(work|home|tmp|usr|etc|var|opt)/)|shared/seeds|PRODUCT\\.md|STYLE\\.md")
)

// TestDocLinks: README.md and docs/*.md link only to files of the
// repository and to headings that exist, and name no file outside it.
func TestDocLinks(t *testing.T) {
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	docs = append(docs, filepath.Join(root, "README.md"))
	for _, doc := range docs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, doc)
		for i, line := range strings.Split(string(text), "\n") {
			if m := outside.FindString(line); m != "" {
				t.Errorf("%s:%d: %q points outside the repository", name, i+1, strings.TrimSpace(m))
			}
			for _, m := range link.FindAllStringSubmatch(line, -1) {
				if err := checkLink(doc, m[1]); err != "" {
					t.Errorf("%s:%d: link %s: %s", name, i+1, m[1], err)
				}
			}
		}
	}
}

// checkLink says what is wrong with the link target in doc, or "".
func checkLink(doc, target string) string {
	if strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	file, anchor, _ := strings.Cut(target, "#")
	path := doc
	if file != "" {
		path = filepath.Join(filepath.Dir(doc), file)
		rel, err := filepath.Rel(root, path)
		if filepath.IsAbs(file) || err != nil || strings.HasPrefix(rel, "..") {
			return "outside the repository"
		}
		if _, err := os.Stat(path); err != nil {
			return "no such file"
		}
	}
	if anchor == "" {
		return ""
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return "no headings to link to"
	}
	for _, h := range heading.FindAllStringSubmatch(string(text), -1) {
		if slug(h[1]) == anchor {
			return ""
		}
	}
	return "no such heading"
}

// slug is the anchor GitHub gives a heading: lower case, spaces to
// hyphens, and punctuation other than hyphens and underscores dropped.
func slug(h string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '-'
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			return unicode.ToLower(r)
		}
		return -1
	}, h)
}
