//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
