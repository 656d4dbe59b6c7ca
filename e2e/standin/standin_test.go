package standin

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	buildOnce sync.Once
	builtRepo *Repo
	buildErr  error
	buildDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// testRepo builds the repository once for all tests of the package.
func testRepo(t *testing.T) *Repo {
	t.Helper()
	for _, tool := range []string{"dpkg-deb", "apt-ftparchive", "gpg", "gpgv"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install %s)", tool, strings.Join(HostPackages, " "))
		}
	}
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "standin-test-")
		if buildErr == nil {
			builtRepo, buildErr = BuildRepo(context.Background(), buildDir)
		}
	})
	if buildErr != nil {
		t.Fatalf("BuildRepo: %v", buildErr)
	}
	return builtRepo
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// keyring dearmors the repository key into a keyring file for gpgv and apt.
func keyring(t *testing.T, r *Repo) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "jitsi-keyring.gpg")
	cmd := exec.Command("gpg", "--batch", "--dearmor", "--output", out, r.KeyPath)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+t.TempDir())
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gpg --dearmor: %v\n%s", err, msg)
	}
	return out
}

func TestReleaseIsSignedByTheServedKey(t *testing.T) {
	r := testRepo(t)
	kr := keyring(t, r)
	for _, suite := range []string{Suite, OldSuite} {
		dir := filepath.Join(r.Dir, suite)
		run(t, "gpgv", "--keyring", kr, filepath.Join(dir, "Release.gpg"), filepath.Join(dir, "Release"))
		run(t, "gpgv", "--keyring", kr, filepath.Join(dir, "InRelease"))
	}

	// The fingerprint a user would pin is the served key's.
	cmd := exec.Command("gpg", "--batch", "--with-colons", "--show-keys", r.KeyPath)
	cmd.Env = append(os.Environ(), "GNUPGHOME="+t.TempDir())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gpg --show-keys: %v", err)
	}
	fpr, err := parseFingerprint(string(out))
	if err != nil {
		t.Fatal(err)
	}
	if fpr != r.Fingerprint || len(fpr) != 40 {
		t.Errorf("Fingerprint = %q, served key has %q", r.Fingerprint, fpr)
	}
	if r.Suite != "stable/" || r.KeyPath != filepath.Join(r.Dir, "jitsi-key.gpg.key") {
		t.Errorf("Suite %q KeyPath %q", r.Suite, r.KeyPath)
	}
}

// stanzas parses a Packages file into one field map per package.
func stanzas(t *testing.T, text string) map[string]map[string]string {
	t.Helper()
	all := map[string]map[string]string{}
	cur := map[string]string{}
	flush := func() {
		if cur["Package"] != "" {
			all[cur["Package"]] = cur
		}
		cur = map[string]string{}
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, " ") {
			cur[k] = strings.TrimSpace(v)
		}
	}
	flush()
	return all
}

func TestPackagesIndexHasTheRealRelations(t *testing.T) {
	r := testRepo(t)
	for _, suite := range []string{Suite, OldSuite} {
		t.Run(strings.TrimSuffix(suite, "/"), func(t *testing.T) { checkRelations(t, r, suite) })
	}
}

func checkRelations(t *testing.T, r *Repo, suite string) {
	b, err := os.ReadFile(filepath.Join(r.Dir, suite, "Packages"))
	if err != nil {
		t.Fatal(err)
	}
	index := stanzas(t, string(b))
	tests := []struct {
		name, preDepends, depends, recommends string
	}{
		{"jitsi-meet", "jitsi-videobridge2", "jicofo, jitsi-meet-web, jitsi-meet-web-config, jitsi-meet-prosody", "jitsi-meet-turnserver"},
		{"jitsi-meet-web", "", "", ""},
		{"jitsi-meet-web-config", "", "openssl, nginx | nginx-full | nginx-extras | apache2", ""},
		{"jitsi-meet-prosody", "", "openssl, ca-certificates, prosody (>= 0.11) | prosody-trunk | prosody-0.12, ruby-hocon", ""},
		{"jitsi-meet-tokens", "", "jitsi-meet-prosody, prosody (>= 0.12) | prosody-trunk", ""},
		{"jitsi-meet-turnserver", "", "jitsi-meet-web-config, jitsi-meet-prosody, coturn", ""},
		{"jicofo", "", "ruby-hocon, python3", ""},
		{"jitsi-videobridge2", "", "ruby-hocon, python3", ""},
	}
	if len(index) != len(tests) {
		t.Errorf("Packages lists %d packages, want %d", len(index), len(tests))
	}
	for _, tt := range tests {
		p, ok := index[tt.name]
		if !ok {
			t.Errorf("%s missing from Packages", tt.name)
			continue
		}
		if p["Pre-Depends"] != tt.preDepends || p["Depends"] != tt.depends || p["Recommends"] != tt.recommends {
			t.Errorf("%s: Pre-Depends %q Depends %q Recommends %q", tt.name, p["Pre-Depends"], p["Depends"], p["Recommends"])
		}
		if p["Architecture"] != "all" || !strings.HasPrefix(p["Filename"], suite+tt.name+"_") {
			t.Errorf("%s: Architecture %q Filename %q", tt.name, p["Architecture"], p["Filename"])
		}
	}
}

