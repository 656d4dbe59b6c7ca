// Package loopback finds ports for the test servers the harness starts on
// 127.0.0.1 (oidc-provider, Pebble's DNS management, Prosody) and serves
// their connections.
package loopback

import (
	"fmt"
	"net"
	"testing"
)

// FreePort is a TCP port on 127.0.0.1 that nothing listens on now. The
// caller binds it soon after: another process may take it in between.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Port is FreePort for a test, which fails when there is none.
func Port(t testing.TB) int {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}
