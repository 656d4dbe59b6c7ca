package main

import (
	"cmp"
	"context"
	"os"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/steps"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

func newStatus(g *globals) *cobra.Command {
	var file string
	var watch bool
	var interval time.Duration
	c := &cobra.Command{
		Use:   "status",
		Short: "Each host's services, versions, sessions, conferences, certificate, keys, last run and drift",
		Long: `Status reads every host in one round trip (two more for the drift check):
each service's state and uptime, the installed version of every Jitsi package
and whether it is the pinned one, XMPP client sessions, conferences and
participants, the videobridge's load, the certificate's days left, the Janssen
keys Prosody trusts and when they were refreshed, the last run of the journal,
and whether the host drifted from the answers file.

--watch refreshes every --interval: a live view on a terminal, one line per
host and refresh otherwise. Status exits 1 when a service is down or the
certificate expires within 14 days.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := g.load(file)
			if err != nil {
				return err
			}
			if interval < time.Second {
				return inputError("--interval: at least 1s")
			}
			sr := newStatusReader(g, cfg)
			defer sr.close()
			if watch {
				return g.watchStatus(c.Context(), sr, interval)
			}
			r := sr.read(c.Context())
			if err := g.printStatus(r); err != nil {
				return err
			}
			return r.exit()
		},
	}
	answersFlag(c, &file)
	limitFlag(c, g)
	c.Flags().BoolVarP(&watch, "watch", "w", false, "refresh until interrupted")
	c.Flags().DurationVar(&interval, "interval", 5*time.Second, "refresh interval with --watch")
	return c
}

// load checks the flags and loads the answers file; no host is contacted.
func (g *globals) load(path string) (*answers.Config, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	if path == "" {
		return nil, inputError("--answers is required: create one with `jitsi-installer answers init > answers.yaml`")
	}
	return g.loadAnswers(path)
}

// loadAnswers reads the answers file as this run needs it (on the host
// itself, --host local, no SSH key file is read) and checks --limit
// against its hosts.
func (g *globals) loadAnswers(path string) (*answers.Config, error) {
	cfg, err := answers.LoadWith(path, answers.Options{Local: g.host == "local"})
	if err != nil {
		return nil, err
	}
	if err := g.limiter().check(cfg, path); err != nil {
		return nil, err
	}
	return cfg, nil
}

// operator names who runs the installer, for the hosts' journals.
func operator() string {
	u := os.Getenv("USER")
	if cu, err := user.Current(); err == nil {
		u = cu.Username
	}
	m, _ := os.Hostname()
	return strings.ReplaceAll(cmp.Or(u, "unknown")+"@"+cmp.Or(m, "unknown"), " ", "_")
}

// statusReport is one reading of every host.
type statusReport struct {
	Hosts   []*steps.HostStatus `json:"hosts"`
	Healthy bool                `json:"healthy"`

	unreachable bool
}

func (r *statusReport) exit() error {
	switch {
	case r.unreachable:
		return &exitError{code: exitConnect, err: errReported}
	case !r.Healthy:
		return &exitError{code: exitFailed, err: errReported}
	}
	return nil
}

// statusReader reads status again and again over the same connections.
type statusReader struct {
	cfg     *answers.Config
	targets []installer.Target
	redact  *installer.Redactor

	mu    sync.Mutex
	conns map[string]transport.Transport
}

func newStatusReader(g *globals, cfg *answers.Config) *statusReader {
	sr := &statusReader{cfg: cfg, redact: installer.NewRedactor(cfg.Secrets()...), conns: map[string]transport.Transport{}}
	for _, t := range g.targets(cfg, nil) {
		dial := t.Dial
		t.Dial = func(ctx context.Context) (transport.Transport, error) {
			sr.mu.Lock()
			defer sr.mu.Unlock()
			if c := sr.conns[t.Name]; c != nil {
				return kept{c}, nil
			}
			c, err := dial(ctx)
			if err != nil {
				return nil, err
			}
			sr.conns[t.Name] = c
			return kept{c}, nil
		}
		sr.targets = append(sr.targets, t)
	}
	return sr
}

// kept is a connection the plan must not close: the next refresh reuses it.
type kept struct{ transport.Transport }

func (kept) Close() error { return nil }

func (sr *statusReader) close() {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	for n, c := range sr.conns {
		_ = c.Close()
		delete(sr.conns, n)
	}
}

// forget drops a host's connection after a failure, so the next refresh
// connects again.
func (sr *statusReader) forget(host string) {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	if c := sr.conns[host]; c != nil {
		_ = c.Close()
		delete(sr.conns, host)
	}
}

// read plans every host with the status step added: the status facts come
// with the plan's first round trip, the drift from its probe.
func (sr *statusReader) read(ctx context.Context) *statusReport {
	roles, st := steps.StatusRoles(sr.cfg)
	run := workflow.New(sr.cfg, sr.targets, workflow.Options{Roles: roles, Redactor: sr.redact})
	p := run.Engine.Plan(ctx, run.Targets)
	r := &statusReport{Healthy: true}
	for _, hp := range p.Hosts {
		var hs *steps.HostStatus
		switch {
		case transport.IsConnectFailure(hp.Err) || hp.Fact("status.now") == "":
			hs = &steps.HostStatus{Host: hp.Host.Name, Drift: []string{}, Problems: []string{}, Version: sr.cfg.Jitsi.Version}
			hs.Error = "unreachable"
			if hp.Err != nil {
				hs.Error = sr.redact.String(hp.Err.Error())
			}
			r.unreachable = r.unreachable || transport.IsConnectFailure(hp.Err)
			sr.forget(hp.Host.Name)
		default:
			hs = st.Read(hp.Host)
			if runs := hp.Journal().Runs(); len(runs) > 0 {
				hs.LastRun = &runs[0]
			}
			if hp.Err != nil {
				hs.Drift = append(hs.Drift, "unknown: "+sr.redact.String(hp.Err.Error()))
			} else {
				for _, d := range hp.Pending() {
					hs.Drift = append(hs.Drift, sr.redact.String(d))
				}
			}
		}
		if !hs.Healthy() {
			r.Healthy = false
		}
		r.Hosts = append(r.Hosts, hs)
	}
	return r
}
