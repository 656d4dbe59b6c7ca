// Command bench measures the installer on a sandbox target and prints one
// table: a bare SSH command for reference, a converged plan (time, round
// trips, peak memory) over several runs, a fresh install's time per step,
// and the engine's planning benchmarks of 100 and 1,000 files. Needs root
// (the sandbox). `make bench-e2e` runs it.
//
// With --scale 1,3,10 it measures clusters instead: for each count, a core
// and that many videobridge hosts booted fresh on one network (sc-core,
// sc-br1...), installed, verified, read by status and planned converged;
// it prints the install's and the plan's ratios against core + 1 with the
// goals, round trips, the installer's CPU time and memory, and each
// target's CPU time and memory (see docs/scale-out.md).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

func main() {
	o := opts{}
	flag.StringVar(&o.installer, "installer", "bin/jitsi-installer", "the installer binary to measure")
	flag.StringVar(&o.name, "name", "b-bench", "sandbox target name")
	flag.StringVar(&o.suite, "suite", "bookworm", "Debian release of the target")
	flag.IntVar(&o.runs, "runs", 7, "converged plans (and bare SSH commands) to time")
	flag.BoolVar(&o.reuse, "reuse", false, "use the target NAME as it is (already up and installed): no fresh install")
	flag.BoolVar(&o.keep, "keep", false, "leave the target up")
	flag.BoolVar(&o.goBench, "go-bench", true, "also run the engine's planning benchmarks (go test -bench)")
	scale := flag.String("scale", "", "measure clusters of a core and these many videobridge hosts instead, e.g. 1,3,10 (the first is the base of the ratios)")
	cpus := flag.String("cpus", "share", "with --scale: each target's CPU cap, the same in every cluster: a number of CPUs, \"share\" (this machine's CPUs over the largest cluster's hosts, as hosts of their own) or 0 (no cap: the targets share the CPUs)")
	flag.Parse()
	sandbox.RunOrExit("bench", func(ctx context.Context) error {
		if *scale != "" {
			sizes, err := parseSizes(*scale)
			if err != nil {
				return err
			}
			if o.cpus, err = parseCPUs(*cpus, slices.Max(sizes)+1); err != nil {
				return err
			}
			if os.Geteuid() != 0 {
				return errors.New("needs root: the sandbox boots systemd-nspawn targets")
			}
			return runScale(ctx, o, sizes)
		}
		return run(ctx, o)
	})
}

type opts struct {
	installer, name, suite string
	runs                   int
	cpus                   float64 // with --scale: each target's CPU cap, 0 for none
	reuse, keep, goBench   bool
}

// row is one line of the table: a metric over its runs.
type row struct {
	what   string
	unit   string // "s", "MB", "" (a count), or a unit of its own
	values []float64
}

func run(ctx context.Context, o opts) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root: the sandbox boots systemd-nspawn targets")
	}
	load := loadavg()
	var tg *sandbox.Target
	if o.reuse {
		ts, err := sandbox.List()
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.Name == o.name {
				tg = t
			}
		}
		if tg == nil {
			return fmt.Errorf("no target %s to reuse", o.name)
		}
	} else {
		fmt.Fprintf(os.Stderr, "bench: booting %s (%s)\n", o.name, o.suite)
		t, err := sandbox.Up(ctx, sandbox.Options{Name: o.name, Suite: o.suite})
		if err != nil {
			return err
		}
		tg = t
		if !o.keep {
			defer func() { _ = tg.Down(context.WithoutCancel(ctx)) }()
		}
	}

	var rows []row
	if !o.reuse {
		fmt.Fprintln(os.Stderr, "bench: fresh install")
		r, err := runInstaller(ctx, o.installer, "install", "--answers", tg.AnswersFile, "--yes")
		if err != nil {
			return err
		}
		what := "fresh install (and its verify)"
		if r.code != 0 {
			what += fmt.Sprintf(", exit %d", r.code)
		}
		rows = append(rows, row{what: what, unit: "s", values: []float64{r.wall.Seconds()}},
			row{what: "fresh install: peak memory", unit: "MB", values: []float64{r.maxRSS}},
			row{what: "fresh install: round trips", values: []float64{r.roundTrips}})
		for _, s := range r.steps {
			rows = append(rows, row{what: "  step " + s.name, unit: "s", values: []float64{s.d.Seconds()}})
		}
	}

	fmt.Fprintf(os.Stderr, "bench: %d bare SSH commands, %d converged plans\n", o.runs, o.runs)
	bare := row{what: "bare SSH command (ssh HOST true)", unit: "s"}
	plan := row{what: "converged plan", unit: "s"}
	rts := row{what: "converged plan: round trips"}
	mem := row{what: "converged plan: peak memory", unit: "MB"}
	for range o.runs {
		start := time.Now()
		if out, err := exec.CommandContext(ctx, "ssh", append(tg.SSHArgs(), "--", "true")...).CombinedOutput(); err != nil {
			return fmt.Errorf("ssh: %w: %s", err, out)
		}
		bare.values = append(bare.values, time.Since(start).Seconds())
		r, err := runInstaller(ctx, o.installer, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode")
		if err != nil {
			return err
		}
		if r.pending > 0 || r.code == 1 {
			return fmt.Errorf("the target is not converged: %d pending, exit %d", r.pending, r.code)
		}
		plan.values = append(plan.values, r.wall.Seconds())
		rts.values = append(rts.values, r.roundTrips)
		mem.values = append(mem.values, r.maxRSS)
	}
	rows = append([]row{bare, plan, rts, mem}, rows...)

	if o.goBench {
		fmt.Fprintln(os.Stderr, "bench: go test -bench BenchmarkPlanConverged ./installer")
		b, err := goBench(ctx)
		if err != nil {
			return err
		}
		rows = append(rows, b...)
	}
	print(rows, o, load, loadavg())
	return nil
}

