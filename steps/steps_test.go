package steps

import (
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers/answerstest"
)

const bookworm = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
`

func testConfig(t *testing.T) *answers.Config {
	t.Helper()
	// The web app step needs a client to sign in with.
	cfg, err := answers.Parse("test.yaml", []byte(answerstest.Minimal+"  client_id: jitsi-meet\n"), answers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// mustDeclare declares s on h; a step that fails to declare fails the test.
func mustDeclare(t *testing.T, s installer.Step, h *installer.Host) []installer.Resource {
	t.Helper()
	rs, err := s.Declare(h)
	if err != nil {
		t.Fatalf("%s: %v", s.Name(), err)
	}
	return rs
}

// testHost is a host named h, reached on port 22, with facts as its probes
// answered.
func testHost(facts map[string]string) *installer.Host {
	return installertest.NewHost("h", 22, facts)
}

// runWithFake runs the shell script with a fake command, a shell script,
// ahead of the real one on PATH under name, and returns what it printed
// and its exit code.
func runWithFake(t *testing.T, script, name, fake string) ([]byte, int) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = testenv.FakeCommands(t, map[string]string{name: "#!/bin/sh\n" + fake})
	return testenv.Output(t, cmd)
}

// warned reports whether a step warned h about what.
func warned(h *installer.Host, what string) bool {
	return strings.Contains(strings.Join(h.Warnings(), "\n"), what)
}

func TestParseOSRelease(t *testing.T) {
	for _, tc := range []struct {
		in        string
		id        string
		ver, min  int
		supported bool
	}{
		{bookworm, "debian", 12, 0, true},
		{"ID=debian\nVERSION_ID=\"10\"\n", "debian", 10, 0, false},
		{"ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n", "ubuntu", 22, 4, true},
		{"ID=ubuntu\nVERSION_ID=\"18.04\"\n", "ubuntu", 18, 4, false},
		{"ID=fedora\nVERSION_ID=40\n", "fedora", 40, 0, false},
		{"", "", 0, 0, false},
	} {
		o := parseOSRelease(tc.in)
		if o.ID != tc.id || o.Version != tc.ver || o.Minor != tc.min {
			t.Errorf("parse %q: %+v", tc.in, o)
		}
		if err := supported(o); (err == nil) != tc.supported {
			t.Errorf("%s supported: %v", o, err)
		}
	}
}

func TestBasePackagesPerRelease(t *testing.T) {
	for _, tc := range []struct {
		os          string
		want, avoid []string
	}{
		{"ID=debian\nVERSION_ID=\"11\"", []string{"apt-transport-https", "software-properties-common", "ufw"}, nil},
		{"ID=debian\nVERSION_ID=\"13\"", []string{"nginx", "certbot", "python3-certbot-nginx", "ufw"}, []string{"software-properties-common", "apt-transport-https"}},
		{"ID=ubuntu\nVERSION_ID=\"24.04\"", []string{"software-properties-common"}, []string{"apt-transport-https"}},
	} {
		got := strings.Join(basePackageNames(parseOSRelease(tc.os), true), " ")
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %s lacks %s", tc.os, got, w)
			}
		}
		for _, a := range tc.avoid {
			if strings.Contains(got, a) {
				t.Errorf("%s: %s has %s", tc.os, got, a)
			}
		}
	}
}

func TestSecretsAreReusedFromTheHost(t *testing.T) {
	cfg := testConfig(t)
	e := &env{cfg: cfg}
	stored, _ := json.Marshal(secretSet{Focus: "focus-pw-1", JVB: "jvb-pw-1", TURN: "turn-1", AppSecret: "app-1", InstanceID: "jvb-abc"})
	h := testHost(map[string]string{factSecrets: string(stored)})
	if s := secretsFor(h, e); s.Focus != "focus-pw-1" || s.JVB != "jvb-pw-1" || s.TURN != "turn-1" || s.InstanceID != "jvb-abc" {
		t.Errorf("stored secrets not reused: %+v", s)
	}

	// No state file yet: what the packages wrote is kept.
	h = testHost(map[string]string{
		factJicofo: "jicofo {\n  xmpp: {\n    client: {\n      password: \"from-jicofo\"\n    }\n  }\n}\n",
		factJVB:    "videobridge {\n  apis {\n    xmpp-client {\n      configs {\n        shard {\n          USERNAME = \"jvb\"\n          PASSWORD = \"from-jvb\"\n        }\n      }\n    }\n  }\n}\n",
		factTURN:   "realm=x\nstatic-auth-secret=from-turn\n",
	})
	s := secretsFor(h, e)
	if s.Focus != "from-jicofo" || s.JVB != "from-jvb" || s.TURN != "from-turn" {
		t.Errorf("package secrets not reused: %+v", s)
	}
	if again := secretsFor(h, e); again != s {
		t.Errorf("secrets changed within a run: %+v then %+v", s, again)
	}

	// A fresh host gets distinct random secrets that need no quoting.
	s = secretsFor(testHost(nil), e)
	for _, v := range []string{s.Focus, s.JVB, s.TURN, s.AppSecret} {
		if len(v) < 24 || strings.ContainsAny(v, "/\\\"'` $;") {
			t.Errorf("bad generated secret %q", v)
		}
	}
	if s.Focus == s.JVB {
		t.Error("focus and jvb passwords are equal")
	}

	// --rotate-secrets replaces them but keeps the bridge's identity.
	h = testHost(map[string]string{factSecrets: string(stored)})
	r := secretsFor(h, &env{cfg: cfg, opts: Options{RotateSecrets: true}})
	if r.Focus == "focus-pw-1" || r.JVB == "jvb-pw-1" || r.InstanceID != "jvb-abc" {
		t.Errorf("rotation: %+v", r)
	}
	// The plan of a rotation shows the host's old values: they are masked
	// as the new ones are.
	for _, old := range []string{"focus-pw-1", "jvb-pw-1", "turn-1", "app-1", r.Focus, r.TURN} {
		if got := h.Redact("x " + old + " y"); got != "x "+installer.Redacted+" y" {
			t.Errorf("after a rotation, %q is not masked: %q", old, got)
		}
	}
}

