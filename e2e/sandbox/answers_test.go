package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

func sampleState(user string) *State {
	d := "/var/lib/jitsi-installer-sandbox/targets/core"
	s := &State{Info: Info{
		Name: "core", Suite: "trixie", HostAddress: "10.213.7.1",
		SSHAccess: SSHAccess{User: user, Address: "10.213.7.2", Port: 22, KeyFile: d + "/id_ed25519",
			HostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOcN0B6KQiBVqbXMNJadc8Uv8aGHtslR2xdQlsEe1ynD"},
		Domain: "core.sandbox.test",
		Services: Services{
			AptProxy: "http://10.213.7.1:3142",
			RepoURL:  "http://10.213.7.1:8000/", RepoSuite: "stable/", RepoKeyURL: "http://10.213.7.1:8000/jitsi-key.gpg.key",
			RepoFingerprint: "0123456789ABCDEF0123456789ABCDEF01234567",
			ACMEServer:      "https://10.213.7.1:14000/dir", ACMECA: d + "/pebble/ca.pem", ACMECABundle: d + "/pebble/bundle.pem",
			JanssenIssuer: "https://janssen.core.sandbox.test:8443", JanssenHost: "janssen.core.sandbox.test", JanssenCA: d + "/janssen/ca.pem",
			JanssenClientID: "sandbox-test", JanssenSecret: d + "/janssen/client_secret",
		},
	}}
	if user == "ops" {
		s.SudoPasswordFile = d + "/sudo_password"
	}
	return s
}

// The sandbox writes the answers the golden files hold, and the installer's
// own loader accepts them.
func TestRenderAnswers(t *testing.T) {
	read := func(path string) ([]byte, error) {
		if strings.HasSuffix(path, "sudo_password") || strings.HasSuffix(path, "client_secret") {
			return []byte("0123456789abcdef"), nil
		}
		return os.ReadFile(path)
	}
	for _, user := range Users {
		t.Run(user, func(t *testing.T) {
			data, err := renderAnswers(sampleState(user))
			if err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join("testdata", "answers-"+user+".golden"), data)
			c, err := answers.Parse("answers.yaml", data, answers.Options{SkipFileChecks: true, ReadFile: read})
			if err != nil {
				t.Fatalf("installer rejects the sandbox's answers:\n%v\n%s", err, data)
			}
			if ex := answers.Examples(c); len(ex) > 0 {
				t.Errorf("the sandbox's answers still hold example values of the template: %v", ex)
			}
			if h := c.Hosts[0]; h.Address != "10.213.7.2" || h.User != user || (user == "ops") != (h.SudoPassword != "") {
				t.Errorf("hosts[0] = %+v", h)
			}
			if c.APT.Proxy != "http://10.213.7.1:3142" || c.Jitsi.Repo.Suite != "stable/" || c.LetsEncrypt.Server != "https://10.213.7.1:14000/dir" {
				t.Errorf("apt, repo or ACME server lost: %+v %+v %+v", c.APT, c.Jitsi.Repo, c.LetsEncrypt)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"defaults", Options{Name: "core"}, ""},
		{"ops on bullseye", Options{Name: "jvb-1", Suite: "bullseye", User: "ops"}, ""},
		{"twelve chars", Options{Name: "abcdefghijkl"}, ""},
		{"too long for a veth", Options{Name: "abcdefghijklm"}, "name"},
		{"upper case", Options{Name: "Core"}, "name"},
		{"leading digit", Options{Name: "1core"}, "name"},
		{"trailing dash", Options{Name: "core-"}, "name"},
		{"path", Options{Name: "../x"}, "name"},
		{"unknown suite", Options{Name: "core", Suite: "sid"}, "suite"},
		{"unknown user", Options{Name: "core", User: "admin"}, "user"},
		{"old jitsi suite", Options{Name: "core", JitsiSuite: "oldstable/"}, ""},
		{"unknown jitsi suite", Options{Name: "core", JitsiSuite: "unstable/"}, "jitsi suite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			err := validate(&o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("validate: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("validate: %v, want an error about %s", err, tt.wantErr)
			case tt.wantErr == "" && (o.Suite != tt.o.Suite && tt.o.Suite != "" || o.Suite == "" || o.User == "" || o.JitsiSuite == ""):
				t.Fatalf("defaults not filled: %+v", o)
			}
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	if got := unescapeMount(`/var/lib/a\040b\011c`); got != "/var/lib/a b\tc" {
		t.Errorf("unescapeMount = %q", got)
	}
}
