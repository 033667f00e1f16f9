package readme

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goBlock is a block of README.md fenced as go: its lines.
var goBlock = regexp.MustCompile("(?ms)^```go\n(.*?)^```$")

// receiverLines is what issue 13 promises of the README's webhook
// receiver: ten lines.
const receiverLines = 10

// TestReceiverExample: the webhook receiver README.md shows is the Verify
// function of examples/webhookreceiver, line for line, and at most
// receiverLines long; that package's tests, and package api's against
// real deliveries, run it, so that the README's code compiles and works.
func TestReceiverExample(t *testing.T) {
	const file = "examples/webhookreceiver/receiver.go"
	src, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, src, 0)
	if err != nil {
		t.Fatal(err)
	}
	var verify string
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "Verify" {
			verify = string(src[fset.Position(fn.Pos()).Offset:fset.Position(fn.End()).Offset]) + "\n"
		}
	}
	if n := strings.Count(verify, "\n"); n == 0 || n > receiverLines {
		t.Fatalf("%s: Verify has %d lines, want 1 to %d", file, n, receiverLines)
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, m := range goBlock.FindAllStringSubmatch(string(md), -1) {
		if strings.Contains(m[1], "webhook-signature") {
			shown = append(shown, m[1])
		}
	}
	if len(shown) != 1 || shown[0] != verify {
		t.Errorf("README.md's receiver is not %s's Verify; its blocks with webhook-signature:\n%s\nwant:\n%s", file, strings.Join(shown, "\n"), verify)
	}
}
