// Package openapitest reads the AiKYNETIX seed's OpenAPI documents, for the
// tests that check Roster against them.
package openapitest

import (
	"cmp"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// The admin-management seed: a document with four of its operations, and a
// page that embeds each of its eight operations as a JSON OpenAPI fragment
// in a ```json block. The seeds live beside the repository, not in it: by
// default in shared/seeds beside the checkout, seen from a package one
// level below it; EnvDir names another directory (a git worktree's).
const (
	// SeedFile is the admin-management seed's document.
	SeedFile      = "admin-management.openapi.json"
	seedPagesFile = "002_77e6c5f79eee7fc8.txt"
	defaultDir    = "../../shared/seeds"
	EnvDir        = "ROSTER_TEST_SEEDS"
)

// Seeds returns the seed document followed by the page's fragments, or
// nil when the seed file is absent (a clone without the seeds beside it).
func Seeds(t testing.TB) []*openapi3.T {
	t.Helper()
	data := Read(t, SeedFile)
	if data == nil {
		return nil
	}
	docs := [][]byte{data}
	page := string(Read(t, seedPagesFile))
	for {
		_, rest, ok := strings.Cut(page, "```json\n")
		if !ok {
			break
		}
		block, after, _ := strings.Cut(rest, "\n```")
		docs, page = append(docs, []byte(block)), after
	}
	var out []*openapi3.T
	for i, d := range docs {
		doc, err := openapi3.NewLoader().LoadFromData(d)
		if err != nil {
			t.Fatalf("load seed %d: %v", i, err)
		}
		out = append(out, doc)
	}
	return out
}

// Path is where the seed file name is.
func Path(name string) string { return filepath.Join(cmp.Or(os.Getenv(EnvDir), defaultDir), name) }

// Read returns the seed file name, or nil when it is absent.
func Read(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(Path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return data
}
