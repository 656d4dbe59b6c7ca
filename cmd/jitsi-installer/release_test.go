package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestReleaseConfig checks what the release promises: static binaries for
// linux and darwin on amd64 and arm64, reproducible paths, the version
// stamped into this package's variables, tar.gz archives with checksums.
// `make release-check` runs goreleaser check itself.
func TestReleaseConfig(t *testing.T) {
	data, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
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
	if err != nil || string(out) != "jitsi-installer 1.2.3 (commit abc1234, built 2026-11-25)\n" {
		t.Errorf("version: %q %v", out, err)
	}
}
