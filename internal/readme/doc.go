// Package readme holds the tests that keep README.md and docs/ true:
// TestREADME runs the README's walkthrough, its shell blocks in order, on
// each engine, TestDocLinks checks that the documents point only at
// files and headings in this repository, and TestReceiverExample that the
// README's webhook receiver is examples/webhookreceiver's, which its tests
// run. It has no code of its own.
package readme
