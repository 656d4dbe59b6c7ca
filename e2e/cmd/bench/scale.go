package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// The scale bench's goals: a fresh install of the core with 3 and with 10
// videobridge hosts against one with 1, and a converged plan of each
// against one of a single host.
const (
	goalInstall3, goalInstall10 = 1.15, 2.0
	goalPlan3, goalPlan10       = 1.5, 2.0
)

// cluster is what the scale bench measured of one cluster: a core and n
// videobridge hosts, fresh.
type cluster struct {
	n       int
	core    string // the core's address
	install result
	// coreDone is when the core's summary line came, from the start;
	// pkgsAfter, for each bridge, how long after the core's Secrets step
	// finished its Debconf answers started.
	coreDone  time.Duration
	pkgsAfter []time.Duration
	verify    result
	verified  string // "pass", or the failed checks
	brewery   string // the brewery check's name
	status    string // what status says of the roles and XMPP sessions
	plans     []result
	// cpu and mem are each target's CPU time during the install and its
	// processes' memory after it: core first. planCPU is the targets' CPU
	// time, all of them, per converged plan.
	cpu     []time.Duration
	mem     []int64
	planCPU time.Duration
}

// parseSizes reads --scale: bridge counts, "1,3,10".
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("--scale %q: want bridge counts such as 1,3,10", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseCPUs reads --cpus for clusters of up to hosts targets: "share" is
// this machine's CPUs over hosts, so that every target of every cluster has
// the same CPU time it would have as a host of its own and the largest
// cluster still fits the machine.
func parseCPUs(s string, hosts int) (float64, error) {
	if s == "share" {
		return float64(runtime.NumCPU()) / float64(hosts), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("--cpus %q: want a number of CPUs such as 0.5, \"share\", or 0 for no cap", s)
	}
	if v > 0 && v*float64(hosts) > float64(runtime.NumCPU()) {
		fmt.Fprintf(os.Stderr, "bench: %g CPUs per target x %d targets is more than this machine's %d CPUs: the largest cluster's targets will contend\n", v, hosts, runtime.NumCPU())
	}
	return v, nil
}

// runScale measures one fresh cluster per size, one after the other, each
// torn down before the next boots, and prints one table.
func runScale(ctx context.Context, o opts, sizes []int) error {
	load := loadavg()
	var cs []*cluster
	for _, n := range sizes {
		c, err := measureCluster(ctx, o, n)
		if err != nil {
			// A fresh cluster again, once: a mirror that failed to
			// answer apt is not what the bench measures. The failure
			// is printed, and its events kept.
			fmt.Printf("core + %d: %v; measuring a fresh cluster again\n", n, err)
			c, err = measureCluster(ctx, o, n)
		}
		if err != nil {
			if len(cs) > 0 {
				printScale(cs, o, load, loadavg())
			}
			return fmt.Errorf("core + %d: %w", n, err)
		}
		fmt.Fprintf(os.Stderr, "bench: core + %d: install %.1f s, plan %.3f s\n", n, c.install.wall.Seconds(),
			median(c.plans, func(r result) float64 { return r.wall.Seconds() }))
		cs = append(cs, c)
	}
	printScale(cs, o, load, loadavg())
	return nil
}

// measureCluster boots a core and n bridges on one network, installs them,
// verifies, reads status and plans the converged cluster o.runs times.
func measureCluster(ctx context.Context, o opts, n int) (*cluster, error) {
	fmt.Fprintf(os.Stderr, "bench: booting sc-core and %d videobridge hosts (%s)\n", n, o.suite)
	ts, err := bootCluster(ctx, o.suite, n, o.cpus)
	if !o.keep {
		defer func() {
			for _, t := range ts {
				if t != nil {
					_ = t.Down(context.WithoutCancel(ctx))
				}
			}
		}()
	}
	if err != nil {
		return nil, err
	}
	answers, err := ts[0].WriteClusterAnswers("answers-scale.yaml", ts[1:], nil)
	if err != nil {
		return nil, err
	}
	c := &cluster{n: n, core: ts[0].Address}
	before := make([]sandbox.Usage, len(ts))
	for i, t := range ts {
		before[i] = t.Usage()
	}
	fmt.Fprintf(os.Stderr, "bench: core + %d: fresh install\n", n)
	start := time.Now()
	c.install, err = runInstaller(ctx, o.installer, "install", "--answers", answers, "--yes", "--verify=false")
	if err != nil {
		return nil, err
	}
	if c.install.code != 0 {
		return nil, fmt.Errorf("install: exit %d: %s (events in %s)", c.install.code, failures(c.install), keep(n, "install", c.install))
	}
	for i, t := range ts {
		u := t.Usage()
		c.cpu, c.mem = append(c.cpu, u.CPU-before[i].CPU), append(c.mem, u.Memory)
	}
	c.timeline(ts, start)

	fmt.Fprintf(os.Stderr, "bench: core + %d: verify\n", n)
	if c.verify, err = runInstaller(ctx, o.installer, "verify", "--answers", answers); err != nil {
		return nil, err
	}
	c.verified = "pass"
	var failed []string
	for _, e := range c.verify.events {
		if e.Type == installer.EventCheck && e.Passed != nil {
			if strings.Contains(e.Resource, "in the brewery") {
				c.brewery = e.Resource
			}
			if !*e.Passed {
				failed = append(failed, e.Host+": "+e.Resource+": "+e.Error)
			}
		}
	}
	if len(failed) > 0 || c.verify.code != 0 {
		c.verified = fmt.Sprintf("FAIL (exit %d): %s", c.verify.code, strings.Join(failed, "; "))
	}
	if c.status, err = readStatus(ctx, o.installer, answers, ts); err != nil {
		return nil, err
	}

	fmt.Fprintf(os.Stderr, "bench: core + %d: %d converged plans\n", n, o.runs)
	cpuBefore := targetsCPU(ts)
	defer func() { c.planCPU = (targetsCPU(ts) - cpuBefore) / time.Duration(max(len(c.plans), 1)) }()
	for range o.runs {
		r, err := runInstaller(ctx, o.installer, "plan", "--answers", answers, "--detailed-exitcode")
		if err != nil {
			return nil, err
		}
		if r.pending > 0 || r.code == 1 {
			return nil, fmt.Errorf("the cluster is not converged: %d pending, exit %d: %s", r.pending, r.code, failures(r))
		}
		c.plans = append(c.plans, r)
	}
	return c, nil
}

// targetsCPU is the CPU time of every target of ts, together.
func targetsCPU(ts []*sandbox.Target) time.Duration {
	var sum time.Duration
	for _, t := range ts {
		sum += t.Usage().CPU
	}
	return sum
}

// phases says when, in a plan, the hosts were connected and had their
// facts (their first resource event): the core, and the last bridge.
func phases(r result, core string) string {
	var start time.Time
	connected, facts := map[string]time.Time{}, map[string]time.Time{}
	for _, e := range r.events {
		switch {
		case e.Type == installer.EventRunStarted:
			start = e.Time
		case e.Type == installer.EventHostConnected:
			connected[e.Host] = e.Time
		case strings.HasPrefix(string(e.Type), "resource.") || e.Type == installer.EventStepSkipped:
			if _, ok := facts[e.Host]; !ok {
				facts[e.Host] = e.Time
			}
		}
	}
	var bc, bf time.Time
	for h := range connected {
		if h != core {
			bc, bf = latest(bc, connected[h]), latest(bf, facts[h])
		}
	}
	at := func(t time.Time) string { return fmt.Sprintf("%.3f", t.Sub(start).Seconds()) }
	return fmt.Sprintf("core connected %s s, facts %s s; last bridge connected %s s, facts %s s; run %.3f s",
		at(connected[core]), at(facts[core]), at(bc), at(bf), r.wall.Seconds())
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// bootCluster boots sc-core and sc-br1..n on network sc-net, four at a
// time, each capped at cpus CPUs (0: no cap); what booted is returned with an error too, to be torn down.
func bootCluster(ctx context.Context, suite string, n int, cpus float64) ([]*sandbox.Target, error) {
	ts := make([]*sandbox.Target, n+1)
	errs := make([]error, n+1)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range ts {
		name := "sc-core"
		if i > 0 {
			name = fmt.Sprintf("sc-br%d", i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			ts[i], errs[i] = sandbox.Up(ctx, sandbox.Options{Name: name, Suite: suite, Network: "sc-net", CPUs: cpus})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return ts, err
		}
	}
	return ts, nil
}

// timeline reads the install's events: when the core finished, and when
// each bridge's packages started against the core's secrets.
func (c *cluster) timeline(ts []*sandbox.Target, start time.Time) {
	var secrets time.Time
	pkgs := map[string]time.Time{}
	for _, e := range c.install.events {
		switch {
		case e.Type == installer.EventHostFinished && e.Host == ts[0].Address:
			c.coreDone = e.Time.Sub(start)
		case e.Type == installer.EventStepFinished && e.Host == ts[0].Address && e.Step == "Secrets":
			secrets = e.Time
		case e.Type == installer.EventStepStarted && e.Host != ts[0].Address && e.Step == "Debconf answers":
			pkgs[e.Host] = e.Time
		}
	}
	for _, t := range ts[1:] {
		if at, ok := pkgs[t.Address]; ok && !secrets.IsZero() {
			c.pkgsAfter = append(c.pkgsAfter, at.Sub(secrets))
		}
	}
}

// readStatus asks status for JSON and says how it reads the roles and the
// core's XMPP sessions.
func readStatus(ctx context.Context, bin, answers string, ts []*sandbox.Target) (string, error) {
	out, _ := exec.CommandContext(ctx, bin, "status", "--answers", answers, "--output", "json").Output()
	var st struct {
		Healthy bool `json:"healthy"`
		Hosts   []struct {
			Host   string `json:"host"`
			Role   string `json:"role"`
			XMPP   *int   `json:"xmpp_sessions"`
			XMPPOf *struct {
				Jicofo  int `json:"jicofo"`
				Bridges int `json:"bridges"`
			} `json:"xmpp_of"`
			Bridge *struct {
				Healthy bool `json:"healthy"`
			} `json:"bridge"`
		} `json:"hosts"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		return "", fmt.Errorf("status --output json: %w: %.200s", err, out)
	}
	bridges, xmpp := 0, "no XMPP count"
	for _, h := range st.Hosts {
		switch {
		case h.Host == ts[0].Address && h.XMPP != nil && h.XMPPOf != nil:
			xmpp = fmt.Sprintf("core: %d XMPP sessions, Jicofo %d, bridges %d", *h.XMPP, h.XMPPOf.Jicofo, h.XMPPOf.Bridges)
		case h.Host != ts[0].Address && h.Role == "videobridge" && h.Bridge != nil && h.Bridge.Healthy:
			bridges++
		}
	}
	return fmt.Sprintf("healthy %v; %s; %d of %d bridges read as healthy videobridges", st.Healthy, xmpp, bridges, len(ts)-1), nil
}

// keep writes r's events to a file for a look after the bench, and
// returns its path.
func keep(n int, what string, r result) string {
	f, err := os.CreateTemp("", fmt.Sprintf("scale-bench-core+%d-%s-*.json", n, what))
	if err != nil {
		return "not kept: " + err.Error()
	}
	defer f.Close()
	_, _ = f.WriteString(r.out)
	return f.Name()
}

// failures are the errors of a run's events, for a failed run.
func failures(r result) string {
	var out []string
	for _, e := range r.events {
		if e.Error != "" {
			out = append(out, e.Host+": "+e.Step+": "+e.Resource+": "+e.Error)
		}
	}
	return strings.Join(out, "; ")
}

func printScale(cs []*cluster, o opts, before, after string) {
	limit := "no CPU cap: the targets share this machine's CPUs"
	if o.cpus > 0 {
		limit = fmt.Sprintf("each target capped at %.3g CPU", o.cpus)
	}
	fmt.Printf("jitsi-installer scale bench: %s targets on one network (%s), %d converged plans each, load average before %s, after %s\n",
		o.suite, limit, o.runs, before, after)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "hosts\tinstall\tcore done\tpkgs after core's secrets\tplan (median)\tround trips/host: install, plan\tinstaller CPU: install, plan\tinstaller memory: install, plan\tper host (plan)\ttarget CPU/host (install)\ttarget memory/host\t")
	for _, c := range cs {
		plan, cpu, rss := median(c.plans, func(r result) float64 { return r.wall.Seconds() }),
			median(c.plans, func(r result) float64 { return r.cpu.Seconds() }), median(c.plans, func(r result) float64 { return r.maxRSS })
		hosts := float64(c.n + 1)
		fmt.Fprintf(w, "core + %d\t%.1f s\t%.1f s\t%s\t%.3f s\t%s, %s\t%.2f s, %.3f s\t%.1f MB, %.1f MB\t%.1f MB\t%s\t%s\t\n",
			c.n, c.install.wall.Seconds(), c.coreDone.Seconds(), spread(c.pkgsAfter), plan,
			trips(c.install), trips(c.plans[len(c.plans)/2]), c.install.cpu.Seconds(), cpu, c.install.maxRSS, rss, rss/hosts,
			cpuPerHost(c.cpu), memPerHost(c.mem))
	}
	w.Flush()
	for _, c := range cs {
		fmt.Printf("core + %d: verify %s (%.1f s): %s\n", c.n, c.verified, c.verify.wall.Seconds(), c.brewery)
		fmt.Printf("core + %d: status: %s\n", c.n, c.status)
		mid := slices.Clone(c.plans)
		slices.SortFunc(mid, func(a, b result) int { return int(a.wall - b.wall) })
		fmt.Printf("core + %d: converged plan (median run): %s; targets' CPU per plan %.2f s (%.3f s per host)\n",
			c.n, phases(mid[len(mid)/2], c.core), c.planCPU.Seconds(), c.planCPU.Seconds()/float64(c.n+1))
	}
	base := cs[0]
	for _, c := range cs[1:] {
		if base.n != 1 {
			break
		}
		ti := c.install.wall.Seconds() / base.install.wall.Seconds()
		tp := median(c.plans, func(r result) float64 { return r.wall.Seconds() }) / median(base.plans, func(r result) float64 { return r.wall.Seconds() })
		gi, gp := goalFor(c.n)
		fmt.Printf("T(core+%d)/T(core+1) = %.2f%s   plan(core+%d)/plan(core+1) = %.2f%s\n", c.n, ti, goal(ti, gi), c.n, tp, goal(tp, gp))
	}
}

// goalFor is the goal of the install and plan ratios of core + n.
func goalFor(n int) (float64, float64) {
	if n <= 3 {
		return goalInstall3, goalPlan3
	}
	return goalInstall10, goalPlan10
}

func goal(v, g float64) string {
	if v <= g {
		return fmt.Sprintf(" (goal <= %.2f: met)", g)
	}
	return fmt.Sprintf(" (goal <= %.2f: NOT met)", g)
}

func median(rs []result, f func(result) float64) float64 {
	var v []float64
	for _, r := range rs {
		v = append(v, f(r))
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// trips is the most and the fewest round trips a host of r took.
func trips(r result) string {
	var v []float64
	for _, n := range r.hostTrips {
		v = append(v, n)
	}
	if len(v) == 0 {
		return "?"
	}
	lo, hi := slices.Min(v), slices.Max(v)
	if lo == hi {
		return fmt.Sprintf("%g", hi)
	}
	return fmt.Sprintf("%g-%g", lo, hi)
}

// spread is the least and the most of ds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f-%.1f s", slices.Min(ds).Seconds(), slices.Max(ds).Seconds())
}

// cpuPerHost is the core's CPU time and the bridges' mean.
func cpuPerHost(ds []time.Duration) string {
	if len(ds) < 2 || ds[0] == 0 {
		return "?"
	}
	var sum time.Duration
	for _, d := range ds[1:] {
		sum += d
	}
	return fmt.Sprintf("core %.0f s, bridge %.0f s", ds[0].Seconds(), sum.Seconds()/float64(len(ds)-1))
}

func memPerHost(ms []int64) string {
	if len(ms) < 2 || ms[0] == 0 {
		return "?"
	}
	var sum int64
	for _, m := range ms[1:] {
		sum += m
	}
	return fmt.Sprintf("core %d MB, bridge %d MB", ms[0]>>20, sum/int64(len(ms)-1)>>20)
}
