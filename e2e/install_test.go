//go:build e2e

// Package e2e runs the installer against real Debian and Ubuntu targets:
// systemd, apt, Prosody, nginx, certbot, UFW and Pebble are the real thing; only
// Jitsi's packages and Janssen are stand-ins (see standin/ and janssen/).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

var installer string // the binary under test, built once

func TestMain(m *testing.M) {
	if os.Geteuid() != 0 {
		os.Exit(m.Run()) // every test skips: no installer to build
	}
	os.Exit(testenv.RunWithInstaller(m, &installer))
}

// up boots a target and removes it when the test ends.
func up(t *testing.T, name, suite, user string) *sandbox.Target {
	t.Helper()
	return boot(t, sandbox.Options{Name: name, Suite: suite, User: user})
}

// boot boots the target o describes, logging to t, and removes it when the
// test ends.
func boot(t *testing.T, o sandbox.Options) *sandbox.Target {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	o.Log = testenv.Log(t)
	tg, err := sandbox.Up(ctx, o)
	if err != nil {
		t.Fatalf("sandbox up %s: %v", o.Name, err)
	}
	t.Cleanup(func() {
		if err := tg.Down(context.Background()); err != nil {
			t.Errorf("sandbox down %s: %v", o.Name, err)
		}
	})
	return tg
}

// result is one run of the installer.
type result struct {
	code   int
	out    string
	events []map[string]any
}

func (r result) summary() map[string]any {
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i]["type"] == "run.finished" {
			s, _ := r.events[i]["summary"].(map[string]any)
			return s
		}
	}
	return nil
}

func (r result) pending() []string {
	var keys []string
	for _, e := range r.events {
		if e["type"] == "resource.pending" {
			keys = append(keys, fmt.Sprint(e["resource"]))
		}
	}
	sort.Strings(keys)
	return keys
}

