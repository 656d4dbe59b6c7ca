//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestDebPackage installs the release's .deb on Debian 12 and Ubuntu 24.04
// as an operator would (apt install ./FILE.deb), runs the installer there in
// local mode against the target itself, upgrades to the next snapshot (the
// release of a later commit) and purges it: nothing of the package may be
// left, and nothing the host had before may be gone.
func TestDebPackage(t *testing.T) {
	testenv.Root(t)
	testenv.Tools(t, "apt-get install dpkg-dev make git gnupg", "dpkg-deb", "make", "git", "gpg")
	dist, meta := releaseDist(t)
	next, took := buildRelease(t, nil, func(clone string) {
		// An empty commit an hour after HEAD: the next snapshot's version
		// is later, as the next commit's would be.
		ct, err := strconv.ParseInt(git(t, clone, nil, "log", "-1", "--format=%ct"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		date := fmt.Sprintf("@%d +0000", ct+3600)
		git(t, clone, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date,
			"GIT_AUTHOR_NAME=release test", "GIT_AUTHOR_EMAIL=release-test@example.com",
			"GIT_COMMITTER_NAME=release test", "GIT_COMMITTER_EMAIL=release-test@example.com"},
			"commit", "--quiet", "--allow-empty", "-m", "next snapshot")
	})
	nextMeta, _ := readMeta(t, next)
	t.Logf("next snapshot %s built in %s (Go's build cache warm)", nextMeta.Version, took.Round(1e9))

	first, second := debOf(t, dist), debOf(t, next)
	if err := exec.Command("dpkg", "--compare-versions", first.version, "lt", second.version).Run(); err != nil {
		t.Fatalf("the next snapshot's version %s is not after %s", second.version, first.version)
	}
	for _, suite := range []string{"bookworm", "noble"} {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			tg := up(t, "deb-"+suite, suite, "root")
			debLifecycle(t, tg, first, second, meta, nextMeta)
		})
	}
}

// debFile is a .deb of a release: its path, version and the paths it holds.
type debFile struct {
	path, version string
	paths         []string // "/usr", "/usr/bin", "/usr/bin/jitsi-installer", ...
}