// The SCRAM salt and keys of Jicofo's and the bridge's accounts, the
// host's and new ones, never show: they allow offline guessing.
func TestAccountKeysAreSecrets(t *testing.T) {
	host := scramAccount("old password")
	h := testHost(map[string]string{"prosody.account.focus": host})
	rs := accounts(h, "meet.example.com", map[string]string{"focus": "new password", "jvb": "jvb password"})
	files := host
	for _, r := range rs {
		if f, ok := r.(*resource.File); ok {
			if !f.Secret {
				t.Errorf("%s is not declared as holding secrets", f.Path)
			}
			files += string(f.Content)
		}
	}
	n := 0
	for _, m := range luaField.FindAllStringSubmatch(files, -1) {
		if m[1] == "iteration_count" {
			continue
		}
		n++
		if strings.Contains(h.Redact(files), m[2]) {
			t.Errorf("%s %q is not masked", m[1], m[2])
		}
	}
	if n != 9 {
		t.Errorf("%d salts and keys in three account files, want 9", n)
	}
}

func TestProsodyAccountFile(t *testing.T) {
	f := scramAccount("correct horse")
	if !scramMatches(f, "correct horse") {
		t.Fatalf("account file does not verify its own password:\n%s", f)
	}
	if scramMatches(f, "wrong") || scramMatches("", "correct horse") {
		t.Error("a wrong password or an empty file verifies")
	}
	// A file as Prosody 0.12 writes it for password "secret" (RFC 5802 keys).
	prosody := `return {
	["iteration_count"] = 4096;
	["salt"] = "QSXCR+Q6sek8bf92";
	["server_key"] = "` + mustServer("secret", "QSXCR+Q6sek8bf92", 4096) + `";
	["stored_key"] = "` + mustStored("secret", "QSXCR+Q6sek8bf92", 4096) + `";
};`
	if !scramMatches(prosody, "secret") {
		t.Error("Prosody's own account format does not verify")
	}
	if got := accountFile("meet.example.com", "focus"); got != "/var/lib/prosody/auth%2emeet%2eexample%2ecom/accounts/focus.dat" {
		t.Errorf("account path %s", got)
	}
}

func mustStored(p, salt string, it int) string { s, _ := scramKeys(p, salt, it); return s }
func mustServer(p, salt string, it int) string { _, s := scramKeys(p, salt, it); return s }

