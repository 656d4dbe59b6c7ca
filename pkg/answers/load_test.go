package answers

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers/answerstest"
)

// secretMark is part of every secret value in the tests; no message may
// contain it.
const secretMark = "S3CR3T"

func testEnv(t *testing.T) map[string]string {
	files, err := filepath.Abs("testdata/files")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"DOMAIN":           "meet.example.com",
		"SSH_PORT":         "2222",
		"SUDO_PASSWORD":    secretMark + "-sudo with spaces & $igns",
		"CLIENT_SECRET":    secretMark + "-client",
		"APP_SECRET":       secretMark + "-app",
		"CERT_DIR":         files,
		"VERSION":          "1",
		"NOT_A_NUMBER":     "twenty-two",
		"NOT_A_BOOL":       "maybe",
		"USER_NAME":        "deploy",
		"MULTILINE_SECRET": secretMark + "-first\nsecond",
		"SLASHED_SECRET":   secretMark + "/app",
	}
}

func options(dir string, env map[string]string) Options {
	return Options{
		Dir:       dir,
		Home:      "/home/op",
		LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok },
		ReadFile:  homeKey(os.ReadFile),
	}
}

// homeKey is read with the operator's SSH key, ~/.ssh/id_ed25519 of the
// test's /home/op, in place.
func homeKey(read func(string) ([]byte, error)) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if p == "/home/op/.ssh/id_ed25519" {
			p = "testdata/files/id_ed25519"
		}
		return read(p)
	}
}

func problems(t *testing.T, err error) []Problem {
	t.Helper()
	var ps *Problems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v (%T) is not *Problems", err, err)
	}
	return ps.List
}

// The messages for every broken file, one golden file each.
func TestInvalidFilesGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	abs, _ := filepath.Abs("testdata")
	env := testEnv(t)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse(file, data, options(filepath.Dir(file), env))
			if cfg != nil || err == nil {
				t.Fatalf("Parse accepted %s", file)
			}
			for _, p := range problems(t, err) {
				if p.File != file || p.Line < 1 {
					t.Errorf("problem without file and line: %+v", p)
				}
			}
			out := err.Error()
			if strings.Contains(out, secretMark) {
				t.Errorf("a secret leaked into the messages:\n%s", out)
			}
			out = strings.ReplaceAll(out, abs, "TESTDATA") + "\n"
			golden.Assert(t, strings.TrimSuffix(file, ".yaml")+".golden", []byte(out))
		})
	}
}

