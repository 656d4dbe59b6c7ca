package tui

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"charm.land/huh/v2"
	"golang.org/x/crypto/ssh"

	"github.com/jitsi-installer/jitsi-installer/internal/testca"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// testForm is a form over the built-in defaults with a Janssen check that
// reaches nothing.
func testForm(t *testing.T, cfg *answers.Config, accessible bool) *form {
	t.Helper()
	t.Setenv("SSH_AUTH_SOCK", "")
	f := &form{v: newValues(cfg), name: filepath.Join(t.TempDir(), "answers.yaml"), accessible: accessible,
		agent: transport.ListAgent(), check: newChecker(context.Background())}
	f.check.run = func(_ context.Context, k issuerKey) issuerCheck {
		return issuerCheck{key: k, kind: issuerUnreachable, err: os.ErrDeadlineExceeded}
	}
	f.v.Auth = authFile
	return f
}

// validators maps each answers path the form asks to its field's check.
func validators(t *testing.T, f *form) map[string]func(string) error {
	t.Helper()
	out := map[string]func(string) error{}
	for _, p := range f.pages() {
		for _, fld := range p.fields() {
			if d, ok := fld.(describedField); ok {
				fld = d.Field
			}
			in, ok := fld.(*huh.Input)
			if !ok {
				continue
			}
			out[pathOf(f.v, in)] = func(s string) error {
				// Validate is unexported in huh; Blur runs it on the value.
				in.Value(&s)
				in.Blur()
				return in.Error()
			}
		}
	}
	return out
}

// pathOf finds the answers path a field is bound to by what it holds.
func pathOf(v *values, in *huh.Input) string {
	mark := "\x00mark"
	for _, path := range []string{v.hostPath("address"), v.hostPath("port"), v.hostPath("user"), v.hostPath("key_file"),
		v.hostPath("sudo_password"), "domain", "letsencrypt.email", "letsencrypt.server", "letsencrypt.ca_bundle",
		"tls.cert_file", "tls.key_file", "janssen.issuer", "janssen.ca_bundle", "janssen.audience", "janssen.app_id",
		"janssen.client_id", "jitsi.version", "jitsi.repo.url", "jitsi.repo.suite", "jitsi.repo.key_url",
		"jitsi.repo.key_fingerprint", "apt.proxy", "janssen.test_client.client_id", "janssen.test_client.client_secret"} {
		p := v.field(path)
		old := *p
		*p = mark
		got := in.GetValue() == mark
		*p = old
		if got {
			return path
		}
	}
	return ""
}

// validateMessage is what `answers validate` says about path in file.
func validateMessage(t *testing.T, file, path string) string {
	t.Helper()
	_, err := answers.Load(file)
	if err == nil {
		t.Fatalf("answers validate accepts %s", file)
	}
	for _, p := range err.(*answers.Problems).List {
		if p.Path == path {
			return p.Msg
		}
	}
	t.Fatalf("answers validate says nothing about %s:\n%v", path, err)
	return ""
}