// TestOldSuiteIsAnOlderReleaseWithoutJWKS: every package of OldSuite is
// older than Suite's, so apt never prefers it by accident, and its token
// plugin has no token/jwk.lib.lua, the file that marks JWKS support.
func TestOldSuiteIsAnOlderReleaseWithoutJWKS(t *testing.T) {
	r := testRepo(t)
	cur, err := Packages()
	must(t, err)
	old, err := OldPackages()
	must(t, err)
	if len(old) != len(cur) {
		t.Fatalf("%s has %d packages, %s %d", OldSuite, len(old), Suite, len(cur))
	}
	for i, p := range old {
		if p.Name != cur[i].Name || exec.Command("dpkg", "--compare-versions", p.Version, "lt", cur[i].Version).Run() != nil {
			t.Errorf("%s %s is not older than %s %s", p.Name, p.Version, cur[i].Name, cur[i].Version)
		}
		dir := t.TempDir()
		run(t, "dpkg-deb", "--control", debOf(t, r, OldSuite, p.Name), dir)
		if control, err := os.ReadFile(filepath.Join(dir, "control")); err != nil || !strings.Contains(string(control), "\nVersion: "+p.Version+"\n") {
			t.Errorf("%s control in %s: %v\n%s", p.Name, OldSuite, err, control)
		}
	}
	listing := run(t, "dpkg-deb", "--contents", debOf(t, r, OldSuite, "jitsi-meet-prosody"))
	if strings.Contains(listing, "/"+jwkLib) || !strings.Contains(listing, " ./"+utilLib+"\n") {
		t.Errorf("%s jitsi-meet-prosody must have token/util.lib.lua and no token/jwk.lib.lua:\n%s", OldSuite, listing)
	}
}

// deb returns the path of package name's .deb in Suite.
func deb(t *testing.T, r *Repo, name string) string { return debOf(t, r, Suite, name) }

// debOf returns the path of package name's .deb in suite.
func debOf(t *testing.T, r *Repo, suite, name string) string {
	t.Helper()
	list := Packages
	if suite == OldSuite {
		list = OldPackages
	}
	pkgs, err := list()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if p.Name == name {
			return filepath.Join(r.Dir, suite, name+"_"+p.Version+"_all.deb")
		}
	}
	t.Fatalf("no package %s", name)
	return ""
}

// templates reads a templates file into question -> type.
func templates(text string) map[string]string {
	got := map[string]string{}
	var name string
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "Template: "); ok {
			name = v
		}
		if v, ok := strings.CutPrefix(line, "Type: "); ok {
			got[name] = v
		}
	}
	return got
}

