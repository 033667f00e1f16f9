// Package nettest helps tests that run real servers on real ports.
package nettest

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address with a port that was free a moment
// ago, for a server that must be told its address before it listens.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