// Every field the answers file has a rule for says what answers validate
// says, before the operator moves on.
func TestFormMessagesMatchValidate(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := certFiles(t, dir, "a")
	_, otherKey, _ := certFiles(t, dir, "b")
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Not here: sudo_password, whose only rule (no line breaks) a one-line
	// field cannot break.
	cases := []struct {
		path, value string
		set         func(v *values) // other answers this rule needs
	}{
		{"hosts[0].address", "", nil},
		{"hosts[0].address", "203.0.113.10;reboot", nil},
		{"hosts[0].address", "300.1.2.3", nil},
		{"hosts[0].port", "70000", nil},
		{"hosts[0].port", "ssh", nil},
		{"hosts[0].user", "Admin", nil},
		{"domain", "", nil},
		{"domain", "Meet.example.com", nil},
		{"domain", "meet", nil},
		{"domain", "meet..example.com", nil},
		{"letsencrypt.email", "", nil},
		{"letsencrypt.email", "ops@", nil},
		{"letsencrypt.server", "http://acme.example.com/dir", func(v *values) { v.ACME = acmeCustom }},
		{"letsencrypt.ca_bundle", notPEM, func(v *values) { v.ACME = acmeCustom; v.ACMEServer = "https://acme.example.com/dir" }},
		{"tls.cert_file", "", func(v *values) { v.TLSMode = answers.TLSOwn; v.CertKeyFile = key }},
		{"tls.cert_file", notPEM, func(v *values) { v.TLSMode = answers.TLSOwn; v.CertKeyFile = key }},
		{"tls.key_file", otherKey, func(v *values) { v.TLSMode = answers.TLSOwn; v.CertFile = cert }},
		{"janssen.issuer", "", nil},
		{"janssen.issuer", "http://login.example.com", nil},
		{"janssen.ca_bundle", notPEM, nil},
		{"janssen.audience", "two words", nil},
		{"janssen.app_id", "a;b", nil},
		{"janssen.client_id", "x\"y", nil},
	}
	for _, c := range cases {
		t.Run(c.path+"="+c.value, func(t *testing.T) {
			f := testForm(t, nil, false)
			v := f.v
			v.Address, v.Domain, v.Email, v.Issuer = "203.0.113.10", "meet.example.com", "ops@example.com", "https://login.example.com"
			if c.set != nil {
				c.set(v)
			}
			check, ok := validators(t, f)[c.path]
			if !ok {
				t.Fatalf("the form has no field for %s", c.path)
			}
			got := check(c.value)

			*v.field(c.path) = c.value
			file := filepath.Join(t.TempDir(), "answers.yaml")
			data, env, err := v.answersFile()
			if err != nil {
				t.Fatal(err)
			}
			for k, s := range env {
				t.Setenv(k, s)
			}
			if strings.HasSuffix(c.path, ".port") {
				// The form holds the port as typed; the file says it so.
				data = []byte(strings.Replace(string(data), "port: 0\n", "port: "+c.value+"\n", 1))
			}
			if err := os.WriteFile(file, data, 0o600); err != nil {
				t.Fatal(err)
			}
			want := validateMessage(t, file, c.path)
			if got == nil || got.Error() != want {
				t.Errorf("form says %v, answers validate says %q", got, want)
			}
		})
	}
}

func TestFormAcceptsGoodAnswers(t *testing.T) {
	f := testForm(t, nil, false)
	for path, check := range validators(t, f) {
		good := map[string]string{"domain": "meet.example.com", "janssen.issuer": "https://login.example.com",
			"hosts[0].address": "203.0.113.10", "hosts[0].port": "2222", "hosts[0].user": "ops",
			"letsencrypt.email": "ops@example.com", "letsencrypt.server": "https://acme.example.com/dir",
			"janssen.client_id": "jitsi-meet"}[path]
		if err := check(good); err != nil {
			t.Errorf("%s = %q: %v", path, good, err)
		}
	}
}

// In accessible mode an empty answer keeps the default shown in brackets.
func TestAccessibleEmptyKeepsDefault(t *testing.T) {
	f := testForm(t, nil, true)
	f.v.Port = "22"
	check := validators(t, f)["hosts[0].port"]
	if err := check(""); err != nil {
		t.Errorf("empty port with default 22: %v", err)
	}
	if err := validators(t, f)["domain"](""); err == nil || err.Error() != "is required" {
		t.Errorf("empty domain without default: %v, want is required", err)
	}
}

// The Janssen check keeps the operator on the issuer only when the document
// names another issuer.
func TestIssuerMismatchBlocks(t *testing.T) {
	url, ca := fakeJanssen(t, "", twoKeys)
	f := testForm(t, nil, false)
	f.check.run = checkIssuer
	f.v.JanssenCA = ca
	check := validators(t, f)["janssen.issuer"]
	if err := check(url); err != nil {
		t.Errorf("the issuer as the document says it: %v", err)
	}
	err := check(url + "/")
	if err == nil || !strings.Contains(err.Error(), "trailing slash") {
		t.Errorf("issuer with a trailing slash: %v, want the mismatch explained", err)
	}
}

