package installer_test

import (
	"slices"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
)

// Every step of a host sees the value its first step made; another host,
// or another kind of value, gets its own.
func TestHostValueMadeOncePerHost(t *testing.T) {
	var v, w installer.HostValue[int]
	made := 0
	next := func() int { made++; return made }
	a, b := installertest.NewHost("a", 22, nil), installertest.NewHost("b", 22, nil)
	got := []int{v.Get(a, next), v.Get(a, next), v.Get(b, next), v.Get(a, next), w.Get(a, next)}
	if want := []int{1, 1, 2, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
}
