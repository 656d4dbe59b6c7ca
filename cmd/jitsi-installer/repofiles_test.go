package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/janssen"
)

// The files the repository ships beside the code, the README and the
// release configuration, promise what the code does.

// repoFile is a file at the top of the repository.
func repoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeShowsTheRealClient keeps the README's printed registration
// request the one `janssen client` prints.
func TestReadmeShowsTheRealClient(t *testing.T) {
	readme := repoFile(t, "README.md")
	_, after, ok := strings.Cut(readme, "### The client and the script")
	if !ok {
		t.Fatal("README has no section on the client and the script")
	}
	_, block, ok := strings.Cut(after, "```json\n")
	block, _, _ = strings.Cut(block, "```")
	want := strings.TrimSpace(string(janssen.NewClientRequest("meet.example.com").JSON()))
	if !ok || strings.TrimSpace(block) != want {
		t.Errorf("README's client request differs from `janssen client`:\n%s\nwant\n%s", block, want)
	}
}

// TestReadmeListsEveryCommand keeps the README's Commands table complete.
func TestReadmeListsEveryCommand(t *testing.T) {
	readme := repoFile(t, "README.md")
	_, table, _ := strings.Cut(readme, "## Commands")
	table, _, _ = strings.Cut(table, "\n## ")
	for _, c := range newRoot(&globals{}).Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "token" || c.Name() == "janssen" {
			continue // token and janssen have sections of their own
		}
		if !strings.Contains(table, "| `"+c.Name()) && !strings.Contains(table, "`"+c.Name()+"`") {
			t.Errorf("README's Commands table does not list %q", c.Name())
		}
	}
}

// TestReleaseConfig checks what the release promises: static binaries for
// linux and darwin on amd64 and arm64, reproducible paths, the version
// stamped into this package's variables, tar.gz archives with checksums.
// `make release-check` runs goreleaser check itself.
func TestReleaseConfig(t *testing.T) {
	data := []byte(repoFile(t, ".goreleaser.yaml"))
	var cfg struct {
		Builds []struct {
			Main    string   `yaml:"main"`
			Binary  string   `yaml:"binary"`
			Env     []string `yaml:"env"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Flags   []string `yaml:"flags"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
		Archives []struct {
			Formats []string `yaml:"formats"`
		} `yaml:"archives"`
		Checksum struct {
			Name string `yaml:"name_template"`
		} `yaml:"checksum"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if filepath.Clean(b.Main) != "cmd/jitsi-installer" || b.Binary != "jitsi-installer" {
		t.Errorf("build main %q binary %q", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("env %v flags %v: want CGO_ENABLED=0 and -trimpath", b.Env, b.Flags)
	}
	for _, want := range []string{"linux", "darwin"} {
		if !slices.Contains(b.Goos, want) {
			t.Errorf("goos %v lacks %s", b.Goos, want)
		}
	}
	for _, want := range []string{"amd64", "arm64"} {
		if !slices.Contains(b.Goarch, want) {
			t.Errorf("goarch %v lacks %s", b.Goarch, want)
		}
	}
	ld := strings.Join(b.Ldflags, " ")
	for _, v := range []string{"main.version=", "main.commit=", "main.date="} {
		if !strings.Contains(ld, "-X "+v) {
			t.Errorf("ldflags %q do not set %s", ld, v)
		}
	}
	if len(cfg.Archives) == 0 || !slices.Contains(cfg.Archives[0].Formats, "tar.gz") || cfg.Checksum.Name == "" {
		t.Errorf("archives %+v checksum %+v", cfg.Archives, cfg.Checksum)
	}
}

// TestVersionLdflags builds the binary with the release's ldflags and runs it.
func TestVersionLdflags(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "jitsi-installer")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version=1.2.3 -X main.commit=abc1234 -X main.date=2026-11-25", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	want := "jitsi-installer 1.2.3 (commit abc1234, built 2026-11-25, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if err != nil || string(out) != want {
		t.Errorf("version: %q %v, want %q", out, err, want)
	}
}

// TestNoBuildOutputsTracked keeps compiled binaries and caches out of the
// repository: what `make build`, `go build` or Python leave in the tree is
// ignored, and nothing tracked is one.
func TestNoBuildOutputsTracked(t *testing.T) {
	root := filepath.Join("..", "..")
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err != nil {
		testenv.Skip(t, fmt.Sprintf("git ls-files: %v (the test needs a git checkout)", err))
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if buildOutput(f) {
			t.Errorf("%s is a build output and is tracked: git rm --cached it", f)
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if err == nil && len(b) >= 4 && string(b[:4]) == "\x7fELF" {
			t.Errorf("%s is a compiled binary and is tracked: git rm --cached it", f)
		}
	}
	for _, f := range []string{"bin/jitsi-installer", "jitsi-installer", "cmd/jitsi-installer/jitsi-installer",
		"dist/x.tar.gz", "installer/installer.test", "assets/scripts/__pycache__/meeting-login.cpython-311.pyc"} {
		if err := exec.Command("git", "-C", root, "check-ignore", "-q", "--no-index", f).Run(); err != nil {
			t.Errorf(".gitignore does not ignore %s", f)
		}
	}
}

// buildOutput reports whether a tracked path is what a build leaves.
func buildOutput(path string) bool {
	base := filepath.Base(path)
	return strings.HasPrefix(path, "bin/") || strings.HasPrefix(path, "dist/") ||
		strings.Contains(path, "__pycache__/") || strings.HasSuffix(base, ".pyc") || strings.HasSuffix(base, ".test")
}