func TestDebconfTemplatesHaveTheRealNames(t *testing.T) {
	r := testRepo(t)
	want := map[string]map[string]string{
		"jitsi-videobridge2": {
			"jitsi-videobridge/jvb-hostname": "string", "jitsi-videobridge/jvbsecret": "password",
		},
		"jicofo": {
			"jitsi-videobridge/jvb-hostname": "string", "jicofo/jicofo-authpassword": "password",
		},
		"jitsi-meet-prosody": {
			"jitsi-meet-prosody/jvb-hostname": "string", "jitsi-videobridge/jvb-hostname": "string",
			"jitsi-videobridge/jvbsecret": "password", "jicofo/jicofo-authuser": "string",
			"jicofo/jicofo-authpassword": "password", "jitsi-meet-prosody/turn-secret": "string",
			"jitsi-meet/jaas-choice": "boolean",
		},
		"jitsi-meet-web-config": {
			"jitsi-meet/cert-choice": "select", "jitsi-meet/cert-path-key": "string",
			"jitsi-meet/cert-path-crt": "string", "jitsi-meet/jvb-hostname": "string",
			"jitsi-videobridge/jvb-hostname": "string", "jitsi-meet/jaas-choice": "boolean",
			"jitsi-meet/email": "string",
		},
		"jitsi-meet-turnserver": {
			"jitsi-meet-turnserver/jvb-hostname": "string", "jitsi-videobridge/jvb-hostname": "string",
		},
		"jitsi-meet-tokens": {
			"jitsi-meet-tokens/appid": "string", "jitsi-meet-tokens/appsecret": "password",
			"jitsi-meet-prosody/prosody_config": "string",
		},
	}
	for pkg, questions := range want {
		dir := t.TempDir()
		run(t, "dpkg-deb", "--control", deb(t, r, pkg), dir)
		b, err := os.ReadFile(filepath.Join(dir, "templates"))
		if err != nil {
			t.Fatalf("%s: %v", pkg, err)
		}
		got := templates(string(b))
		if len(got) != len(questions) {
			t.Errorf("%s has templates %v, want %v", pkg, got, questions)
		}
		for q, typ := range questions {
			if got[q] != typ {
				t.Errorf("%s: template %s has type %q, want %q", pkg, q, got[q], typ)
			}
		}
		if pkg == "jitsi-meet-web-config" {
			choices := CertLetsEncrypt + ", " + CertOwn + ", " + CertSelfSigned
			if !strings.Contains(string(b), "Choices: "+choices+"\n") {
				t.Errorf("jitsi-meet/cert-choice choices are not %q", choices)
			}
		}
	}
}

func TestDebsHoldTheRealFiles(t *testing.T) {
	r := testRepo(t)
	plugins := "usr/share/jitsi-meet/prosody-plugins/"
	want := map[string][]string{
		"jicofo":             {"lib/systemd/system/jicofo.service", "usr/share/jicofo/jicofo.py"},
		"jitsi-videobridge2": {"lib/systemd/system/jitsi-videobridge2.service", "usr/share/jitsi-videobridge/jvb.py"},
		"jitsi-meet-prosody": {
			"usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example",
			plugins + "mod_auth_token.lua", plugins + "mod_token_verification.lua",
			plugins + "mod_muc_meeting_id.lua", plugins + "mod_external_services.lua",
			plugins + "mod_auth_jitsi-anonymous.lua", plugins + "auth_provider.lib.lua",
			plugins + "mod_conference_duration.lua",
			plugins + "token/util.lib.lua", plugins + "token/jwk.lib.lua",
		},
		"jitsi-meet-web": {
			"usr/share/jitsi-meet/index.html", "usr/share/jitsi-meet/libs/external_api.min.js",
			"usr/share/jitsi-meet/static/sso.html",
		},
		"jitsi-meet-web-config": {
			"usr/share/jitsi-meet-web-config/config.js", "usr/share/jitsi-meet-web-config/jitsi-meet.example",
		},
		"jitsi-meet-turnserver": {"usr/share/jitsi-meet-turnserver/turnserver.conf"},
	}
	for pkg, files := range want {
		listing := run(t, "dpkg-deb", "--contents", deb(t, r, pkg))
		for _, f := range files {
			if !strings.Contains(listing, " ./"+f+"\n") {
				t.Errorf("%s lacks /%s", pkg, f)
			}
		}
		if !strings.Contains(listing, "root/root") {
			t.Errorf("%s files are not owned by root:\n%s", pkg, listing)
		}
	}

	units := map[string]string{"jicofo": "User=jicofo\n", "jitsi-videobridge2": "User=jvb\n"}
	for pkg, user := range units {
		dir := t.TempDir()
		run(t, "dpkg-deb", "--extract", deb(t, r, pkg), dir)
		unit, err := os.ReadFile(filepath.Join(dir, "lib/systemd/system", pkg+".service"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(unit), user) {
			t.Errorf("%s.service does not run as %s", pkg, user)
		}
	}
}

func TestMaintainerScriptsAreComplete(t *testing.T) {
	r := testRepo(t)
	pkgs, err := Packages()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		dir := t.TempDir()
		run(t, "dpkg-deb", "--control", deb(t, r, p.Name), dir)
		for _, s := range []string{"config", "postinst", "prerm", "postrm"} {
			b, err := os.ReadFile(filepath.Join(dir, s))
			if os.IsNotExist(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(b, []byte(libMarker)) {
				t.Errorf("%s %s still has %s", p.Name, s, libMarker)
			}
			shell := "sh"
			if bytes.HasPrefix(b, []byte("#!/bin/bash")) {
				shell = "bash"
			}
			if out, err := exec.Command(shell, "-n", filepath.Join(dir, s)).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %s -n: %v\n%s", p.Name, s, shell, err, out)
			}
		}
	}
}

