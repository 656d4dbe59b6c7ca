package steps

import (
	"fmt"
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// SecretsFile is where the installer keeps the host's generated secrets:
// logs masks them.
const SecretsFile = secretsFile

// logSources is where each component logs on a host installed by these
// steps: its unit's journal and the files Debian's packages write.
var logSources = []installer.LogSource{
	{Component: "prosody", Units: []string{"prosody"}, Files: []string{"/var/log/prosody/prosody.log"}},
	{Component: "jicofo", Units: []string{"jicofo"}, Files: []string{"/var/log/jitsi/jicofo.log"}},
	{Component: "jvb", Units: []string{"jitsi-videobridge2"}, Files: []string{"/var/log/jitsi/jvb.log"}},
	{Component: "nginx", Units: []string{"nginx"}, Files: []string{"/var/log/nginx/error.log", "/var/log/nginx/access.log"}},
	{Component: "coturn", Units: []string{"coturn"}},
}

// componentAliases are other names operators use.
var componentAliases = map[string]string{
	"bridge": "jvb", "videobridge": "jvb", "jitsi-videobridge2": "jvb",
	"turn": "coturn", "turnserver": "coturn", "web": "nginx",
}

// LogSources returns the sources of the named components (all without
// names), or an error naming the known ones.
func LogSources(cfg *answers.Config, names []string) ([]installer.LogSource, error) {
	known := []string{}
	for _, s := range logSources {
		if s.Component != "coturn" || cfg.Jitsi.Turn {
			known = append(known, s.Component)
		}
	}
	if len(names) == 0 {
		names = known
	}
	var out []installer.LogSource
	for _, n := range names {
		n = strings.ToLower(n)
		if a, ok := componentAliases[n]; ok {
			n = a
		}
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("unknown component %q: one of %s (or bridge, turn)", n, strings.Join(known, ", "))
		}
		for _, s := range logSources {
			if s.Component == n && !slices.ContainsFunc(out, func(o installer.LogSource) bool { return o.Component == n }) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}