// Saved answers read back as the same configuration, secrets as references.
func TestSavedAnswersReadBack(t *testing.T) {
	dir := t.TempDir()
	f := testForm(t, nil, false)
	v := f.v
	v.Address, v.Port, v.User, v.KeyFile = "203.0.113.10", "2222", "ops", "~/.ssh/id_ed25519"
	home := t.TempDir()
	t.Setenv("HOME", home)
	writeSSHKey(t, filepath.Join(home, ".ssh", "id_ed25519"))
	v.SudoPassword = "sudo-secret-never-written"
	v.Domain, v.Email, v.ACME = "meet.example.com", "ops@example.com", acmeStaging
	v.Issuer, v.ClientID, v.GuidePorts = "https://login.example.com", "jitsi-meet", true
	path := filepath.Join(dir, "answers.yaml")
	env, err := save(v, path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(env, []string{"JITSI_SUDO_PASSWORD_0"}) {
		t.Errorf("SavedEnv = %v", env)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), "sudo-secret-never-written") || !strings.Contains(string(data), "${env:JITSI_SUDO_PASSWORD_0}") {
		t.Errorf("the secret is not a reference:\n%s", data)
	}
	t.Setenv("JITSI_SUDO_PASSWORD_0", v.SudoPassword)
	got, err := answers.Load(path)
	if err != nil {
		t.Fatalf("answers validate refuses the saved file: %v", err)
	}
	h := got.Hosts[0]
	if h.Address != "203.0.113.10" || h.Port != 2222 || h.User != "ops" || h.SudoPassword != v.SudoPassword ||
		got.LetsEncrypt.Server != StagingACMEServer || !got.Firewall.OpenGuidePorts || !got.Jitsi.Turn {
		t.Errorf("read back: %+v", got)
	}
	// Started again from the saved file, the form asks the same.
	again := newValues(got)
	again.defaultKey, v.defaultKey = "", ""
	again.base, v.base = nil, nil
	again.KeyFile = v.KeyFile // ~ is expanded on load
	if !reflect.DeepEqual(again, v) {
		t.Errorf("form from the saved file:\n got %+v\nwant %+v", again, v)
	}
}

// writeSSHKey writes a new SSH private key to path, as ssh-keygen would.
func writeSSHKey(t *testing.T, path string) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(b), 0o600); err != nil {
		t.Fatal(err)
	}
}

// certFiles writes a certificate for meet.example.com, its key and the CA
// that signed it as PEM files.
func certFiles(t *testing.T, dir, name string) (cert, key, ca string) {
	t.Helper()
	f, err := testca.New(name, "meet.example.com")
	if err != nil {
		t.Fatal(err)
	}
	cert, key, ca = filepath.Join(dir, name+"-cert.pem"), filepath.Join(dir, name+"-key.pem"), filepath.Join(dir, name+"-ca.pem")
	for path, b := range map[string][]byte{cert: f.Cert, key: f.Key, ca: f.CA} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key, ca
}

// Accepting every answer of a file given with --interactive gives back the
// file's configuration, keys the form does not ask included.
func TestUnchangedFormKeepsAnswers(t *testing.T) {
	dir := t.TempDir()
	_, _, ca := certFiles(t, dir, "test")
	t.Setenv("SANDBOX_SUDO", "sudo-pw")
	t.Setenv("CLIENT_SECRET", "client-secret")
	writeSSHKey(t, filepath.Join(dir, "id_ed25519"))
	file := filepath.Join(dir, "answers.yaml")
	doc := `version: 1
domain: core.sandbox.test
hosts:
  - address: 10.213.7.2
    port: 22
    user: ops
    key_file: ` + filepath.Join(dir, "id_ed25519") + `
    sudo_password: ${env:SANDBOX_SUDO}
    role: core
letsencrypt:
  email: ops@example.com
  server: https://10.213.7.1:14000/dir
  ca_bundle: ` + ca + `
tls:
  mode: letsencrypt
janssen:
  issuer: https://10.213.7.1:8443
  audience: jitsi
  app_id: jitsi
  client_id: jitsi-meet
  ca_bundle: ` + ca + `
  test_client:
    client_id: sandbox-test
    client_secret: ${env:CLIENT_SECRET}
jitsi:
  repo:
    url: http://10.213.7.1:8000/
    suite: stable/
    key_url: http://10.213.7.1:8000/jitsi-key.gpg.key
    key_fingerprint: 0123456789ABCDEF0123456789ABCDEF01234567
apt:
  proxy: http://10.213.7.1:3142
firewall:
  enabled: true
`
	if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	want, err := answers.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	got, err := newValues(want).load(file, false)
	if err != nil {
		t.Fatal(err)
	}
	w, g := *want, *got
	if !reflect.DeepEqual(exportedConfig(w), exportedConfig(g)) {
		t.Errorf("the form changed the answers:\n got %+v\nwant %+v", g, w)
	}
	data, _, _ := newValues(want).answersFile()
	for _, ref := range []string{"${env:SANDBOX_SUDO}", "${env:CLIENT_SECRET}"} {
		if !strings.Contains(string(data), ref) {
			t.Errorf("the saved answers lose the reference %s:\n%s", ref, data)
		}
	}
}

// exportedConfig drops what only records where values came from.
func exportedConfig(c answers.Config) answers.Config {
	return answers.Config{Version: c.Version, Domain: c.Domain, Hosts: c.Hosts, TLS: c.TLS, LetsEncrypt: c.LetsEncrypt,
		Janssen: c.Janssen, Jitsi: c.Jitsi, APT: c.APT, Firewall: c.Firewall}
}
