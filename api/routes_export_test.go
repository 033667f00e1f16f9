package api

import "testing"

// The route table and the guards' refusals, for the tests generated from
// them in package api_test.
var (
	Routes        = routes
	NoCredentials = errNoCredentials.Error()
	PersonOnly    = errPersonOnly.Error()
)

// SetProgressEveryForTest makes imports send a progress line every n rows
// until t ends. The api tests run one at a time.
func SetProgressEveryForTest(t testing.TB, n int) {
	old := progressEvery
	progressEvery = n
	t.Cleanup(func() { progressEvery = old })
}
