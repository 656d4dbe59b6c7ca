package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// releaseFiles runs the hidden release-files command into a new directory
// and returns what it wrote, by path relative to that directory.
func releaseFiles(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	var out bytes.Buffer
	if code := run([]string{"release-files", "--version", "1.2.3", "--date", "2026-11-25T10:00:00Z", dir}, nil, &out, &out); code != 0 {
		t.Fatalf("release-files: exit %d\n%s", code, out.String())
	}
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(dir, path)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir, files
}

// TestReleaseFiles: a man page for every command a user can run, dated and
// versioned by the flags, completions for bash, zsh and fish, and the same
// bytes from the same inputs.
func TestReleaseFiles(t *testing.T) {
	_, files := releaseFiles(t)
	var want []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		want = append(want, "man/"+strings.ReplaceAll(c.CommandPath(), " ", "-")+".1.gz")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && !sub.IsAdditionalHelpTopicCommand() {
				walk(sub)
			}
		}
	}
	root := newRoot(&globals{})
	root.InitDefaultCompletionCmd() // cobra adds it when the command runs
	walk(root)
	for _, name := range want {
		gz, ok := files[name]
		if !ok {
			t.Errorf("no man page %s", name)
			continue
		}
		r, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		page, _ := io.ReadAll(r)
		if !bytes.Contains(page, []byte(`"Nov 2026" "jitsi-installer 1.2.3"`)) || !bytes.Contains(page, []byte(".SH SYNOPSIS")) {
			t.Errorf("%s lacks the release's date and version or a synopsis:\n%.300s", name, page)
		}
		if r.Header.Name != "" || !r.Header.ModTime.IsZero() {
			t.Errorf("%s: gzip header names %q at %v: the bytes would depend on more than the page", name, r.Header.Name, r.Header.ModTime)
		}
	}
	if _, ok := files["man/jitsi-installer-release-files.1.gz"]; ok {
		t.Error("the hidden release-files command has a man page")
	}
	for shell, mark := range map[string]string{"bash": "complete -o", "zsh": "#compdef jitsi-installer", "fish": "complete -c jitsi-installer"} {
		if c := files["completions/jitsi-installer."+shell]; !bytes.Contains(c, []byte(mark)) {
			t.Errorf("%s completion lacks %q", shell, mark)
		}
	}
	if len(files) != len(want)+3 {
		t.Errorf("%d files, want %d man pages and 3 completions", len(files), len(want))
	}

	_, again := releaseFiles(t)
	for name, b := range files {
		if !bytes.Equal(again[name], b) {
			t.Errorf("%s differs between two runs with the same version and date", name)
		}
	}
}

// TestReleaseShipsReleaseFiles: the release configuration generates the
// files before building and ships every one of them in the archives and in
// the packages, where Debian and Fedora look for them.
func TestReleaseShipsReleaseFiles(t *testing.T) {
	var cfg struct {
		Before struct {
			Hooks []string `yaml:"hooks"`
		} `yaml:"before"`
		Archives []struct {
			Files []struct {
				Src string `yaml:"src"`
			} `yaml:"files"`
		} `yaml:"archives"`
		Nfpms []struct {
			Formats  []string `yaml:"formats"`
			Contents []struct {
				Src      string `yaml:"src"`
				Dst      string `yaml:"dst"`
				Packager string `yaml:"packager"`
			} `yaml:"contents"`
		} `yaml:"nfpms"`
		SBOMs []struct {
			Artifacts string `yaml:"artifacts"`
			Cmd       string `yaml:"cmd"`
		} `yaml:"sboms"`
		Signs []struct {
			Artifacts string `yaml:"artifacts"`
		} `yaml:"signs"`
	}
	if err := yaml.Unmarshal([]byte(repoFile(t, ".goreleaser.yaml")), &cfg); err != nil {
		t.Fatal(err)
	}
	const out = "bin/release/"
	generated := false
	for _, h := range cfg.Before.Hooks {
		generated = generated || strings.Contains(h, "./cmd/jitsi-installer release-files") && strings.HasSuffix(h, " "+strings.TrimSuffix(out, "/"))
	}
	if !generated {
		t.Errorf("no before hook runs release-files into %s", out)
	}
	dir, files := releaseFiles(t)
	// shipped reports which generated files the globs match.
	shipped := func(globs []string) map[string]bool {
		got := map[string]bool{}
		for _, g := range globs {
			if !strings.HasPrefix(g, out) {
				continue
			}
			matches, err := filepath.Glob(filepath.Join(dir, strings.TrimPrefix(g, out)))
			if err != nil || len(matches) == 0 {
				t.Errorf("%s matches nothing release-files writes", g)
			}
			for _, m := range matches {
				rel, _ := filepath.Rel(dir, m)
				got[filepath.ToSlash(rel)] = true
			}
		}
		return got
	}
	if len(cfg.Archives) != 1 || len(cfg.Nfpms) != 1 {
		t.Fatalf("%d archives, %d nfpms: want one of each", len(cfg.Archives), len(cfg.Nfpms))
	}
	var archived []string
	for _, f := range cfg.Archives[0].Files {
		archived = append(archived, f.Src)
	}
	a := shipped(archived)
	dsts := map[string]map[string]string{"deb": {}, "rpm": {}} // packager -> dst -> src
	for _, f := range cfg.Nfpms[0].Contents {
		for p := range dsts {
			if f.Packager == "" || f.Packager == p {
				dsts[p][f.Dst] = f.Src
			}
		}
	}
	for p, m := range dsts {
		var srcs []string
		for _, src := range m {
			srcs = append(srcs, src)
		}
		got := shipped(srcs)
		for name := range files {
			if !got[name] {
				t.Errorf("the %s package lacks %s", p, name)
			}
			if !a[name] {
				t.Errorf("the archives lack %s", name)
			}
		}
	}
	for p, want := range map[string]map[string]string{
		"deb": {
			"/usr/share/man/man1/": out + "man/*.1.gz",
			"/usr/share/bash-completion/completions/jitsi-installer":    out + "completions/jitsi-installer.bash",
			"/usr/share/zsh/vendor-completions/_jitsi-installer":        out + "completions/jitsi-installer.zsh",
			"/usr/share/fish/vendor_completions.d/jitsi-installer.fish": out + "completions/jitsi-installer.fish",
		},
		"rpm": {
			"/usr/share/zsh/site-functions/_jitsi-installer": out + "completions/jitsi-installer.zsh",
		},
	} {
		for dst, src := range want {
			if dsts[p][dst] != src {
				t.Errorf("the %s package puts %q at %s, want %s", p, dsts[p][dst], dst, src)
			}
		}
	}
	if f := cfg.Nfpms[0].Formats; len(f) != 2 || f[0] != "deb" || f[1] != "rpm" {
		t.Errorf("package formats %v, want deb and rpm", f)
	}
	if len(cfg.SBOMs) != 1 || cfg.SBOMs[0].Artifacts != "archive" || cfg.SBOMs[0].Cmd != "cyclonedx-gomod" {
		t.Errorf("sboms %+v: want cyclonedx-gomod for each archive", cfg.SBOMs)
	}
	if len(cfg.Signs) != 1 || cfg.Signs[0].Artifacts != "checksum" {
		t.Errorf("signs %+v: want a signature of the checksums", cfg.Signs)
	}
}
