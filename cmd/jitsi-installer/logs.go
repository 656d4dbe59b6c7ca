package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/steps"
)

func newLogs(g *globals) *cobra.Command {
	var file string
	var follow, tail bool
	var lines int
	var since, interval time.Duration
	c := &cobra.Command{
		Use:   "logs [COMPONENT...]",
		Short: "Prosody, Jicofo, bridge, nginx and coturn logs of every host, merged in time order",
		Long: `Logs reads the journals and log files of Prosody, Jicofo, the videobridge
(jvb or bridge), nginx and coturn (turn) on every host, merges them in time
order and prefixes each line with its host and component. Tokens (anything
that looks like a JWT, token= and jwt= values) and the installer's secrets
are masked. Without components, all of them; --since says how far back to
start, -n the last so many lines to show (whatever their age, unless --since
is given too), --follow (or --tail) keeps reading until interrupted.`,
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := g.load(file)
			if err != nil {
				return err
			}
			srcs, err := steps.LogSources(cfg, args)
			if err != nil {
				return inputError("%v", err)
			}
			if since <= 0 || interval < 100*time.Millisecond {
				return inputError("--since and --interval must be positive (--interval at least 100ms)")
			}
			if lines < 0 {
				return inputError("-n: must be 0 (every line since --since) or more, not %d", lines)
			}
			follow = follow || tail
			ctx := c.Context()
			redact := installer.NewRedactor(cfg.Secrets()...)
			from := time.Now().Add(-since)
			if lines > 0 && !c.Flags().Changed("since") {
				from = time.Time{}
			}
			var tails []*installer.LogTail
			failed := false
			for _, t := range g.targets(cfg, nil) {
				if t.ReadOnly { // logs need nothing of a core left out of --limit
					continue
				}
				tr, err := t.Dial(ctx)
				if err != nil {
					fmt.Fprintf(g.stderr, "[%s] %s\n", t.Name, redact.String(err.Error()))
					failed = true
					continue
				}
				defer tr.Close()
				tails = append(tails, &installer.LogTail{Host: t.Name, T: tr, Sources: srcs, Since: from, Last: lines,
					SecretsFile: steps.SecretsFile, Redactor: redact})
			}
			for first := true; ; first = false {
				got, errs := pollAll(ctx, tails)
				if ctx.Err() != nil {
					return nil
				}
				for _, err := range errs {
					fmt.Fprintln(g.stderr, redact.String(err.Error()))
					failed = true
				}
				if first {
					got = installer.LastLines(got, lines)
				}
				g.printLogs(got)
				if !follow {
					break
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(interval):
				}
			}
			if failed {
				return &exitError{code: exitConnect, err: errReported}
			}
			return nil
		},
	}
	answersFlag(c, &file)
	limitFlag(c, g)
	c.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new lines until interrupted")
	c.Flags().BoolVar(&tail, "tail", false, "the same as --follow")
	c.Flags().IntVarP(&lines, "lines", "n", 0, "show the last N lines of all hosts together (0: every line since --since)")
	c.Flags().DurationVar(&since, "since", 10*time.Minute, "start this long ago (with -n: only when given)")
	c.Flags().DurationVar(&interval, "interval", time.Second, "how often --follow reads the hosts")
	return c
}

// pollAll polls every host in parallel and merges their lines by time.
func pollAll(ctx context.Context, tails []*installer.LogTail) ([]installer.LogLine, []error) {
	res := make([][]installer.LogLine, len(tails))
	errs := make([]error, len(tails))
	var wg sync.WaitGroup
	for i, t := range tails {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = t.Poll(ctx)
		}()
	}
	wg.Wait()
	var all []installer.LogLine
	var failed []error
	for i := range tails {
		all = append(all, res[i]...)
		if errs[i] != nil {
			failed = append(failed, errs[i])
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	return all, failed
}

func (g *globals) printLogs(lines []installer.LogLine) {
	for _, l := range lines {
		if g.output == "json" {
			b, _ := json.Marshal(l)
			fmt.Fprintln(g.stdout, string(b))
			continue
		}
		fmt.Fprintf(g.stdout, "%s [%s] %-7s %s\n", l.Time.UTC().Format("2006-01-02T15:04:05.000Z"), l.Host, l.Component, l.Line)
	}
}
