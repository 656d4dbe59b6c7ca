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
