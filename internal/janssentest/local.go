package janssentest

import (
	"net"
	"os"
	"path/filepath"
	"testing"
)

// StartLocal serves a stand-in on a free loopback port until t ends, and
// writes its CA certificate into t's temp dir for clients to trust.
func StartLocal(t testing.TB) (s *Server, caFile string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s, err = New([]string{"127.0.0.1"}, l.Addr().(*net.TCPAddr).Port)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { l.Close() })
	caFile = filepath.Join(t.TempDir(), "janssen-ca.pem")
	if err := os.WriteFile(caFile, s.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	return s, caFile
}