// The acceptance case of the CLI: one message per problem, each with its line.
func TestAcceptanceFourProblems(t *testing.T) {
	data, err := os.ReadFile("testdata/invalid/acceptance.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("a.yaml", data, options("testdata/invalid", testEnv(t)))
	got := problems(t, err)
	want := []struct {
		line int
		path string
		word string
	}{
		{2, "domain", `";"`},
		{5, "hosts[0].port", "65535"},
		{7, "", `did you mean "sudo_password"`},
		{9, "letsencrypt.email", "email"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.Path != w.path || !strings.Contains(g.Msg, w.word) {
			t.Errorf("problem %d = %s, want line %d, path %q, mentioning %s", i, g, w.line, w.path, w.word)
		}
	}
}

func TestValidFiles(t *testing.T) {
	env := testEnv(t)
	cert, _ := filepath.Abs("testdata/files/cert.pem")
	full, err := Parse("testdata/valid/full.yaml", mustRead(t, "testdata/valid/full.yaml"), options("testdata/valid", env))
	if err != nil {
		t.Fatal(err)
	}
	h := full.Hosts[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"domain from env", full.Domain, "meet.example.com"},
		{"port from env", h.Port, 2222},
		{"~ expanded", h.KeyFile, "/home/op/.ssh/id_ed25519"},
		{"secret from file, newline dropped", h.SudoPassword, "pw-from-file"},
		{"secret from env", full.Hosts[1].SudoPassword, env["SUDO_PASSWORD"]},
		{"default port", full.Hosts[1].Port, 22},
		{"relative path", full.TLS.CertFile, cert},
		{"embedded reference", full.Janssen.CABundle, cert},
		{"fingerprint normalised", full.Jitsi.Repo.KeyFingerprint, "09E93EFE0B6C6EC59D47E1A7C1F84B1E2D661B1A"},
		{"explicit false", full.Jitsi.Turn, false},
		{"explicit -1", full.Jitsi.ChannelLastN, -1},
		{"explicit discovery", full.Janssen.DiscoveryURL, "https://login.example.com/.well-known/openid-configuration"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %#v, want %#v", c.name, c.got, c.want)
		}
	}

	min, err := Parse("testdata/valid/minimal.yaml", mustRead(t, "testdata/valid/minimal.yaml"), options("testdata/valid", nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Version: 1, Domain: "meet.example.com",
		Hosts:       []Host{{Address: "203.0.113.10", Port: 22, User: "root", Role: RoleCore}},
		TLS:         TLS{Mode: TLSLetsEncrypt},
		LetsEncrypt: LetsEncrypt{Email: "ops@example.com", Server: DefaultACMEServer},
		Janssen: Janssen{Issuer: "https://login.example.com", Audience: "jitsi", AppID: "jitsi",
			DiscoveryURL: "https://login.example.com/jans-auth/.well-known/openid-configuration"},
		Jitsi: Jitsi{
			Version:      VersionLatest,
			Repo:         Repo{URL: "https://download.jitsi.org", Suite: "stable/", KeyURL: "https://download.jitsi.org/jitsi-key.gpg.key"},
			ProsodyRepo:  Repo{URL: "http://packages.prosody.im/debian", KeyURL: "https://prosody.im/files/prosody-debian-packages.key"},
			Turn:         true,
			CoreBridge:   true,
			ChannelLastN: DefaultChannelLastN,
			Deployment:   Deployment{Shard: "shard-1", Region: "default", Environment: "production"},
			STUNServers:  []string{DefaultSTUNServer},
		},
		TURN:     TURN{UserQuota: DefaultTURNUserQuota, TotalQuota: DefaultTURNTotalQuota},
		Firewall: Firewall{Enabled: true},
		Backups:  Backups{Keep: DefaultBackupsKeep},
	}
	if got := exported(min); !reflect.DeepEqual(got, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", got, want)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// exported is c without where its values came from.
func exported(c *Config) Config {
	x := *c
	x.src = nil
	return x
}

const minimal = answerstest.Minimal

// withHost adds lines to the first host of the minimal file.
func withHost(lines string) string {
	return strings.Replace(minimal, "  - address: 203.0.113.10\n", "  - address: 203.0.113.10\n"+lines, 1)
}

func TestReferences(t *testing.T) {
	files := map[string]string{
		"/answers/pw":          "from-file\n",
		"/answers/two-lines":   "a\n\n",
		"/answers/crlf":        "from-file\r\n",
		"/home/op/pw":          "from-home\n",
		"/answers/keys/id":     string(mustRead(t, "testdata/files/id_ed25519")),
		"/home/op/.ssh/id":     string(mustRead(t, "testdata/files/id_ed25519")),
		"/answers/keys/id.pub": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n",
	}
	env := map[string]string{"PW": "from-env", "PORT": "2200", "EMPTY": ""}
	opts := Options{
		Dir:       "/answers",
		Home:      "/home/op",
		LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok },
		ReadFile: func(p string) ([]byte, error) {
			if v, ok := files[p]; ok {
				return []byte(v), nil
			}
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
		},
	}
	tests := []struct {
		name  string
		lines string
		get   func(h Host) any
		want  any
		err   string // message of the only problem, at line 5
	}{
		{"env", "    sudo_password: ${env:PW}\n", func(h Host) any { return h.SudoPassword }, "from-env", ""},
		{"embedded env", "    sudo_password: x-${env:PW}-y\n", func(h Host) any { return h.SudoPassword }, "x-from-env-y", ""},
		{"file", "    sudo_password: ${file:pw}\n", func(h Host) any { return h.SudoPassword }, "from-file", ""},
		{"file crlf", "    sudo_password: ${file:./crlf}\n", func(h Host) any { return h.SudoPassword }, "from-file", ""},
		{"file in home", "    sudo_password: ${file:~/pw}\n", func(h Host) any { return h.SudoPassword }, "from-home", ""},
		{"file absolute", "    sudo_password: ${file:/home/op/pw}\n", func(h Host) any { return h.SudoPassword }, "from-home", ""},
		{"host key from file", "    host_key: ${file:keys/id.pub}\n", func(h Host) any { return h.HostKey[:11] }, "ssh-ed25519", ""},
		{"integer", "    port: ${env:PORT}\n", func(h Host) any { return h.Port }, 2200, ""},
		{"relative key", "    key_file: keys/id\n", func(h Host) any { return h.KeyFile }, "/answers/keys/id", ""},
		{"home key", "    key_file: ~/.ssh/id\n", func(h Host) any { return h.KeyFile }, "/home/op/.ssh/id", ""},
		{"empty env is default", "    user: ${env:EMPTY}\n", func(h Host) any { return h.User }, "root", ""},
		{"bastion", "    bastion:\n      address: bastion.example.com\n      user: jump\n      key_file: keys/id\n      host_key: ${file:keys/id.pub}\n      known_hosts: ~/jump_known\n",
			func(h Host) any { b := h.Bastion; b.HostKey = b.HostKey[:11]; return b },
			Bastion{Address: "bastion.example.com", User: "jump", KeyFile: "/answers/keys/id", HostKey: "ssh-ed25519", KnownHosts: "/home/op/jump_known"}, ""},
		{"bastion known_hosts alone", "    bastion: {known_hosts: k}\n", nil, nil, "is required with hosts[0].bastion.known_hosts"},
		{"no bastion", "", func(h Host) any { return h.Bastion }, Bastion{}, ""},
		{"bastion without address", "    bastion: {user: jump}\n", nil, nil, "is required with hosts[0].bastion.user"},
		{"bastion port", "    bastion: {address: b.example.com, port: 70000}\n", nil, nil, "must be between 0 and 65535"},
		{"bastion address", "    bastion: {address: 'b;x'}\n", nil, nil, `contains ";" which is not allowed in a host name or IP address`},
		{"missing env", "    sudo_password: ${env:NOPE}\n", nil, nil, "environment variable NOPE is not set"},
		{"missing file", "    sudo_password: ${file:nope}\n", nil, nil, "open /answers/nope: file does not exist"},
		{"only one newline dropped", "    sudo_password: ${file:two-lines}\n", nil, nil, "contains a newline"},
		{"unterminated", "    user: ${env:PW\n", nil, nil, `has "${" without a closing "}"; write ${env:NAME}, ${file:PATH} or ${cmd:COMMAND}`},
		{"unknown source", "    user: ${vault:x}\n", nil, nil, `unknown reference "${vault}"; write ${env:NAME}, ${file:PATH} or ${cmd:COMMAND}`},
		{"not an integer", "    port: ${env:PW}\n", nil, nil, `expected an integer, got "from-env" from ${env:PW}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("a.yaml", []byte(withHost(tt.lines)), opts)
			if tt.err != "" {
				ps := problems(t, err)
				if len(ps) != 1 || ps[0].Msg != tt.err || ps[0].Line != 5 {
					t.Fatalf("got %v, want one problem at line 5: %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.get(cfg.Hosts[0]); got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

// Secret values are never quoted back, whatever is wrong with them.
func TestSecretsNotEchoed(t *testing.T) {
	env := map[string]string{"NL": secretMark + "\nx"}
	tests := []struct{ name, doc, path string }{
		{"newline", withHost("    sudo_password: \"" + secretMark + "\\nx\"\n"), "hosts[0].sudo_password"},
		{"newline from env", withHost("    sudo_password: ${env:NL}\n"), "hosts[0].sudo_password"},
		{"NUL", withHost("    sudo_password: \"" + secretMark + "\\0\"\n"), "hosts[0].sudo_password"},
		{"mapping", withHost("    sudo_password: {p: " + secretMark + "}\n"), "hosts[0].sudo_password"},
		{"list", withHost("    sudo_password: [" + secretMark + "]\n"), "hosts[0].sudo_password"},
		{"bad reference", withHost("    sudo_password: " + secretMark + "${x}\n"), "hosts[0].sudo_password"},
		{"bad env name", withHost("    sudo_password: ${env:" + secretMark + " x}\n"), "hosts[0].sudo_password"},
		{"unterminated reference", withHost("    sudo_password: " + secretMark + "${x\n"), "hosts[0].sudo_password"},
		{"app secret slash", minimal + "jitsi:\n  app_secret: " + secretMark + "/x\n", "jitsi.app_secret"},
		{"app secret quote", minimal + "jitsi:\n  app_secret: '" + secretMark + "\"x'\n", "jitsi.app_secret"},
		{"client secret", minimal[:len(minimal)-1] + "\n  test_client: {client_id: t, client_secret: \"" + secretMark + "\\r\"}\n", "janssen.test_client.client_secret"},
		{"misspelt key", withHost("    sudo_pasword: " + secretMark + "\n"), ""},
		{"syntax", withHost("    sudo_password: \"" + secretMark + "\n"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("a.yaml", []byte(tt.doc), options("/answers", env))
			ps := problems(t, err)
			if strings.Contains(err.Error(), secretMark) {
				t.Errorf("secret in message: %v", err)
			}
			if tt.path != "" && ps[0].Path != tt.path {
				t.Errorf("problem names %q, want %q: %v", ps[0].Path, tt.path, err)
			}
		})
	}
}

func TestSecrets(t *testing.T) {
	doc := withHost("    sudo_password: "+secretMark+"-a\n") + `jitsi:
  app_secret: ` + secretMark + `-longer
apt:
  proxy: http://user:` + secretMark + `-p@proxy.example.com:3128
`
	cfg, err := Parse("a.yaml", []byte(doc), options("/answers", nil))
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Secrets()
	want := []string{secretMark + "-longer", secretMark + "-a", secretMark + "-p"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Secrets() = %q, want %q", got, want)
	}
}

func TestLoad(t *testing.T) {
	cfg, err := Load("testdata/valid/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Problem("janssen.issuer", "differs from the discovery document")
	if p.String() != "testdata/valid/minimal.yaml:8:11: janssen.issuer: differs from the discovery document" {
		t.Errorf("Problem() = %s", p)
	}
	// A path the file left out points at its nearest ancestor.
	if p := cfg.Problem("tls.mode", "x"); p.Line != 1 {
		t.Errorf("Problem() for a default = %s", p)
	}

	_, err = Load("testdata/no-such.yaml")
	ps := problems(t, err)
	if len(ps) != 1 || ps[0].File != "testdata/no-such.yaml" || !strings.Contains(ps[0].Msg, "no such file") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestSuggest(t *testing.T) {
	keys := []string{"version", "domain", "hosts", "letsencrypt", "key_file", "key_url", "port"}
	tests := map[string]string{
		"domian":      "domain",
		"Domain":      "domain",
		"key-file":    "key_file",
		"hsots":       "hosts",
		"lets_encrpt": "letsencrypt",
		"prot":        "port",
		"x":           "",
		"proxy":       "",
		"certificate": "",
	}
	for in, want := range tests {
		if got := suggest(in, keys); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// Bridges take the deployment's region unless they name their own.
func TestBridgeRegions(t *testing.T) {
	c, err := Parse("testdata/valid/bridges.yaml", mustRead(t, "testdata/valid/bridges.yaml"), options("testdata/valid", nil))
	if err != nil {
		t.Fatal(err)
	}
	core, ok := c.Core()
	if !ok || core.Address != "203.0.113.10" {
		t.Fatalf("core %+v", core)
	}
	var got []string
	for _, b := range c.Bridges() {
		got = append(got, b.Address+"="+c.Region(b))
	}
	if strings.Join(got, " ") != "203.0.113.20=eu-west 203.0.113.30=us-east" {
		t.Errorf("bridges %v", got)
	}
	// The core runs no bridge here: its region does not count.
	if r := c.Regions(); !reflect.DeepEqual(r, []string{"eu-west", "us-east"}) {
		t.Errorf("regions %v", r)
	}
}
