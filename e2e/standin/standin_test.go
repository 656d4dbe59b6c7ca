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

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
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
	testenv.Tools(t, "apt-get install "+strings.Join(HostPackages, " "), "dpkg-deb", "apt-ftparchive", "gpg", "gpgv")
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
			all[cur["Package"]+"="+cur["Version"]] = cur
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
	rels, err := Releases()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, preDepends, depends, recommends string
	}{
		// jitsi-meet's relations name its release's versions (exact below).
		{"jitsi-meet", "jitsi-videobridge2", "jicofo, jitsi-meet-web, jitsi-meet-web-config, jitsi-meet-prosody", "jitsi-meet-turnserver | apache2"},
		{"jitsi-meet-web", "", "", ""},
		{"jitsi-meet-web-config", "nginx | nginx-full | nginx-extras | openresty | apache2", "openssl, curl", ""},
		{"jitsi-meet-prosody", "", "openssl, prosody (>= 0.12.0) | prosody-trunk | prosody-0.12 | prosody-13.0, ca-certificates, lua-sec, lua-basexx, lua-luaossl, lua-cjson, lua-inspect", ""},
		{"jitsi-meet-tokens", "", "prosody-trunk | prosody-0.12 | prosody-13.0 | prosody (>= 0.12.0), jitsi-meet-prosody", ""},
		{"jitsi-meet-turnserver", "jitsi-meet-web-config", "jitsi-meet-prosody, coturn, dnsutils", ""},
		{"jicofo", "", "ruby-hocon, python3", ""},
		{"jitsi-videobridge2", "", "ruby-hocon, python3", ""},
	}
	want := 0
	for _, rel := range rels {
		if rel.Suite != suite {
			continue
		}
		for _, tt := range tests {
			want++
			p, ok := index[tt.name+"="+rel.Version(tt.name)]
			if !ok {
				t.Errorf("%s %s missing from %s Packages", tt.name, rel.Version(tt.name), suite)
				continue
			}
			if tt.name == "jitsi-meet" {
				tt.preDepends, tt.depends, tt.recommends = exact(rel, tt.preDepends), exact(rel, tt.depends), exact(rel, tt.recommends)
			}
			checkStanza(t, suite, tt.name, tt.preDepends, tt.depends, tt.recommends, p)
		}
	}
	if len(index) != want {
		t.Errorf("%s Packages lists %d packages, want %d", suite, len(index), want)
	}
}

// exact adds "(= VERSION)" of rel to each first alternative of relations,
// as upstream's metapackage names them.
func exact(rel Release, relations string) string {
	var out []string
	for _, r := range strings.Split(relations, ", ") {
		first, rest, alt := strings.Cut(r, " | ")
		first += " (= " + rel.Version(first) + ")"
		if alt {
			first += " | " + rest
		}
		out = append(out, first)
	}
	return strings.Join(out, ", ")
}

