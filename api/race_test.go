//go:build race

package api_test

// raceDetector tells the tests that the race detector is on. It slows
// modernc's SQLite, which is Go, about twentyfold, so the bulk tests then
// move fewer rows: the code paths are the same, only not 100,000 times.
const raceDetector = true
