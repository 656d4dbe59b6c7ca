package steps

import (
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// AnswersFile is where every run records the answers it converged the host
// with, secrets as ${env:...} references: the interactive installer's
// defaults on the next run.
const AnswersFile = stateDir + "/answers.yaml"

// answersFile records the run's answers as Marshal writes them: the same
// answers give the same bytes, so a converged host stays converged. Marshal
// writes secrets as references; a password inside a URL it keeps, so such a
// file is not shown in diffs. Answers Marshal cannot write are not recorded:
// they are a convenience, not worth failing the install for.
func (s *secrets) answersFile() *resource.File {
	data, err := answers.Marshal(s.cfg)
	if err != nil {
		return nil
	}
	secret := false
	for _, v := range s.cfg.Secrets() {
		secret = secret || strings.Contains(string(data), v)
	}
	return &resource.File{Path: AnswersFile, Mode: 0o600, Secret: secret, Content: data}
}