// result is one run of the installer, read from its JSON events.
type result struct {
	wall       time.Duration
	cpu        time.Duration // the installer's own, user and system
	maxRSS     float64       // MB
	roundTrips float64
	pending    int
	code       int // 1: failed, 2: changes pending
	steps      []step
	// hostTrips are each host's round trips, from its summary line.
	hostTrips map[string]float64
	events    []installer.Event
	out       string // the JSON events, as printed
}

type step struct {
	name string
	d    time.Duration
}

func runInstaller(ctx context.Context, bin string, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, bin, append(args, "--output", "json")...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{wall: time.Since(start), hostTrips: map[string]float64{}, out: out.String()}
	// Exit 1 (a step or a check failed) and 2 (changes pending) still
	// measure; the table says so.
	var ee *exec.ExitError
	if errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 2) {
		r.code = ee.ExitCode()
	} else if err != nil {
		return r, fmt.Errorf("%s %s: %w: %s", bin, args[0], err, lastLine(errb.String()))
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.maxRSS = float64(ru.Maxrss) / 1024 // KB on Linux
	}
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev installer.Event
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		r.events = append(r.events, ev)
		switch ev.Type {
		case installer.EventHostFinished:
			if ev.Summary != nil && ev.Message != "verify" {
				r.hostTrips[ev.Host] = float64(ev.Summary.RoundTrips)
			}
		case installer.EventStepFinished:
			r.steps = append(r.steps, step{ev.Step, ev.Duration})
		case installer.EventRunFinished:
			if ev.Summary != nil {
				r.pending, r.roundTrips = ev.Summary.Pending, float64(ev.Summary.RoundTrips)
			}
		}
	}
	return r, nil
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:.*?\s([\d.]+) B/op)?`)

// goBench runs the engine's planning benchmarks three times each.
func goBench(ctx context.Context) ([]row, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "BenchmarkPlanConverged", "-benchmem", "-count", "3", "./installer")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench: %w: %s", err, out)
	}
	byName := map[string]*row{}
	var names []string
	for _, l := range strings.Split(string(out), "\n") {
		m := benchLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if byName[m[1]] == nil {
			names = append(names, m[1])
			byName[m[1]] = &row{what: "go bench " + m[1], unit: "s"}
		}
		var ns float64
		fmt.Sscan(m[3], &ns)
		byName[m[1]].values = append(byName[m[1]].values, ns/1e9)
	}
	var rows []row
	for _, n := range names {
		rows = append(rows, *byName[n])
	}
	return rows, nil
}

func print(rows []row, o opts, before, after string) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(os.Stdout, "jitsi-installer bench: target %s (%s), load average before %s, after %s\n", o.name, o.suite, before, after)
	fmt.Fprintln(w, "what\tmedian\tmin\tmax\truns\t")
	for _, r := range rows {
		v := slices.Clone(r.values)
		slices.Sort(v)
		if len(v) == 0 {
			continue
		}
		med := v[len(v)/2]
		if len(v)%2 == 0 {
			med = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t\n", r.what, format(med, r.unit), format(v[0], r.unit), format(v[len(v)-1], r.unit), len(v))
	}
	w.Flush()
}

func format(v float64, unit string) string {
	switch unit {
	case "s":
		if v < 10 {
			return fmt.Sprintf("%.3f s", v)
		}
		return fmt.Sprintf("%.1f s", v)
	case "MB":
		return fmt.Sprintf("%.1f MB", v)
	}
	return fmt.Sprintf("%g", v)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
