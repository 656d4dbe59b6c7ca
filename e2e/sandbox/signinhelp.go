package sandbox

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strings"
)

// SignInHelp tells how to sign in on t's Jitsi Meet in a browser, as `make
// demo` ends: the room's address, the demo user, and a Chromium command
// line on this machine that reaches the sandbox's names and trusts its
// certificates (the e2e sign-in test starts its browser from that line).
func (t *Target) SignInHelp(out io.Writer) {
	password, err := os.ReadFile(t.DemoPasswordFile)
	if err != nil {
		fmt.Fprintf(out, "\nNo demo user to sign in with: %v\n", err)
		return
	}
	spki, err := t.BrowserSPKI()
	if err != nil {
		fmt.Fprintf(out, "\nCannot read the served certificates for the browser: %v\n", err)
		return
	}
	hosts := t.BrowserHosts()
	names := make([]string, 0, len(hosts))
	var rules []string
	for name := range hosts {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rules = append(rules, "MAP "+name+" "+hosts[name])
	}
	iss, _ := url.Parse(t.JanssenIssuer)
	fmt.Fprintf(out, `
Sign in at https://%[1]s/demo (the room "demo"): Sign in, then
  user:     %[2]s
  password: %[3]s
A browser on this machine (a throw-away profile that reaches the sandbox's
names and trusts its two certificates; as root add --no-sandbox):
  chromium --user-data-dir=$(mktemp -d) --host-resolver-rules=%[4]q \
    --ignore-certificate-errors-spki-list=%[5]s https://%[1]s/demo
From another machine: forward both servers and name them there, as root
(the sign-in returns to https://%[1]s/ on port 443):
  sudo ssh -L 443:%[6]s:443 -L %[7]s:%[8]s:%[7]s root@THIS-MACHINE
and in its hosts file: 127.0.0.1 %[1]s %[9]s
then trust the CA certificates %[10]s and %[11]s in that browser (or accept
both certificate warnings: open https://%[9]s:%[7]s/jans-auth/.well-known/openid-configuration
first, or the sign-in's token request fails).
`, t.Domain, t.DemoUser, strings.TrimSpace(string(password)), strings.Join(rules, ", "), strings.Join(spki, ","),
		t.Address, iss.Port(), t.HostAddress, iss.Hostname(), t.ACMERoot, t.JanssenCA)
}
