package steps

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// services keeps every Jitsi service enabled and running. Restarts come from
// the handlers of the files that changed, never from here.
type services struct{ *env }

func (*services) Name() string { return "Services" }

func (s *services) units() []string {
	u := []string{"prosody", "jicofo", "jitsi-videobridge2", "nginx"}
	if s.cfg.Jitsi.Turn {
		u = append(u, "coturn")
	}
	return u
}

func (s *services) Declare(*installer.Host) ([]installer.Resource, error) {
	var rs []installer.Resource
	for _, u := range s.units() {
		rs = append(rs, &installer.Service{Name: u})
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
