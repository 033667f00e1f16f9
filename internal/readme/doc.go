// Package readme holds the tests that keep README.md and docs/ true:
// TestDocLinks checks that the documents point only at files and headings
// in this repository. It has no code of its own.
package readme
