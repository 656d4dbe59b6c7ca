package answers

import (
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"
)

func TestTemplate(t *testing.T) {
	tpl := Template()
	golden.Assert(t, "testdata/template.golden", tpl)
	// As `answers init > a.yaml && answers validate a.yaml` would: nothing
	// in the environment, no files.
	noEnv := Options{Dir: "/nowhere", Home: "/nowhere", LookupEnv: func(string) (string, bool) { return "", false }}
	if _, err := Parse("a.yaml", tpl, noEnv); err != nil {
		t.Fatalf("Parse(Template()):\n%v", err)
	}
	// Every key has its comment on the line above.
	keyLine := regexp.MustCompile(`^ *(- )?[a-z_]+:( |$)`)
	lines := strings.Split(string(tpl), "\n")
	keys := 0
	for i, l := range lines {
		if !keyLine.MatchString(l) {
			continue
		}
		keys++
		if i == 0 || !strings.HasPrefix(strings.TrimSpace(lines[i-1]), "# ") {
			t.Errorf("line %d %q has no comment above it", i+1, l)
		}
	}
	if keys < 50 {
		t.Errorf("only %d keys in the template", keys)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	env := testEnv(t)
	sources := map[string][]byte{
		"testdata/valid/full.yaml":    mustRead(t, "testdata/valid/full.yaml"),
		"testdata/valid/minimal.yaml": mustRead(t, "testdata/valid/minimal.yaml"),
		"testdata/valid/template":     Template(),
	}
	for name, data := range sources {
		t.Run(filepath.Base(name), func(t *testing.T) {
			opts := options("testdata/valid", env)
			cfg, err := Parse(name, data, opts)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(name, out, opts)
			if err != nil {
				t.Fatalf("Parse(Marshal(cfg)): %v\n%s", err, out)
			}
			if !reflect.DeepEqual(exported(again), exported(cfg)) {
				t.Errorf("round trip changed the config:\n got %+v\nwant %+v\n%s", exported(again), exported(cfg), out)
			}
			for _, s := range cfg.Secrets() {
				if strings.Contains(string(out), s) {
					t.Errorf("secret %q written in plain text", s)
				}
			}
			if strings.HasSuffix(name, "full.yaml") {
				golden.Assert(t, "testdata/full.marshal.golden", out)
			}
		})
	}
}

func TestMarshalKeepsReferences(t *testing.T) {
	env := testEnv(t)
	cfg, err := Parse("full.yaml", mustRead(t, "testdata/valid/full.yaml"), options("testdata/valid", env))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := Marshal(cfg)
	for _, want := range []string{
		"domain: ${env:DOMAIN}",
		"port: ${env:SSH_PORT}",
		"key_file: ~/.ssh/id_ed25519",
		"sudo_password: ${file:../files/sudo-password}",
		"sudo_password: ${env:SUDO_PASSWORD}",
		"cert_file: ../files/cert.pem",
		"ca_bundle: ${env:CERT_DIR}/cert.pem",
		"client_secret: ${env:CLIENT_SECRET}",
		"app_secret: ${env:APP_SECRET}",
	} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("Marshal output lacks %q", want)
		}
	}
	if got := SecretEnv(cfg); len(got) != 0 {
		t.Errorf("SecretEnv = %v, want nothing: every secret came from a reference", got)
	}

	// An edited secret no longer matches its reference: it becomes a new one.
	cfg.Hosts[1].SudoPassword = secretMark + "-changed"
	out, _ = Marshal(cfg)
	if !strings.Contains(string(out), "sudo_password: ${env:JITSI_SUDO_PASSWORD_1}\n") || strings.Contains(string(out), secretMark) {
		t.Errorf("edited secret:\n%s", out)
	}
	if got := SecretEnv(cfg); !reflect.DeepEqual(got, map[string]string{"JITSI_SUDO_PASSWORD_1": secretMark + "-changed"}) {
		t.Errorf("SecretEnv = %v", got)
	}
}

// A Config built in code (the TUI's case) has no references: its secrets
// go to the environment and the file reads back the same.
func TestMarshalBuiltConfig(t *testing.T) {
	cfg, err := Parse("a.yaml", Template(), options("/answers", nil))
	if err != nil {
		t.Fatal(err)
	}
	built := exported(cfg)
	built.Hosts[0].SudoPassword = secretMark + " sudo \"pw\""
	built.Janssen.TestClient = TestClient{ClientID: "tester", ClientSecret: secretMark + "-client"}
	built.Jitsi.AppSecret = secretMark + "-app"
	built.Jitsi.STUNServers = []string{}
	out, err := Marshal(&built)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), secretMark) {
		t.Fatalf("secret in output:\n%s", out)
	}
	env := SecretEnv(&built)
	want := map[string]string{
		"JITSI_SUDO_PASSWORD_0": built.Hosts[0].SudoPassword,
		"JANSSEN_CLIENT_SECRET": built.Janssen.TestClient.ClientSecret,
		"JITSI_APP_SECRET":      built.Jitsi.AppSecret,
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("SecretEnv = %v, want %v", env, want)
	}
	again, err := Parse("a.yaml", out, options("/answers", env))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(exported(again), built) {
		t.Errorf("round trip:\n got %+v\nwant %+v", exported(again), built)
	}

	built.Hosts[0].KeyFile = "/keys/${x}"
	if _, err := Marshal(&built); err == nil || !strings.Contains(err.Error(), "hosts[0].key_file") {
		t.Errorf("Marshal of a value Parse would misread: %v", err)
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("Marshal(nil) succeeded")
	}
}

// An unedited template is valid but names each example value left in it,
// with its line; an edited file names none.
func TestExamples(t *testing.T) {
	noEnv := Options{Dir: "/nowhere", Home: "/nowhere", LookupEnv: func(string) (string, bool) { return "", false }}
	c, err := Parse("a.yaml", Template(), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, p := range Examples(c) {
		got[p.Path] = true
		if p.Line == 0 || !strings.Contains(p.Msg, "example value") {
			t.Errorf("%s: %q at line %d", p.Path, p.Msg, p.Line)
		}
	}
	for _, f := range []string{"domain", "hosts[0].address", "letsencrypt.email", "janssen.issuer"} {
		if !got[f] {
			t.Errorf("%s not named as an example value; got %v", f, got)
		}
	}
	edited := strings.NewReplacer("meet.example.com", "meet.acme.org", "203.0.113.10", "192.0.2.7",
		"ops@example.com", "ops@acme.org", "https://login.example.com", "https://login.acme.org").Replace(string(Template()))
	c, err = Parse("a.yaml", []byte(edited), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if ps := Examples(c); len(ps) != 0 {
		t.Errorf("edited file: %v", ps)
	}
}
