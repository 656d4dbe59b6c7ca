package sandbox

import (
	"bytes"
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// WriteClusterAnswers writes an answers file for a core (t) and videobridge
// hosts, the i-th in regions[i] (all in the deployment's region when
// regions is short), next to t's own answers file, and returns its path.
// The targets should share a network (Options.Network).
func (t *Target) WriteClusterAnswers(name string, bridges []*Target, regions []string) (string, error) {
	b, err := renderAnswers(&t.State)
	if err != nil {
		return "", err
	}
	var a answersFile
	if err := yaml.Unmarshal(b, &a); err != nil {
		return "", fmt.Errorf("cluster answers: %w", err)
	}
	for i, br := range bridges {
		h := answersHost{Address: br.Address, Port: br.Port, User: br.User, KeyFile: br.KeyFile, HostKey: br.HostKey, Role: "videobridge"}
		if br.SudoPasswordFile != "" {
			h.SudoPassword = "${file:" + br.SudoPasswordFile + "}"
		}
		if i < len(regions) {
			h.Region = regions[i]
		}
		a.Hosts = append(a.Hosts, h)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Answers for sandbox target %s with %d videobridge hosts, made by the sandbox.\n", t.Name, len(bridges))
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(a); err != nil {
		return "", fmt.Errorf("cluster answers: %w", err)
	}
	path := filepath.Join(t.dir, name)
	return path, writeFileAtomic(path, buf.Bytes(), 0o600)
}
