// Package readme holds the tests that keep README.md and docs/ true:
// TestREADME runs the README's walkthrough, its shell blocks in order, on
// each engine, and TestDocLinks checks that the documents point only at
// files and headings in this repository. It has no code of its own.
package readme