// debOf finds dist's .deb for this machine's architecture (the targets run
// on it) and reads it with dpkg-deb.
func debOf(t *testing.T, dist string) debFile {
	t.Helper()
	debs, _ := filepath.Glob(filepath.Join(dist, "jitsi-installer_*_"+runtime.GOARCH+".deb"))
	if len(debs) != 1 {
		t.Fatalf("%s: %d .deb files for %s: %v", dist, len(debs), runtime.GOARCH, debs)
	}
	d := debFile{path: debs[0]}
	out, err := exec.Command("dpkg-deb", "--field", d.path, "Version").Output()
	if err != nil {
		t.Fatalf("dpkg-deb --field %s: %v", d.path, err)
	}
	d.version = strings.TrimSpace(string(out))
	out, err = exec.Command("dpkg-deb", "--contents", d.path).Output()
	if err != nil {
		t.Fatalf("dpkg-deb --contents %s: %v", d.path, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		p := strings.TrimSuffix(strings.TrimPrefix(f[len(f)-1], "."), "/")
		if p != "" {
			d.paths = append(d.paths, p)
		}
	}
	return d
}

// debLifecycle is install, local plan, upgrade and purge on one target.
func debLifecycle(t *testing.T, tg *sandbox.Target, first, second debFile, meta, nextMeta releaseMeta) {
	all := union(first.paths, second.paths)
	before := existing(t, tg, all)

	install := func(d debFile) {
		t.Helper()
		remote := "/root/" + filepath.Base(d.path)
		copyTo(t, tg, d.path, remote)
		mustSSH(t, tg, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q "+sandbox.ShellQuote(remote)+" && rm "+sandbox.ShellQuote(remote))
		if v := strings.TrimSpace(mustSSH(t, tg, "dpkg-query -W -f '${Status} ${Version}' jitsi-installer")); v != "install ok installed "+d.version {
			t.Fatalf("after installing %s: dpkg says %q", filepath.Base(d.path), v)
		}
		listed := strings.Fields(mustSSH(t, tg, "dpkg -L jitsi-installer"))
		if missing := minus(d.paths, listed); len(missing) > 0 {
			t.Errorf("dpkg -L lacks %v", missing)
		}
		if gone := minus(d.paths, existing(t, tg, d.paths)); len(gone) > 0 {
			t.Errorf("installed, but missing on the host: %v", gone)
		}
	}

	install(first)
	wantVersion := fmt.Sprintf("jitsi-installer %s (commit %s, built ", meta.Version, meta.Commit)
	if v := mustSSH(t, tg, "jitsi-installer version"); !strings.HasPrefix(v, wantVersion) || !strings.Contains(v, " go1.") {
		t.Errorf("version: %q, want %q... with the Go version", v, wantVersion)
	}
	// Man page and completions where man and the shells look.
	mustSSH(t, tg, `zcat /usr/share/man/man1/jitsi-installer.1.gz | grep -q '^\.TH "JITSI-INSTALLER" "1"' && zcat /usr/share/man/man1/jitsi-installer-plan.1.gz | grep -q 'jitsi-installer plan'`)
	if out := mustSSH(t, tg, `bash -c '. /usr/share/bash-completion/completions/jitsi-installer && complete -p jitsi-installer'`); !strings.Contains(out, "jitsi-installer") {
		t.Errorf("bash completion not registered: %q", out)
	}
	mustSSH(t, tg, "grep -q '#compdef jitsi-installer' /usr/share/zsh/vendor-completions/_jitsi-installer && grep -q 'complete -c jitsi-installer' /usr/share/fish/vendor_completions.d/jitsi-installer.fish")

	localPlan(t, tg)

	install(second)
	if v := mustSSH(t, tg, "jitsi-installer version"); !strings.HasPrefix(v, "jitsi-installer "+nextMeta.Version+" ") {
		t.Errorf("after the upgrade, version says %q, want %s", v, nextMeta.Version)
	}
	if stale := minus(minus(first.paths, second.paths), before); len(stale) > 0 {
		if left := existing(t, tg, stale); len(left) > 0 {
			t.Errorf("the upgrade left files of the old package: %v", left)
		}
	}
	if out := strings.TrimSpace(mustSSH(t, tg, `find / -xdev \( -name '*.dpkg-new' -o -name '*.dpkg-old' -o -name '*.dpkg-dist' -o -name '*.dpkg-tmp' -o -name '*.dpkg-bak' \) -print`)); out != "" {
		t.Errorf("the upgrade left dpkg files: %s", out)
	}

	mustSSH(t, tg, "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q jitsi-installer")
	if out, err := tg.SSH(context.Background(), "dpkg -L jitsi-installer"); err == nil {
		t.Errorf("dpkg -L still lists files after the purge:\n%s", out)
	}
	if out := mustSSH(t, tg, "dpkg-query -W -f '${Status}' jitsi-installer 2>/dev/null; ls /var/lib/dpkg/info/ | grep '^jitsi-installer\\.' || true"); strings.TrimSpace(out) != "" && !strings.HasPrefix(out, "unknown ok not-installed") {
		t.Errorf("dpkg still knows the package after the purge: %q", out)
	}
	after := existing(t, tg, all)
	if left := minus(after, before); len(left) > 0 {
		t.Errorf("left behind after the purge: %v", left)
	}
	if lost := minus(before, after); len(lost) > 0 {
		t.Errorf("the purge removed what the host had before: %v", lost)
	}
}

// localPlan runs `jitsi-installer --host local plan` on the target with the
// target's answers file (and the files it names, at the same paths): the
// installer plans the machine it runs on, without SSH, and changes nothing.
func localPlan(t *testing.T, tg *sandbox.Target) {
	t.Helper()
	data, err := os.ReadFile(tg.AnswersFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	fileRef := regexp.MustCompile(`^(?:\$\{file:)?(/[^}]+)\}?$`)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if k != "key_file" { // SSH's: local mode does not connect
					walk(e)
				}
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		case string:
			if m := fileRef.FindStringSubmatch(v); m != nil {
				if fi, err := os.Stat(m[1]); err == nil && fi.Mode().IsRegular() {
					copyTo(t, tg, m[1], m[1])
				}
			}
		}
	}
	walk(doc)
	copyTo(t, tg, tg.AnswersFile, "/root/answers.yaml")

	mustSSH(t, tg, "touch /root/before-plan")
	out, err := tg.SSH(context.Background(), "jitsi-installer --host local plan --answers /root/answers.yaml --no-color 2>&1")
	if err != nil {
		t.Fatalf("local plan: %v\n%s", err, out)
	}
	t.Logf("local plan:\n%s", lastLines(out, 15))
	for _, want := range []string{"[local] == Base packages", "debconf jitsi-meet/cert-choice", "Summary: 1 host(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("the local plan does not mention %q", want)
		}
	}
	if changed := strings.TrimSpace(mustSSH(t, tg, "find /etc /usr /opt -xdev -newer /root/before-plan -print")); changed != "" {
		t.Errorf("plan changed the host:\n%s", changed)
	}
}

// copyTo copies a file of this machine to path on the target.
func copyTo(t *testing.T, tg *sandbox.Target, local, path string) {
	t.Helper()
	f, err := os.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	q := sandbox.ShellQuote(path)
	if _, err := tg.Run(context.Background(), f, "mkdir -p $(dirname "+q+") && cat > "+q); err != nil {
		t.Fatal(err)
	}
}

// existing are those of paths that exist on the target.
func existing(t *testing.T, tg *sandbox.Target, paths []string) []string {
	t.Helper()
	var quoted []string
	for _, p := range paths {
		quoted = append(quoted, sandbox.ShellQuote(p))
	}
	out := mustSSH(t, tg, "for p in "+strings.Join(quoted, " ")+`; do if [ -e "$p" ] || [ -L "$p" ]; then echo "$p"; fi; done`)
	return strings.Fields(out)
}

// union is a and b without duplicates, sorted.
func union(a, b []string) []string {
	set := map[string]bool{}
	for _, p := range append(append([]string{}, a...), b...) {
		set[p] = true
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// minus is a without the elements of b.
func minus(a, b []string) []string {
	in := map[string]bool{}
	for _, p := range b {
		in[p] = true
	}
	var out []string
	for _, p := range a {
		if !in[p] {
			out = append(out, p)
		}
	}
	return out
}
