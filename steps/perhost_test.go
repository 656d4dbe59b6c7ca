package steps

import (
	"slices"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
)

// TestPerHostMakesOncePerHost: every step of a host sees the value its
// first step made; another host gets its own.
func TestPerHostMakesOncePerHost(t *testing.T) {
	var p perHost[int]
	made := 0
	next := func() int { made++; return made }
	a, b := installertest.NewHost("a", 22, nil), installertest.NewHost("b", 22, nil)
	got := []int{p.get(a, next), p.get(a, next), p.get(b, next), p.get(a, next)}
	if want := []int{1, 1, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("values = %v, want %v", got, want)
	}
}
