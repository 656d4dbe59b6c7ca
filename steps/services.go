package steps

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// unitNeeds is, for each service the installer manages, in the order they
// start, the services it needs running first: Jicofo and the bridge log in
// to Prosody, and one that (re)starts without it comes up unhealthy. The
// Services step and the restart handlers both follow it.
var unitNeeds = []struct {
	unit  string
	needs []string
}{
	{"prosody", nil},
	{"jicofo", []string{"prosody"}},
	{"jitsi-videobridge2", []string{"prosody"}},
	{"nginx", nil},
	{"coturn", nil},
}

// restart is the handler of a service whose configuration changed: it
// starts what the service needs first (a stopped Prosody, during a repair),
// then restarts it.
func restart(unit string) installer.Handler {
	h := installer.Restart(unit)
	for _, u := range unitNeeds {
		if u.unit == unit {
			var cmds [][]string
			for _, n := range u.needs {
				cmds = append(cmds, []string{"systemctl", "start", n})
			}
			h.Cmds = append(cmds, h.Cmds...)
		}
	}
	return h
}

// services keeps every Jitsi service enabled and running. Restarts come from
// the handlers of the files that changed, never from here.
type services struct{ *env }

func (*services) Name() string { return "Services" }

func (s *services) units() []string {
	var us []string
	for _, u := range unitNeeds {
		if s.runs(u.unit) {
			us = append(us, u.unit)
		}
	}
	return us
}

func (s *services) Declare(*installer.Host) ([]installer.Resource, error) {
	var rs []installer.Resource
	for _, u := range s.units() {
		// nginx may serve other sites: uninstall takes the meeting's
		// away and leaves the server running.
		rs = append(rs, &resource.Service{Name: u, Keep: u == "nginx"})
	}
	return rs, nil
}

func (s *services) Checks(*installer.Host) []installer.Check {
	var cs []installer.Check
	for _, u := range s.units() {
		cs = append(cs, serviceCheck(u))
	}
	return cs
}
