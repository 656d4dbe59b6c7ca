package steps

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

func TestBackupsKeepsTheLastRuns(t *testing.T) {
	cfg := testConfig(t)
	cfg.Backups.Keep = 2
	rs := mustDeclare(t, &backups{&env{cfg: cfg}}, testHost(nil))
	if len(rs) != 1 {
		t.Fatalf("declared %v, want one command", rs)
	}
	c := rs[0].(*resource.Command)
	dir := t.TempDir()
	// The scripts take the directory as $1: point them at a temporary one.
	at := func(args []string) []string {
		a := slices.Clone(args)
		a[slices.Index(a, installer.DefaultBackups)] = dir
		return a
	}
	runs := []string{"20261201T010000Z-aaaaaa", "20261201T020000Z-bbbbbb", "20261130T230000Z-cccccc"}
	for _, r := range runs[:2] {
		os.MkdirAll(filepath.Join(dir, r, "etc"), 0o755)
	}
	unless := at(c.Unless)
	if err := exec.Command(unless[0], unless[1:]...).Run(); err != nil {
		t.Fatalf("two runs with keep 2: the guard says prune: %v", err)
	}
	os.MkdirAll(filepath.Join(dir, runs[2]), 0o755)
	if err := exec.Command(unless[0], unless[1:]...).Run(); err == nil {
		t.Fatal("three runs with keep 2: the guard says nothing to do")
	}
	args := at(c.Args)
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("prune: %v: %s", err, out)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, runs[:2]) {
		t.Errorf("left %v, want the two newest %v", names, runs[:2])
	}
}