// jitsi runs the installer with args; with json it adds --output json and
// parses the events.
func jitsi(t *testing.T, json bool, args ...string) result {
	t.Helper()
	if json {
		args = append(args, "--output", "json")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, installer, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	r := result{out: out.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	if json {
		for _, line := range strings.Split(r.out, "\n") {
			var ev map[string]any
			if jsonUnmarshal(line, &ev) == nil {
				r.events = append(r.events, ev)
			}
		}
	}
	return r
}

// mustInstall runs install --yes with answers and stops the test when it
// fails; what names the run in the failure.
func mustInstall(t *testing.T, answers, what string) {
	t.Helper()
	if r := jitsi(t, false, "install", "--answers", answers, "--yes"); r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", what, r.code, r.out)
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func mustSSH(t *testing.T, tg *sandbox.Target, cmd string) string {
	t.Helper()
	out, err := tg.Sudo(context.Background(), cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return out
}

// secrets are the three secrets as the services on the host hold them.
func secrets(t *testing.T, tg *sandbox.Target) string {
	return mustSSH(t, tg, `grep -i 'password' /etc/jitsi/jicofo/jicofo.conf /etc/jitsi/videobridge/jvb.conf; grep static-auth-secret /etc/turnserver.conf; cat /var/lib/jitsi-installer/secrets.json`)
}

// installAndVerify runs a fresh install, verify, and the converged re-runs.
func installAndVerify(t *testing.T, tg *sandbox.Target) {
	r := jitsi(t, false, "install", "--answers", tg.AnswersFile, "--yes")
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s", r.code, r.out)
	}
	t.Logf("install:\n%s", lastLines(r.out, 12))
	installOut := r.out
	noSecretsInDebconf(t, tg, "after the install")
	first := secrets(t, tg)

	v := jitsi(t, false, "verify", "--answers", tg.AnswersFile)
	if v.code != 0 || strings.Contains(v.out, "FAIL") {
		t.Fatalf("verify after install: exit %d\n%s", v.code, v.out)
	}

	for run := 2; run <= 3; run++ {
		r = jitsi(t, true, "install", "--answers", tg.AnswersFile, "--yes")
		if r.code != 0 {
			t.Fatalf("run %d: exit %d\n%s", run, r.code, r.out)
		}
		s := r.summary()
		if s["changed"] != 0.0 || s["handlers"] != 0.0 || len(r.pending()) != 0 {
			t.Fatalf("run %d changed something: %v\n%v", run, s, r.pending())
		}
		if rt := s["round_trips"].(float64); rt > 3 {
			t.Errorf("run %d on a converged host took %v round trips, want at most 3", run, rt)
		}
		if !strings.Contains(r.out, "No changes: "+tg.Address+" is converged.") {
			t.Errorf("run %d does not say the host is converged", run)
		}
	}
	if again := secrets(t, tg); again != first {
		t.Errorf("secrets changed across three runs:\n%s\n---\n%s", first, again)
	}
	noSecretsIn(t, tg, installOut, r.out, v.out, jitsi(t, false, "plan", "--answers", tg.AnswersFile, "--verbose").out)
}

// noSecretsInDebconf fails when debconf's files (config.dat, which anyone
// can read, passwords.dat, templates.dat and their backups) hold one of the
// secrets of secrets.json: the packages get them for each apt run only.
func noSecretsInDebconf(t *testing.T, tg *sandbox.Target, when string) {
	t.Helper()
	var stored map[string]string
	if err := json.Unmarshal([]byte(mustSSH(t, tg, "cat /var/lib/jitsi-installer/secrets.json")), &stored); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"focus", "jvb", "turn", "app_secret"} {
		if stored[k] == "" {
			t.Errorf("%s: secrets.json has no %s", when, k)
			continue
		}
		if out := mustSSH(t, tg, "grep -rlF -- "+sandbox.ShellQuote(stored[k])+" /var/cache/debconf || true"); strings.TrimSpace(out) != "" {
			t.Errorf("%s: the %s secret is in debconf's %s", when, k, strings.Join(strings.Fields(out), ", "))
		}
	}
}

// noSecretsIn fails when any secret of the target shows in outputs: the
// generated XMPP passwords and TURN secret, the sudo password, the Janssen
// test client's secret.
func noSecretsIn(t *testing.T, tg *sandbox.Target, outputs ...string) {
	t.Helper()
	var stored map[string]string
	if err := json.Unmarshal([]byte(mustSSH(t, tg, "cat /var/lib/jitsi-installer/secrets.json")), &stored); err != nil {
		t.Fatal(err)
	}
	secrets := []string{stored["focus"], stored["jvb"], stored["turn"], stored["app_secret"]}
	for _, f := range []string{tg.SudoPasswordFile, tg.JanssenSecret} {
		if b, err := os.ReadFile(f); err == nil {
			secrets = append(secrets, strings.TrimSpace(string(b)))
		}
	}
	for _, out := range outputs {
		for _, s := range secrets {
			if len(s) >= 4 && strings.Contains(out, s) {
				t.Errorf("a secret (%d bytes) appears in the output", len(s))
			}
		}
	}
}

// TestInstall installs on each suite as root and once as a user whose sudo
// needs a password; the bookworm target then goes through day-two runs.
func TestInstall(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	for _, tt := range []struct {
		target, suite, user string
		tokens, dayTwo      bool
	}{
		{"i-bookworm", "bookworm", "root", true, true},
		{"i-trixie", "trixie", "root", true, false},
		{"i-ops", "bookworm", "ops", false, false},
		{"i-noble", "noble", "root", true, false},
	} {
		t.Run(tt.target, func(t *testing.T) {
			t.Parallel()
			tg := up(t, tt.target, tt.suite, tt.user)
			installAndVerify(t, tg)
			if tt.tokens {
				t.Run("media", func(t *testing.T) { mediaPath(t, tg) })
				tokenLogins(t, tg)
				t.Run("hardening", func(t *testing.T) { hardening(t, tg) })
			}
			if tt.dayTwo {
				t.Run("drift", func(t *testing.T) { drift(t, tg) })
				t.Run("failing step", func(t *testing.T) { failingStep(t, tg) })
			}
		})
	}
}

// drift changes things of every kind behind the installer's back: plan
// must list exactly those, each with what it found and what it wants (in
// JSON and in text, secrets masked), repair must fix them, verify must
// pass again. A UFW rule added by hand is reported and kept.
func drift(t *testing.T, tg *sandbox.Target) {
	d := tg.Domain
	jvb := "/etc/jitsi/videobridge/jvb.conf"
	mustSSH(t, tg, "echo '-- edited by hand' >> /etc/prosody/conf.avail/"+d+".cfg.lua")
	// A hand edit of a file that holds a secret: the password changed in
	// part, a port, a line added.
	mustSSH(t, tg, `sed -i -e 's/\(PASSWORD = "\)\(.*\)"/\1\2x"/' -e 's/port = 8080/port = 8081/' `+jvb+` && echo '# tuned by hand' >> `+jvb)
	mustSSH(t, tg, "chown root:root /etc/prosody/certs/"+d+".crt")
	mustSSH(t, tg, "chmod 0644 /etc/prosody/certs/"+d+".key")
	mustSSH(t, tg, "chown root:root /etc/jitsi/jicofo/jicofo.conf && chmod 0600 /etc/jitsi/jicofo/jicofo.conf")
	mustSSH(t, tg, "systemctl stop nginx")
	mustSSH(t, tg, "ufw delete allow 443/tcp && ufw allow 8888/tcp")
	t.Cleanup(func() { _, _ = tg.Sudo(context.Background(), "ufw delete allow 8888/tcp") })
	mustSSH(t, tg, "DEBIAN_FRONTEND=noninteractive dpkg --remove debconf-utils")

	p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode")
	if p.code != 2 {
		t.Fatalf("plan after drift: exit %d, want 2\n%s", p.code, p.out)
	}
	pkgs := ""
	for _, k := range p.pending() {
		if strings.HasPrefix(k, "packages nginx ") {
			pkgs = k
		}
	}
	want := []string{
		"command deploy the certificate of " + d + " to Prosody",
		"file /etc/jitsi/jicofo/jicofo.conf",
		"file " + jvb,
		"file /etc/prosody/conf.avail/" + d + ".cfg.lua",
		pkgs,
		"service nginx",
		"ufw allow 443/tcp",
	}
	if got := p.pending(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan lists\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	// Each drift explained, a JSON field per detail.
	for _, c := range []struct {
		resource, field, from, to, text string
	}{
		{"file /etc/jitsi/jicofo/jicofo.conf", "owner", "root:root", "jicofo:jitsi", "owner root:root -> jicofo:jitsi"},
		{"file /etc/jitsi/jicofo/jicofo.conf", "mode", "0600", "0640", "mode 0600 -> 0640"},
		{"file " + jvb, "content", "", "", "content"},
		{"command deploy the certificate of " + d + " to Prosody", "guard", "", "exit 0", "owner root:root, want root:prosody"},
		{"command deploy the certificate of " + d + " to Prosody", "guard", "", "exit 0", "mode 644, want 640"},
		{"service nginx", "state", "inactive", "active", "state inactive -> active"},
		{"ufw allow 443/tcp", "rule", "", "ufw allow 443/tcp", "missing"},
		{"ufw rules not declared", "rule", "ufw allow 8888/tcp", "", "ufw allow 8888/tcp"},
		{pkgs, "version", "", "", "debconf-utils"},
	} {
		if !p.hasDetail(c.resource, c.field, c.from, c.to, c.text) {
			t.Errorf("%s: no detail %s %q -> %q with %q in\n%s", c.resource, c.field, c.from, c.to, c.text, p.detailsOf(c.resource))
		}
	}
	// The secret file's diff: the edits, the password masked on both sides.
	diff := p.diffOf("file " + jvb)
	for _, l := range []string{`-PASSWORD = "********"`, `+PASSWORD = "********"`, "-port = 8081", "+port = 8080", "-# tuned by hand"} {
		if !hasDiffLine(diff, l) {
			t.Errorf("the diff of %s has no line %q:\n%s", jvb, l, diff)
		}
	}
	if !strings.Contains(p.diffOf("file /etc/prosody/conf.avail/"+d+".cfg.lua"), `-- edited by hand`) {
		t.Error("the plan's diff does not show the edit")
	}
	text := jitsi(t, false, "plan", "--answers", tg.AnswersFile)
	for _, s := range []string{"owner root:root, want root:prosody", "state inactive -> active", "mode 0600 -> 0640",
		"ufw allow 8888/tcp (not declared; kept)", "debconf-utils ", `PASSWORD = "********"`} {
		if !strings.Contains(text.out, s) {
			t.Errorf("the text plan does not say %q:\n%s", s, text.out)
		}
	}
	noSecretsIn(t, tg, p.out, text.out)

	r := jitsi(t, false, "repair", "--answers", tg.AnswersFile, "--yes")
	if r.code != 0 {
		t.Fatalf("repair: exit %d\n%s", r.code, r.out)
	}
	if v := jitsi(t, false, "verify", "--answers", tg.AnswersFile); v.code != 0 {
		t.Fatalf("verify after repair: exit %d\n%s", v.code, v.out)
	}
	p = jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode")
	if p.code != 0 || len(p.pending()) != 0 {
		t.Fatalf("plan after repair: exit %d, pending %v", p.code, p.pending())
	}
	if !p.hasDetail("ufw rules not declared", "rule", "ufw allow 8888/tcp", "", "kept") {
		t.Errorf("the rule added by hand is no longer reported, or was removed:\n%s", p.detailsOf("ufw rules not declared"))
	}
}

// TestDriftOnTarget runs the drift test alone on a target that is up and
// installed, named by JITSI_E2E_DRIFT_TARGET (TestInstallBookworm runs it
// on its own target).
func TestDriftOnTarget(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	name := os.Getenv("JITSI_E2E_DRIFT_TARGET")
	if name == "" {
		t.Skip("JITSI_E2E_DRIFT_TARGET names no target; TestInstallBookworm/drift covers it")
	}
	ts, err := sandbox.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range ts {
		if tg.Name == name {
			drift(t, tg)
			return
		}
	}
	t.Fatalf("no target %s", name)
}

// hasDiffLine: diff has a line of l's sign (+ or -) whose text, indentation
// aside, is the rest of l.
func hasDiffLine(diff, l string) bool {
	for _, d := range strings.Split(diff, "\n") {
		if d != "" && d[0] == l[0] && !strings.HasPrefix(d, "---") && !strings.HasPrefix(d, "+++") && strings.TrimSpace(d[1:]) == l[1:] {
			return true
		}
	}
	return false
}

// event returns the plan's pending or drift event of a resource.
func (r result) event(resource string) map[string]any {
	for _, e := range r.events {
		if (e["type"] == "resource.pending" || e["type"] == "resource.drift") && e["resource"] == resource {
			return e
		}
	}
	return nil
}

func (r result) diffOf(resource string) string {
	s, _ := r.event(resource)["diff"].(string)
	return s
}

func (r result) detailsOf(resource string) string {
	b, _ := json.MarshalIndent(r.event(resource)["details"], "", "  ")
	return string(b)
}

// hasDetail: the resource has a detail of field, from and to exactly (""
// for any), whose text contains text.
func (r result) hasDetail(resource, field, from, to, text string) bool {
	ds, _ := r.event(resource)["details"].([]any)
	for _, x := range ds {
		d, _ := x.(map[string]any)
		str := func(k string) string { s, _ := d[k].(string); return s }
		if str("field") == field && (from == "" || str("from") == from) && (to == "" || str("to") == to) &&
			(strings.Contains(str("text"), text) || strings.Contains(str("from"), text) || strings.Contains(str("name"), text)) {
			return true
		}
	}
	return false
}

// failingStep makes certbot unable to validate, the way it most often fails
// for real: the domain resolves to another address (here the host side of
// the target's link, where nothing serves port 80). The run must stop with
// exit 1 and say what to fix; once DNS is right, the next run converges.
func failingStep(t *testing.T, tg *sandbox.Target) {
	d := tg.Domain
	// A new ACME account and no certificate: the old account holds a valid
	// authorization the ACME server would reuse without a challenge.
	mustSSH(t, tg, "rm -rf /etc/letsencrypt/accounts /etc/letsencrypt/live/"+d+" /etc/letsencrypt/archive/"+d+" /etc/letsencrypt/renewal/"+d+".conf")
	dns(t, tg, "add-a", `{"host":"`+d+`.","addresses":["`+tg.HostAddress+`"]}`)
	t.Cleanup(func() { dns(t, tg, "clear-a", `{"host":"`+d+`."}`) })
	r := jitsi(t, false, "install", "--answers", tg.AnswersFile, "--yes")
	if r.code != 1 {
		t.Fatalf("install with the domain resolving elsewhere: exit %d, want 1\n%s", r.code, r.out)
	}
	if !strings.Contains(r.out, "certbot") || !strings.Contains(r.out, "resolves to it") {
		t.Errorf("the failure does not say what to fix:\n%s", r.out)
	}
	dns(t, tg, "clear-a", `{"host":"`+d+`."}`)
	mustInstall(t, tg.AnswersFile, "install after the fix")
	if v := jitsi(t, false, "verify", "--answers", tg.AnswersFile); v.code != 0 {
		t.Fatalf("verify after the fix: exit %d\n%s", v.code, v.out)
	}
}

// dns calls the ACME server's mock DNS management API.
func dns(t *testing.T, tg *sandbox.Target, call, body string) {
	t.Helper()
	resp, err := http.Post(tg.ACMEDNSAdmin+"/"+call, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("mock DNS %s: %v", call, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mock DNS %s: %s", call, resp.Status)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestBullseyeNeedsProsodysRepository: Debian 11's Prosody is 0.11, and
// jitsi-meet-tokens needs 0.12, so the installer adds Prosody's own
// repository there, as the Jitsi handbook does. This machine cannot reach
// it (the sandbox's apt proxy refuses every host but Debian's), so the run
// must stop at that repository's key with exit 1 and say what to do, before
// installing any Jitsi package.
func TestBullseyeNeedsProsodysRepository(t *testing.T) {
	testenv.Root(t)
	t.Parallel()
	tg := up(t, "i-bullseye", "bullseye", "root")
	p := jitsi(t, true, "plan", "--answers", tg.AnswersFile)
	if !strings.Contains(strings.Join(p.pending(), "\n"), "file /etc/apt/sources.list.d/prosody.list") {
		t.Errorf("the plan for Debian 11 does not add Prosody's repository: %v", p.pending())
	}
	r := jitsi(t, false, "install", "--answers", tg.AnswersFile, "--yes")
	if r.code != 1 {
		t.Fatalf("install: exit %d, want 1\n%s", r.code, r.out)
	}
	for _, want := range []string{"apt key /usr/share/keyrings/prosody-keyring.gpg", "hint: the host must reach https://prosody.im/"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, lastLines(r.out, 10))
		}
	}
	if out := mustSSH(t, tg, "dpkg-query -W -f '${Status}\n' jitsi-meet 2>/dev/null || true"); strings.Contains(out, "installed") {
		t.Errorf("jitsi-meet was installed without Prosody 0.12: %s", out)
	}
}