func TestFirewallAllowsSSHFirstAndWarnsOnGuidePorts(t *testing.T) {
	cfg := testConfig(t)
	cfg.Firewall.OpenGuidePorts = true
	fw := &firewall{&env{cfg: cfg}}
	rs := mustDeclare(t, fw, installertest.NewHost("h", 2222, nil))
	if rs[0].Key() != "ufw allow 2222/tcp" {
		t.Errorf("first rule %s, want the SSH port of this run", rs[0].Key())
	}
	if _, ok := rs[len(rs)-1].(resource.UFWEnabled); !ok {
		t.Error("UFW is not enabled last")
	}
	warned := 0
	for _, r := range rs {
		if u, ok := r.(*resource.UFWRule); ok && u.Warn != "" {
			warned++
		}
	}
	if warned != 3 {
		t.Errorf("%d warnings for the guide's ports, want 3", warned)
	}
}

func TestJanssenIssuerMismatchRefuses(t *testing.T) {
	cfg := testConfig(t)
	doc := `{"issuer":"https://login.example.com/","jwks_uri":"https://login.example.com/jans-auth/restv1/jwks"}` + "\n@@jwks@@\n" + `{"keys":[{"kty":"RSA","kid":"k1","use":"sig","n":"AQAB","e":"AQAB"}]}`
	h := testHost(map[string]string{factOS: bookworm, factJanssen: doc})
	_, err := (&preflight{&env{cfg: cfg}}).Declare(h)
	var r *installer.RefuseError
	if !errors.As(err, &r) || !strings.Contains(err.Error(), "trailing slash") {
		t.Fatalf("err %v, want a refusal naming the trailing slash", err)
	}
	st := parseJanssen(doc, cfg)
	if st.RSAKeys != 1 || st.Doc.JWKSURI != "https://login.example.com/jans-auth/restv1/jwks" {
		t.Errorf("parsed %+v", st)
	}
}

func TestPortsHeldByOthersRefuse(t *testing.T) {
	ss := `tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("apache2",pid=10,fd=4))`
	h := testHost(map[string]string{factPorts: ss})
	if err := portsFree(h, false); err == nil || !strings.Contains(err.Error(), "apache2") {
		t.Errorf("apache2 on port 80: %v", err)
	}
	ok := `tcp LISTEN 0 511 0.0.0.0:80 0.0.0.0:* users:(("nginx",pid=10,fd=4))` + "\n" +
		`udp UNCONN 0 0 0.0.0.0:10000 0.0.0.0:* users:(("java",pid=11,fd=4))`
	if err := portsFree(testHost(map[string]string{factPorts: ok}), false); err != nil {
		t.Errorf("expected services: %v", err)
	}
	// A videobridge host needs the media port only.
	if err := portsFree(h, true); err != nil {
		t.Errorf("apache2 on a videobridge host: %v", err)
	}
}

// TestListIsTheGuide pins the order of the steps: it is the guide's table
// of contents, and the handlers' groups depend on it.
func TestListIsTheGuide(t *testing.T) {
	var names []string
	for _, s := range List(testConfig(t), Options{}) {
		names = append(names, s.Name())
	}
	want := "Recovery, Preflight, APT settings, Base packages, Jitsi repository, Debconf answers, Jitsi version pin, Jitsi packages, Secrets, Videobridges, Prosody, Jicofo, Videobridge, TURN server, Web app, TLS certificate, nginx site, TURN on port 443, Certificates for Prosody, Firewall, Services, Backups"
	if got := strings.Join(names, ", "); got != want {
		t.Errorf("steps:\n%s\nwant\n%s", got, want)
	}
}

func TestProsodyCertCheck(t *testing.T) {
	localhost := "Prosody was unable to find lua-unbound\ncertmanager info No certificate present in SSL/TLS configuration for localhost. SNI will be required.\nNo 'certificate' found for localhost\n"
	if err := certProblems("meet.example.com")(localhost, 1); err != nil {
		t.Errorf("Debian's localhost VirtualHost flagged: %v", err)
	}
	components := "Checking certificates...\nChecking certificate for lobby.meet.example.com\n  Certificate: /etc/prosody/certs/meet.example.com.crt\n  Not valid for server-to-server connections to lobby.meet.example.com.\n\nFor more information about certificates please see https://prosody.im/doc/certificates\n\nProblems found, see above.\n"
	if err := certProblems("meet.example.com")(components, 2); err != nil {
		t.Errorf("internal components flagged: %v", err)
	}
	expired := "Checking certificates...\n  Certificate: /etc/prosody/certs/meet.example.com.crt\n  Certificate has expired.\n  Not valid for client connections to meet.example.com.\nProblems found, see above.\n"
	if err := certProblems("meet.example.com")(expired, 2); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired certificate: %v", err)
	}
}
