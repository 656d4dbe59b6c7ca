package steps

import (
	"encoding/json"
	"fmt"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// The installer's own state on the host, root's alone.
const (
	stateDir    = "/var/lib/jitsi-installer"
	secretsFile = stateDir + "/secrets.json"
)

// secrets records the secrets and the answers on the host, and makes sure
// Prosody's focus and jvb accounts have exactly those passwords.
type secrets struct{ *env }

func (*secrets) Name() string { return "Secrets" }

func (s *secrets) Queries(*installer.Host) []installer.Query {
	return append(secretQueries(), accountQueries(s.cfg.Domain)...)
}

// Produce implements installer.Producer: the core's address and the jvb
// account's password, which a videobridge host's packages wait for.
func (s *secrets) Produce(h *installer.Host) {
	s.core.Set(h, coreOut{Address: s.answersHost(h).Address, JVBPassword: secretsFor(h, s.env).JVB})
}

func (s *secrets) Declare(h *installer.Host) ([]installer.Resource, error) {
	sec := secretsFor(h, s.env)
	state, err := json.MarshalIndent(sec, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("record the secrets: %w", err)
	}
	rs := []installer.Resource{
		&resource.Dir{Path: stateDir, Mode: 0o700},
		&resource.File{Path: secretsFile, Mode: 0o600, Secret: true, Content: append(state, '\n')},
	}
	if f := s.answersFile(); f != nil {
		rs = append(rs, f)
	}
	return append(rs, accounts(h, s.cfg.Domain, map[string]string{"focus": sec.Focus, "jvb": sec.JVB})...), nil
}
