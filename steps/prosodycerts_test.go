package steps

import (
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// coturn's user must pass through /etc/coturn to its copies: both
// directories are declared with owner and mode, and the hook runs again
// when turnserver cannot read a copy or coturn has no TLS listener.
func TestProsodyCertsDeclareCoturnsDirectories(t *testing.T) {
	cfg := testConfig(t)
	cfg.Jitsi.Turn = true
	rs, err := (&prosodyCerts{&env{cfg: cfg}}).Declare(testHost(nil))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var guard string
	for _, r := range rs {
		switch r := r.(type) {
		case *resource.Dir:
			got = append(got, r.Path+" "+r.Owner+" "+r.Mode.String())
		case *resource.Command:
			guard = strings.Join(r.Unless, " ")
		}
	}
	if want := "/etc/coturn  -rwxr-xr-x\n/etc/coturn/certs turnserver -rwx------"; strings.Join(got, "\n") != want {
		t.Errorf("directories:\n%s\nwant\n%s", strings.Join(got, "\n"), want)
	}
	for _, s := range []string{"runuser -u turnserver -- test -r", "sport = :5349", "/etc/coturn/certs/" + cfg.Domain + ".privkey.pem"} {
		if !strings.Contains(guard, s) {
			t.Errorf("the deploy command's guard does not check %q:\n%s", s, guard)
		}
	}
	cfg.Jitsi.Turn = false
	rs, _ = (&prosodyCerts{&env{cfg: cfg}}).Declare(testHost(nil))
	if len(rs) != 1 {
		t.Errorf("without TURN: %d resources, want the deploy command only", len(rs))
	}
}
