//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// BenchmarkScaleOut times a fresh install of a core with one videobridge
// host and of a core with three, bridges installed in parallel after the
// core: the goal is T(core + 3) <= 1.15 x T(core + 1). It measures twice:
// with the targets sharing this machine's CPUs, where three bridges'
// package installs contend with each other and with the core as they never
// would on hosts of their own; and with each target capped at an equal
// share (the machine's CPUs over the four targets of the larger cluster),
// as separate hosts of that size. Run it alone:
//
//	go test -tags e2e -run '^$' -bench ScaleOut -benchtime 1x ./e2e
//
// `make bench-scale` (e2e/cmd/bench --scale) measures up to ten bridges,
// with the converged plan, verify and status.
func BenchmarkScaleOut(b *testing.B) {
	testenv.Root(b)
	share := float64(runtime.NumCPU()) / 4
	modes := []struct {
		name string
		cpus float64
	}{{"targets share the CPUs", 0}, {fmt.Sprintf("%.2g CPU per target", share), share}}
	var lines []string
	for range b.N {
		lines = lines[:0]
		for _, m := range modes {
			var times [2]time.Duration
			for i, n := range []int{1, 3} {
				times[i] = installCluster(b, n, m.cpus)
			}
			ratio := times[1].Seconds() / times[0].Seconds()
			unit := strings.ReplaceAll(m.name, " ", "_")
			b.ReportMetric(ratio, "ratio/"+unit)
			lines = append(lines, fmt.Sprintf("%24s  %8s  %8s  %5.2f", m.name, times[0].Round(time.Second), times[1].Round(time.Second), ratio))
		}
	}
	fmt.Printf("%24s  %8s  %8s  %5s (goal <= 1.15)\n", "", "core + 1", "core + 3", "ratio")
	for _, l := range lines {
		fmt.Println(l)
	}
}

// installCluster boots a core and n bridges on one network, each capped at
// cpus CPUs (0: no cap), times the installer's run on them, and removes
// them.
func installCluster(b *testing.B, n int, cpus float64) time.Duration {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	const network = "x-bench"
	var ts []*sandbox.Target
	defer func() {
		for _, t := range ts {
			if err := t.Down(context.Background()); err != nil {
				b.Errorf("down %s: %v", t.Name, err)
			}
		}
	}()
	for i := 0; i <= n; i++ {
		name := "x-bcore"
		if i > 0 {
			name = fmt.Sprintf("x-bbr%d", i)
		}
		t, err := sandbox.Up(ctx, sandbox.Options{Name: name, Suite: "bookworm", Network: network, CPUs: cpus})
		if err != nil {
			b.Fatalf("up %s: %v", name, err)
		}
		ts = append(ts, t)
	}
	answers, err := ts[0].WriteClusterAnswers("answers-bench.yaml", ts[1:], nil)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	out, err := exec.CommandContext(ctx, installer, "install", "--answers", answers, "--yes", "--verify=false", "--output", "json").CombinedOutput()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("install core + %d: %v\n%s", n, err, lastLines(string(out), 30))
	}
	phases(n, start, string(out))
	return d
}

// phases prints when each host finished, from the run's start: the core's
// time against the bridges' parallel phase, and the slowest steps of each.
func phases(n int, start time.Time, out string) {
	slow := map[string]string{}
	longest := map[string]float64{}
	for _, line := range strings.Split(out, "\n") {
		var ev map[string]any
		if json.Unmarshal([]byte(line), &ev) != nil {
			continue
		}
		host, _ := ev["host"].(string)
		switch ev["type"] {
		case "host.finished":
			at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(ev["time"]))
			fmt.Printf("core + %d: %s finished after %s (slowest step: %s)\n", n, host, at.Sub(start).Round(time.Second), slow[host])
		case "step.finished":
			if d, _ := ev["duration_ns"].(float64); d > longest[host] {
				longest[host], slow[host] = d, fmt.Sprintf("%s %s", ev["step"], time.Duration(d).Round(time.Second))
			}
		}
	}
}
