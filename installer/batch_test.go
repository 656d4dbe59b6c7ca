package installer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// runBatch runs a batch with the local sh, as the engine does over SSH.
func runBatch(t *testing.T, preludes, frags []string, env ...string) []Probed {
	t.Helper()
	b := newBatch(preludes, frags)
	cmd := exec.Command("sh", "-c", b.script)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	res, err := b.parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestBatchLanes: fragments run side by side, each gets its own output and
// exit status, whatever order the lanes finish in.
func TestBatchLanes(t *testing.T) {
	var frags []string
	for i := range 30 {
		frags = append(frags, fmt.Sprintf("sleep 0.0%d; printf 'out %d\\nline2'; exit %d", (30-i)%10, i, i%4))
	}
	frags = append(frags, "printf ''")
	// Without a temporary directory the lanes run one after the other.
	for _, env := range [][]string{nil, {"TMPDIR=/nonexistent"}} {
		res := runBatch(t, nil, frags, env...)
		for i := range 30 {
			if want := fmt.Sprintf("out %d\nline2", i); res[i].Out != want || res[i].Code != i%4 {
				t.Errorf("%v: probe %d: %q exit %d, want %q exit %d", env, i, res[i].Out, res[i].Code, want, i%4)
			}
		}
		if res[30].Out != "" || res[30].Code != 0 {
			t.Errorf("%v: empty probe: %+v", env, res[30])
		}
	}
}

// TestFileProbeWithAndWithoutPrelude: the facts filesPrelude gathers for
// all files give the same verdicts as each probe asking for itself.
func TestFileProbeWithAndWithoutPrelude(t *testing.T) {
	owner, group := sshtest.Self(t)
	dir := t.TempDir()
	var fs []*File
	var frags []string
	for i, c := range []struct {
		content, onHost string
		mode            os.FileMode
	}{
		{"same\n", "same\n", 0o644},
		{"declared\n", "edited\n", 0o644},
		{"mode\n", "mode\n", 0o600},
		{"absent\n", "", 0o644},
		{"spaced name\n", "spaced name\n", 0o644},
	} {
		p := filepath.Join(dir, fmt.Sprintf("f %d.conf", i))
		if c.onHost != "" {
			if err := os.WriteFile(p, []byte(c.onHost), c.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, c.mode)
		}
		f := &File{Path: p, Content: []byte(c.content), Mode: 0o644, Owner: owner, Group: group}
		fs = append(fs, f)
		frags = append(frags, f.Probe())
	}
	// The prelude's facts are where the probes look for them.
	frags = append(frags, `cat "$BATCH_DIR/s.`+fs[4].factKey()+`" "$BATCH_DIR/h.`+fs[4].factKey()+`"`)
	with := runBatch(t, []string{filesPrelude(fs)}, frags)
	if want := "644 " + owner + " " + group + " 12\n" + fs[4].sum() + "\n"; with[5].Out != want {
		t.Errorf("gathered facts %q, want %q", with[5].Out, want)
	}
	without := runBatch(t, nil, frags)
	want := []string{"", "update: content", "update: mode 0600 -> 0644", "create: " + owner + ":" + group + " 0644", ""}
	for i, f := range fs {
		for name, res := range map[string][]Probed{"with the prelude": with, "without": without} {
			c, err := f.Diff(res[i])
			if err != nil {
				t.Fatalf("%s %s: %v", name, f.Path, err)
			}
			got := ""
			if c != nil {
				got = c.Summary()
			}
			if got != want[i] {
				t.Errorf("%s, %s: %q, want %q (probe printed %q)", name, filepath.Base(f.Path), got, want[i], res[i].Out)
			}
		}
	}
}

// TestLaneOf: every fragment runs once, the costly ones spread first.
func TestLaneOf(t *testing.T) {
	frags := make([]string, 10)
	costs := []int{1, 20, 1, 1, 20, 1, 3, 1, 1, 1}
	lanes := laneOf(3, frags, costs)
	seen := map[int]int{}
	for _, l := range lanes {
		for _, i := range l {
			seen[i]++
		}
	}
	if len(seen) != 10 {
		t.Fatalf("lanes %v do not hold every fragment once", lanes)
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("fragment %d runs %d times", i, n)
		}
	}
	if lanes[0][0] != 1 || lanes[1][0] != 4 || len(lanes[0]) != 1 || len(lanes[1]) != 1 {
		t.Errorf("the two costly probes should each have a lane of their own: %v", lanes)
	}
}
