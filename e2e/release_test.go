//go:build e2e

package e2e

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// The release tests use the dist/ that `make release-snapshot` built for
// this commit (make test builds it first) rather than building it again:
// goreleaser compiles four binaries, minutes on a small machine.

// repoRoot is the repository's top directory.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// git runs git in dir and returns its trimmed output.
func git(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	c := exec.Command("git", args...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// releaseMeta is what goreleaser writes to dist/metadata.json.
type releaseMeta struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// readMeta reads dist's metadata.json; ok is false when there is none.
func readMeta(t *testing.T, dist string) (releaseMeta, bool) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err != nil {
		return releaseMeta{}, false
	}
	var m releaseMeta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/metadata.json: %v", dist, err)
	}
	return m, true
}

// releaseDist is the repository's dist/, built for HEAD by `make
// release-snapshot`; without it the test skips (fails under CI=true).
func releaseDist(t *testing.T) (string, releaseMeta) {
	t.Helper()
	root := repoRoot(t)
	dist := filepath.Join(root, "dist")
	head := git(t, root, nil, "rev-parse", "HEAD")
	m, ok := readMeta(t, dist)
	switch {
	case !ok:
		testenv.Skip(t, "no release in dist/: run make release-snapshot first (make test does)")
	case m.Commit != head:
		testenv.Skip(t, "dist/ holds the release of "+m.Commit+", not of HEAD "+head+": run make release-snapshot")
	}
	return dist, m
}

// checksums reads dist's checksums.txt: file name -> SHA-256.
func checksums(t *testing.T, dist string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sums := map[string]string{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		sum, name, ok := strings.Cut(s.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt: bad line %q", s.Text())
		}
		sums[name] = sum
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return sums
}

// buildRelease clones the repository at HEAD, lets change add commits to
// the clone, and runs `make release-snapshot` there with env; it returns
// the clone's dist/ and how long the build took.
func buildRelease(t *testing.T, env []string, change func(clone string)) (string, time.Duration) {
	t.Helper()
	root := repoRoot(t)
	clone := filepath.Join(t.TempDir(), "jitsi-installer")
	git(t, root, nil, "clone", "--quiet", "--no-checkout", root, clone)
	git(t, clone, nil, "checkout", "--quiet", "--detach", git(t, root, nil, "rev-parse", "HEAD"))
	if change != nil {
		change(clone)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	start := time.Now()
	c := exec.CommandContext(ctx, "make", "release-snapshot")
	c.Dir = clone
	c.Env = append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		t.Fatalf("make release-snapshot in a clone: %v\n%s", err, lastLines(string(out), 60))
	}
	t.Logf("release built in %s:\n%s", took.Round(time.Second), lastLines(string(out), 3))
	return filepath.Join(clone, "dist"), took
}

// makeVar is the value of a `NAME ?= value` line of the Makefile.
func makeVar(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^` + name + `\s*\?=\s*(\S+)\s*$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("Makefile sets no %s", name)
	}
	return string(m[1])
}

// TestReleaseReproducible builds the release of HEAD a second time, in a
// fresh clone at another path with an empty Go build cache (every package
// compiled again), and wants every file of the release byte for byte the
// same as dist/'s: archives, packages, SBOMs, checksums.txt. Only the
// signature differs, as it records when it was made.
func TestReleaseReproducible(t *testing.T) {
	t.Parallel()
	testenv.Tools(t, "apt-get install gnupg make git", "gpg", "make", "git")
	dist, meta := releaseDist(t)

	// goreleaser itself comes from the shared cache: only the release's
	// own build must start from nothing.
	bin := t.TempDir()
	install := exec.Command("go", "install", makeVar(t, "GORELEASER"))
	install.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install goreleaser: %v\n%s", err, out)
	}
	again, took := buildRelease(t, []string{"GOCACHE=" + t.TempDir(), "GORELEASER_BIN=" + filepath.Join(bin, "goreleaser")}, nil)
	t.Logf("a release of %s with an empty build cache took %s", meta.Version, took.Round(time.Second))

	want, got := checksums(t, dist), checksums(t, again)
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	kinds := map[string]int{}
	for _, name := range names {
		switch {
		case strings.HasSuffix(name, ".tar.gz"):
			kinds["archive"]++
		case strings.HasSuffix(name, ".deb"), strings.HasSuffix(name, ".rpm"):
			kinds["package"]++
		case strings.HasSuffix(name, ".cdx.json"):
			kinds["sbom"]++
		}
		if got[name] != want[name] {
			t.Errorf("%s differs: %s then %s", name, want[name], got[name])
		}
		a, _ := os.ReadFile(filepath.Join(dist, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s: the files differ or are empty (%d and %d bytes)", name, len(a), len(b))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("the second build has %s, the first not", name)
		}
	}
	// Four archives and their SBOMs, deb and rpm for two architectures.
	if kinds["archive"] != 4 || kinds["sbom"] != 4 || kinds["package"] != 4 || len(names) != 12 {
		t.Errorf("checksums.txt lists %d files (%v), want 4 archives, 4 SBOMs, 4 packages", len(names), kinds)
	}
	a, _ := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	b, _ := os.ReadFile(filepath.Join(again, "checksums.txt"))
	if !bytes.Equal(a, b) {
		t.Errorf("checksums.txt differs:\n%s\n---\n%s", a, b)
	}
	t.Logf("%d files and checksums.txt identical (%s)", len(names), strconv.Quote(meta.Version))
}

