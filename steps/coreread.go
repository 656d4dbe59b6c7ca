package steps

import (
	"errors"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// coreRead is the core read, not changed, for a run limited to some of its
// videobridges (--limit): what they need of the core comes from what the
// core has now, as the core's own run left it.
type coreRead struct{ *env }

func (*coreRead) Name() string { return "The core's values for its videobridges" }

func (s *coreRead) Queries(*installer.Host) []installer.Query {
	return []installer.Query{recordFact.Query(), jvbFact.Query(), authCertQuery(s.cfg.Domain)}
}

// Declare implements installer.Step: it declares nothing, and refuses a
// core that has no jvb password yet: a bridge given a made-up one could
// never log in.
func (s *coreRead) Declare(h *installer.Host) ([]installer.Resource, error) {
	if s.jvbPassword(h) == "" {
		return nil, errors.New("the core has no jvb password yet: install the core first, or include it in --limit")
	}
	return nil, nil
}

// Produce implements installer.Producer.
func (s *coreRead) Produce(h *installer.Host) {
	jvb := s.jvbPassword(h)
	h.Secret(jvb)
	s.core.Set(h, coreOut{Address: s.answersHost(h).Address, JVBPassword: jvb})
	s.coreCert.Set(h, authCertFact.Get(h))
}

// jvbPassword is the core's jvb password: the installer's record first,
// then the bridge's configuration on the core, as the secrets step finds it.
func (s *coreRead) jvbPassword(h *installer.Host) string {
	if rec := recordFact.Get(h); rec.Set.JVB != "" {
		return rec.Set.JVB
	}
	return jvbFact.Get(h).Secret
}
