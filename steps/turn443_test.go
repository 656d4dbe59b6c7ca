package steps

import (
	"slices"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers/answerstest"
)

// TURN on port 443: the stream block, the stream module, the name in the
// certificate; turned off, the block goes and the web server is back on 443.
func TestTURN443(t *testing.T) {
	stream := "file " + assets.Dest(assets.NginxStream, "meet.example.com")
	remove := "command remove the stream block of TURN on port 443"
	const base = answerstest.Minimal + "  client_id: jitsi-meet\n"
	for _, c := range []struct {
		name, answers string
		want, not     []string // resource keys
		packages      bool     // libnginx-mod-stream among the base packages
		site          string   // in the nginx site
	}{
		{name: "off", answers: base,
			want: []string{remove}, not: []string{stream}, site: "listen 443 ssl http2;"},
		{name: "letsencrypt", answers: base + "turn:\n  tls_443_host: turn.meet.example.com\n",
			want: []string{stream, "command certbot certificate for meet.example.com and turn.meet.example.com"}, not: []string{remove},
			packages: true, site: "listen " + assets.WebLoopback + " ssl http2 proxy_protocol;"},
		{name: "self-signed", answers: strings.Replace(base, "letsencrypt:\n  email: ops@example.com\n", "tls:\n  mode: self-signed\n", 1) +
			"turn:\n  tls_443_host: turn.meet.example.com\n",
			want: []string{stream, "command self-signed certificate for meet.example.com and turn.meet.example.com"}, not: []string{remove},
			packages: true, site: "proxy_protocol"},
		{name: "without coturn", answers: base + "jitsi:\n  turn: false\n",
			want: []string{remove}, not: []string{stream}, site: "listen 443 ssl http2;"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := answers.Parse("test.yaml", []byte(c.answers), answers.Options{})
			if err != nil {
				t.Fatal(err)
			}
			h := installertest.NewHost("203.0.113.10", 22, map[string]string{factOS: bookworm, factSecrets: coreSecrets})
			list := List(cfg, Options{})
			rs := declared(t, list, "TURN on port 443", h)
			for _, k := range c.want {
				if rs[k] == nil {
					t.Errorf("no %s in %v", k, keys(rs))
				}
			}
			for _, k := range c.not {
				if rs[k] != nil {
					t.Errorf("%s declared", k)
				}
			}
			for _, r := range rs {
				if cmd, ok := r.(*resource.Command); ok && strings.Contains(cmd.Name, "certificate") {
					if !slices.Contains(cmd.Unless, "turn.meet.example.com") {
						t.Errorf("%s does not run only when the certificate lacks the name: %v", cmd.Name, cmd.Unless)
					}
				}
			}
			var pkgs []string
			for _, r := range declared(t, list, "Base packages", h) {
				if p, ok := r.(*resource.Packages); ok {
					pkgs = append(pkgs, p.Names...)
				}
			}
			if got := slices.Contains(pkgs, "libnginx-mod-stream"); got != c.packages {
				t.Errorf("libnginx-mod-stream installed: %v, want %v", got, c.packages)
			}
			site := content(t, declared(t, list, "nginx site", h), "file "+assets.Dest(assets.Nginx, "meet.example.com"))
			if !strings.Contains(site, c.site) {
				t.Errorf("the nginx site lacks %q", c.site)
			}
		})
	}
}