func checkStanza(t *testing.T, suite, name, preDepends, depends, recommends string, p map[string]string) {
	t.Helper()
	tt := struct{ name, preDepends, depends, recommends string }{name, preDepends, depends, recommends}
	{
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

// deb returns the path of package name's newest .deb in Suite.
func deb(t *testing.T, r *Repo, name string) string { return debOf(t, r, Suite, name) }

// debOf returns the path of package name's newest .deb in suite.
func debOf(t *testing.T, r *Repo, suite, name string) string {
	t.Helper()
	return debVersion(t, r, suite, "", name)
}

// debVersion returns the path of package name's .deb in suite at version
// (the suite's newest when empty).
func debVersion(t *testing.T, r *Repo, suite, version, name string) string {
	t.Helper()
	rels, err := Releases()
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range rels {
		v := rel.Version(name)
		if rel.Suite == suite && v != "" && (version == "" || version == v) {
			return filepath.Join(r.Dir, suite, name+"_"+v+"_all.deb")
		}
	}
	t.Fatalf("no package %s %s in %s", name, version, suite)
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
			"jicofo/jicofo-authuser": "string",
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
			plugins + "mod_muc_meeting_id.lua", plugins + "mod_jitsi_session.lua",
			plugins + "mod_auth_jitsi-anonymous.lua", plugins + "auth_provider.lib.lua",
			plugins + "mod_conference_duration.lua", plugins + "mod_client_proxy.lua",
			plugins + "mod_roster_command.lua", plugins + "luajwtjitsi.lib.lua", plugins + "util.lib.lua",
			plugins + "mod_speakerstats_component.lua", plugins + "mod_av_moderation_component.lua",
			plugins + "mod_room_metadata_component.lua", plugins + "mod_polls_component.lua",
			plugins + "token/util.lib.lua", plugins + "token/jwk.lib.lua",
		},
		"jitsi-meet-web": {
			"usr/share/jitsi-meet/index.html", "usr/share/jitsi-meet/libs/external_api.min.js",
			"usr/share/jitsi-meet/static/sso.html", "usr/share/jitsi-meet/static/logout.html",
			"usr/share/jitsi-meet/libs/app.bundle.min.js",
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
		if pkg == "jitsi-meet-prosody" {
			// Upstream removed these; the *_component modules replaced them.
			for _, m := range []string{"speakerstats", "av_moderation", "polls", "room_metadata", "external_services"} {
				if strings.Contains(listing, " ./"+plugins+"mod_"+m+".lua\n") {
					t.Errorf("jitsi-meet-prosody still has mod_%s.lua", m)
				}
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
	newest, err := Packages()
	must(t, err)
	previous, err := PreviousPackages()
	must(t, err)
	for i, p := range newest {
		// Both releases are in stable/; apt's candidate is the newest.
		policy := run(t, "apt-cache", append(opts, "policy", p.Name)...)
		if !strings.Contains(policy, "Candidate: "+p.Version+"\n") || !strings.Contains(policy, " "+previous[i].Version+" ") {
			t.Errorf("apt-cache policy %s: want candidate %s and %s listed:\n%s", p.Name, p.Version, previous[i].Version, policy)
		}
	}
	for _, spec := range []struct{ arg, file string }{
		{"jicofo", "jicofo_" + newest[0].Version + "_all.deb"},
		{"jicofo=" + previous[0].Version, "jicofo_" + previous[0].Version + "_all.deb"},
	} {
		dl := exec.Command("apt-get", append(opts, "download", spec.arg)...)
		dl.Dir = dir
		if msg, err := dl.CombinedOutput(); err != nil {
			t.Fatalf("apt-get download %s: %v\n%s", spec.arg, err, msg)
		}
		if _, err := os.Stat(filepath.Join(dir, spec.file)); err != nil {
			t.Errorf("apt-get download %s did not fetch %s: %v", spec.arg, spec.file, err)
		}
	}
}

// TestStableHasTwoReleases: every package is in stable/ twice, the newest
// release higher than the previous one, and the newest jitsi-meet-prosody
// adds a line to existing configs that the previous one lacks, so an
// upgrade runs a real upgrade branch.
func TestStableHasTwoReleases(t *testing.T) {
	r := testRepo(t)
	rels, err := Releases()
	must(t, err)
	if len(rels) != 3 || rels[0].Suite != Suite || rels[1].Suite != Suite || rels[2].Suite != OldSuite {
		t.Fatalf("Releases() = %+v", rels)
	}
	for i, p := range rels[0].Packages {
		prev := rels[1].Packages[i]
		if p.Name != prev.Name || exec.Command("dpkg", "--compare-versions", prev.Version, "lt", p.Version).Run() != nil {
			t.Errorf("%s %s is not older than %s %s", prev.Name, prev.Version, p.Name, p.Version)
		}
		for _, v := range []string{p.Version, prev.Version} {
			if _, err := os.Stat(debVersion(t, r, Suite, v, p.Name)); err != nil {
				t.Error(err)
			}
		}
	}
	const line = "component_admins_as_room_owners"
	for _, tt := range []struct {
		version string
		want    bool
	}{{rels[0].Version("jitsi-meet-prosody"), true}, {rels[1].Version("jitsi-meet-prosody"), false}} {
		dir := t.TempDir()
		d := debVersion(t, r, Suite, tt.version, "jitsi-meet-prosody")
		run(t, "dpkg-deb", "--extract", d, dir)
		run(t, "dpkg-deb", "--control", d, filepath.Join(dir, "DEBIAN"))
		for _, f := range []string{"DEBIAN/postinst", "usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			must(t, err)
			if strings.Contains(string(b), line) != tt.want || strings.Contains(string(b), "STANDIN_SINCE") {
				t.Errorf("jitsi-meet-prosody %s %s: has %s: %v, want %v (and no markers)", tt.version, f, line, !tt.want, tt.want)
			}
		}
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
