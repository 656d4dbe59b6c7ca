package main

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// TestGoInstall installs the committed tree the way README tells users to,
// `go install MODULE/cmd/jitsi-installer@VERSION`, from a module proxy on
// disk that serves HEAD as v1.2.3 in the zip format of the public proxy
// (the same file rules: nested modules, vendor/, size limits). It fails
// when go.mod has a replace directive, when an embedded file is not
// committed, or when the README names another path.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	goMod := repoFile(t, "go.mod")
	mf, err := modfile.Parse("go.mod", []byte(goMod), nil)
	if err != nil {
		t.Fatal(err)
	}
	path := mf.Module.Mod.Path
	if len(mf.Replace) > 0 || len(mf.Exclude) > 0 {
		t.Errorf("go.mod has replace or exclude directives: go install MODULE@VERSION refuses them")
	}
	if cmd := "go install " + path + "/cmd/jitsi-installer@"; !strings.Contains(repoFile(t, "README.md"), cmd) {
		t.Errorf("README does not show %sVERSION", cmd)
	}

	m := module.Version{Path: path, Version: "v1.2.3"}
	proxy := t.TempDir()
	dir := filepath.Join(proxy, path, "@v")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := committedTree(t)
	var zip bytes.Buffer
	if err := modzip.CreateFromDir(&zip, m, src); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"list":              []byte(m.Version + "\n"),
		m.Version + ".info": []byte(`{"Version":"` + m.Version + `","Time":"2026-11-25T10:00:00Z"}`),
		m.Version + ".mod":  []byte(goMod),
		m.Version + ".zip":  zip.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Dependencies come from this machine's module cache, which is laid out
	// as a proxy and was checked against the checksum database when it was
	// filled; the fake release is in no checksum database, so none is asked.
	gomodcache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	gobin := t.TempDir()
	install := exec.Command("go", "install", path+"/cmd/jitsi-installer@"+m.Version)
	install.Dir = t.TempDir() // outside this module, as a user would be
	install.Env = append(os.Environ(),
		"GOPROXY=file://"+proxy+",file://"+filepath.Join(strings.TrimSpace(string(gomodcache)), "cache", "download"),
		"GOSUMDB=off", "GOMODCACHE="+t.TempDir(), "GOFLAGS=-modcacherw -trimpath", "GOBIN="+gobin, "CGO_ENABLED=0")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("go install: %v\n%s", err, out)
	}
	out, err := exec.Command(filepath.Join(gobin, "jitsi-installer"), "version").Output()
	want := "jitsi-installer 1.2.3 (commit none, built unknown, " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"
	if err != nil || string(out) != want {
		t.Errorf("version: %q %v, want %q", out, err, want)
	}
}

// committedTree unpacks HEAD's files into a new directory: what a tag
// publishes, without the work tree's uncommitted or ignored files.
func committedTree(t *testing.T) string {
	t.Helper()
	archive := exec.Command("git", "archive", "--format=tar", "HEAD")
	archive.Dir = filepath.Join("..", "..")
	var tb bytes.Buffer
	archive.Stdout = &tb
	if err := archive.Run(); err != nil {
		t.Fatalf("git archive: %v", err)
	}
	dir := t.TempDir()
	r := tar.NewReader(&tb)
	for {
		h, err := r.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue // directories come with their files; the tree has no links
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, os.FileMode(h.Mode)&0o777); err != nil {
			t.Fatal(err)
		}
	}
}