// TestReleaseContents opens each archive of dist/: the binary for the
// archive's platform with the release's version stamped in, the man pages
// and completions, and an SBOM that lists exactly the modules, at exactly
// the versions, that the Go toolchain recorded in that binary.
func TestReleaseContents(t *testing.T) {
	t.Parallel()
	dist, meta := releaseDist(t)
	for _, platform := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"} {
		t.Run(platform, func(t *testing.T) {
			name := "jitsi-installer_" + meta.Version + "_" + platform + ".tar.gz"
			files := untar(t, filepath.Join(dist, name))
			for _, want := range []string{"jitsi-installer", "README.md", "docs/releasing.md", "manpages/jitsi-installer.1.gz",
				"manpages/jitsi-installer-install.1.gz", "completions/jitsi-installer.bash", "completions/jitsi-installer.zsh", "completions/jitsi-installer.fish"} {
				if len(files[want]) == 0 {
					t.Errorf("%s lacks %s", name, want)
				}
			}
			bi, err := buildinfo.Read(bytes.NewReader(files["jitsi-installer"]))
			if err != nil {
				t.Fatalf("%s: the binary's build info: %v", name, err)
			}
			goos, goarch, _ := strings.Cut(platform, "_")
			settings := map[string]string{}
			for _, s := range bi.Settings {
				settings[s.Key] = s.Value
			}
			if settings["GOOS"] != goos || settings["GOARCH"] != goarch || settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
				t.Errorf("%s: the binary was built with %v", name, settings)
			}
			if platform == runtime.GOOS+"_"+runtime.GOARCH {
				bin := filepath.Join(t.TempDir(), "jitsi-installer")
				if err := os.WriteFile(bin, files["jitsi-installer"], 0o755); err != nil {
					t.Fatal(err)
				}
				out, err := exec.Command(bin, "version").Output()
				want := "jitsi-installer " + meta.Version + " (commit " + meta.Commit + ", built "
				if err != nil || !strings.HasPrefix(string(out), want) || !strings.Contains(string(out), bi.GoVersion+" "+goos+"/"+goarch+")") {
					t.Errorf("version: %q %v, want %s... %s %s/%s", out, err, want, bi.GoVersion, goos, goarch)
				}
			}

			var sbom struct {
				BOMFormat string `json:"bomFormat"`
				Metadata  struct {
					Component struct {
						Name       string `json:"name"`
						Properties []struct{ Name, Value string }
					} `json:"component"`
				} `json:"metadata"`
				Components []struct{ Name, Version string }
			}
			data, err := os.ReadFile(filepath.Join(dist, name+".cdx.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &sbom); err != nil {
				t.Fatalf("%s.cdx.json: %v", name, err)
			}
			props := map[string]string{}
			for _, p := range sbom.Metadata.Component.Properties {
				props[p.Name] = p.Value
			}
			if sbom.BOMFormat != "CycloneDX" || sbom.Metadata.Component.Name != bi.Main.Path ||
				props["cdx:gomod:build:env:GOOS"] != goos || props["cdx:gomod:build:env:GOARCH"] != goarch {
				t.Errorf("%s.cdx.json: format %q, component %q, properties %v", name, sbom.BOMFormat, sbom.Metadata.Component.Name, props)
			}
			inSBOM := map[string]string{}
			for _, c := range sbom.Components {
				inSBOM[c.Name] = c.Version
			}
			for _, dep := range bi.Deps {
				if v, ok := inSBOM[dep.Path]; !ok || v != dep.Version {
					t.Errorf("%s.cdx.json: %s is %q, the binary has %s", name, dep.Path, v, dep.Version)
				}
				delete(inSBOM, dep.Path)
			}
			if len(inSBOM) > 0 {
				t.Errorf("%s.cdx.json lists modules the binary does not have: %v", name, inSBOM)
			}
		})
	}
}

// untar reads a .tar.gz into memory: name -> content.
func untar(t *testing.T, path string) map[string][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	files := map[string][]byte{}
	r := tar.NewReader(gz)
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		files[h.Name] = b
	}
}

// TestDebPackage installs the release's .deb on Debian 12 and Ubuntu 24.04
// as an operator would (apt install ./FILE.deb), runs the installer there in
// local mode against the target itself, upgrades to the next snapshot (the
// release of a later commit) and purges it: nothing of the package may be
// left, and nothing the host had before may be gone.
func TestDebPackage(t *testing.T) {
	t.Parallel()
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
