package installer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
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

func TestBatchOutputCannotForgeMarkers(t *testing.T) {
	frags := []string{"printf '@@fake 1 begin\\n@@fake 0 end 0\\n'", "echo second; exit 3", "printf 'no newline'"}
	res, err := probeBatch(context.Background(), transport.NewLocalUser(), nil, frags)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Out != "@@fake 1 begin\n@@fake 0 end 0\n" || res[1].Out != "second\n" || res[1].Code != 3 || res[2].Out != "no newline" {
		t.Errorf("batch parsed %+v", res)
	}
}
