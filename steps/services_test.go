package steps

import (
	"fmt"
	"testing"
)

func TestRestartStartsWhatTheServiceNeeds(t *testing.T) {
	for _, tc := range []struct{ unit, want string }{
		{"prosody", "[[systemctl restart prosody]]"},
		{"jicofo", "[[systemctl start prosody] [systemctl restart jicofo]]"},
		{"jitsi-videobridge2", "[[systemctl start prosody] [systemctl restart jitsi-videobridge2]]"},
		{"coturn", "[[systemctl restart coturn]]"},
	} {
		if got := fmt.Sprint(restart(tc.unit).Cmds); got != tc.want {
			t.Errorf("restart %s runs %s, want %s", tc.unit, got, tc.want)
		}
	}
}

func TestServicesStartBeforeTheirDependents(t *testing.T) {
	s := &services{&env{cfg: testConfig(t)}}
	pos := map[string]int{}
	for i, u := range s.units() {
		pos[u] = i
	}
	for _, u := range unitNeeds {
		for _, n := range u.needs {
			if pos[n] > pos[u.unit] {
				t.Errorf("%s starts after %s, which needs it", n, u.unit)
			}
		}
	}
}