func TestBuildRepoReusesACompleteBuild(t *testing.T) {
	testRepo(t)
	dir := t.TempDir()
	first, err := BuildRepo(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	// A rebuild replaces the whole tree, so this file survives only when the
	// build is reused.
	marker := filepath.Join(first.Dir, "stable", "kept")
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := BuildRepo(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if *second != *first {
		t.Errorf("second build %+v, first %+v", second, first)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("repository was rebuilt from unchanged sources: %v", err)
	}

	// Other sources: rebuilt, with the same key.
	if err := os.WriteFile(filepath.Join(dir, "source.sha256"), []byte("other\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	third, err := BuildRepo(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("repository was not rebuilt when the sources changed")
	}
	if third.Fingerprint != first.Fingerprint {
		t.Errorf("rebuild changed the key: %s, then %s", first.Fingerprint, third.Fingerprint)
	}
}

// TestAptInstallsFromTheRepo points a private apt at the repository the way
// a target's sources line does.
func TestAptAcceptsTheRepo(t *testing.T) {
	r := testRepo(t)
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skip("apt-get is not installed")
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(r.Dir)))
	defer srv.Close()

	dir := t.TempDir()
	kr := keyring(t, r)
	list := filepath.Join(dir, "jitsi-stable.list")
	line := "deb [signed-by=" + kr + "] " + srv.URL + "/ " + r.Suite + "\n"
	if err := os.WriteFile(list, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"lists/partial", "cache/archives/partial"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	opts := []string{
		"-o", "Dir::Etc::SourceList=" + list, "-o", "Dir::Etc::SourceParts=/dev/null",
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		"-o", "Dir::State::status=/dev/null", "-o", "APT::Sandbox::User=root",
		"-o", "Debug::NoLocking=1",
	}
	out := run(t, "apt-get", append(opts, "update")...)
	if strings.Contains(out, "NO_PUBKEY") || strings.Contains(out, "not signed") || strings.Contains(out, "Err:") {
		t.Fatalf("apt-get update did not accept the repository:\n%s", out)
	}
	show := run(t, "apt-cache", append(opts, "show", "jitsi-meet")...)
	if !strings.Contains(show, "Version: 2.0.10078-1") {
		t.Errorf("apt-cache show jitsi-meet:\n%s", show)
	}
	dl := exec.Command("apt-get", append(opts, "download", "jicofo")...)
	dl.Dir = dir
	if msg, err := dl.CombinedOutput(); err != nil {
		t.Fatalf("apt-get download jicofo: %v\n%s", err, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "jicofo_1.0-1100-1_all.deb")); err != nil {
		t.Errorf("apt-get download did not fetch jicofo: %v", err)
	}
}

func TestAnswersRenderSelections(t *testing.T) {
	got := Answers{Hostname: "meet.example.com", CertChoice: CertOwn, CertKey: "/k", CertCrt: "/c", AppID: "jitsi"}.Selections()
	for _, want := range []string{
		"jitsi-videobridge2 jitsi-videobridge/jvb-hostname string meet.example.com\n",
		"jitsi-meet-web-config jitsi-meet/cert-choice select I want to use my own certificate\n",
		"jitsi-meet-web-config jitsi-meet/cert-path-key string /k\n",
		"jitsi-meet-web-config jitsi-meet/jaas-choice boolean false\n",
		"jitsi-meet-tokens jitsi-meet-tokens/appsecret password \n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Selections() lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "jitsi-meet/jvb-hostname") || strings.Contains(got, "jitsi-meet/email") {
		t.Errorf("Selections() preseeds a question it must not:\n%s", got)
	}
}
