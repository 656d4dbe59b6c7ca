//go:build e2e

package sandbox

import (
	"context"
	"net"
	"strings"
	"testing"
)

// Two targets on one shared network reach each other and each other's
// daemon, but no other target; the bridge goes with the last of them.
func TestSharedNetwork(t *testing.T) {
	other := bringUp(t, Options{Name: "x-nother"})
	a := bringUp(t, Options{Name: "x-neta", Suite: "bookworm", Network: "x-nt"})
	b := bringUp(t, Options{Name: "x-netb", Suite: "trixie", Network: "x-nt"})
	if !strings.HasPrefix(a.Address, "10.213.25") || !strings.HasPrefix(b.Address, "10.213.25") {
		t.Fatalf("addresses %s, %s: not on a shared network", a.Address, b.Address)
	}
	ctx := testContext(t)
	probe := func(from *Target, addr string) bool {
		host, port, _ := net.SplitHostPort(addr)
		out, _ := from.SSH(ctx, "timeout 3 bash -c 'echo > /dev/tcp/"+host+"/"+port+"' 2>/dev/null && echo open")
		return strings.TrimSpace(out) == "open"
	}
	for _, tc := range []struct {
		from *Target
		to   string
		want bool
	}{
		{a, net.JoinHostPort(b.Address, "22"), true},
		{b, net.JoinHostPort(a.Address, "22"), true},
		{b, net.JoinHostPort(a.HostAddress, "8000"), true}, // a's stand-in repository
		{a, net.JoinHostPort(other.Address, "22"), false},
		{a, net.JoinHostPort(other.HostAddress, "8000"), false},
	} {
		if got := probe(tc.from, tc.to); got != tc.want {
			t.Errorf("%s -> %s: reached %v, want %v", tc.from.Name, tc.to, got, tc.want)
		}
	}
	if err := a.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := net.InterfaceByName(bridgeName("x-nt")); err != nil {
		t.Errorf("bridge gone with a member left: %v", err)
	}
	if err := b.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := net.InterfaceByName(bridgeName("x-nt")); err == nil {
		t.Error("bridge left after the last member")
	}
}
