package steps

import (
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// apt-get update runs once on a fresh host: the update for missing package
// lists comes after the proxy is set, so a new proxy asks for none of its
// own; on a host with lists, a changed proxy does.
func TestAptUpdateOnceOnAFreshHost(t *testing.T) {
	for _, tc := range []struct {
		name      string
		code      int // of the lists query: 0 when the host has lists
		proxyAsks bool
	}{{"fresh host", 1, false}, {"host with package lists", 0, true}} {
		h := installertest.NewHost("h", 22, nil)
		h.SetFact(aptListsFact.Name, installer.Probed{Code: tc.code})
		s := &aptSettings{&env{cfg: &answers.Config{APT: answers.APT{Proxy: "http://10.213.1.1:3142"}}}}
		rs, err := s.Declare(h)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := rs[0].(*resource.File)
		if !ok || f.Path != aptProxyConf {
			t.Fatalf("%s: first resource %v, want the proxy file", tc.name, rs[0].Key())
		}
		asks := false
		for _, hd := range f.Notifies() {
			asks = asks || hd.Name == resource.AptUpdate.Name
		}
		if asks != tc.proxyAsks {
			t.Errorf("%s: the proxy file asks for apt-get update: %v, want %v", tc.name, asks, tc.proxyAsks)
		}
	}
}
