package tui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"charm.land/huh/v2"
	"golang.org/x/term"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/render"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// errNoAnswers: the pipe ended while a question waited.
var errNoAnswers = errors.New("stdin ended before every question was answered")

// lineReader hands out one line per Read, so that each of huh's prompts,
// which reads through its own buffer, takes only its own answer from a pipe.
type lineReader struct {
	r       io.Reader
	starved bool // a prompt found the input at its end
}

func (l *lineReader) Read(p []byte) (int, error) {
	n := 0
	var b [1]byte
	for n < len(p) {
		m, err := l.r.Read(b[:])
		if m == 1 {
			p[n] = b[0]
			n++
			if b[0] == '\n' {
				return n, nil
			}
		}
		if err != nil {
			if n == 0 && errors.Is(err, io.EOF) {
				l.starved = true
			}
			return n, err
		}
	}
	return n, nil
}

// ttyReader is a lineReader on a terminal: huh reads passwords from its fd
// without echo.
type ttyReader struct {
	*lineReader
	fd uintptr
}

func (t ttyReader) Fd() uintptr { return t.fd }

// newLineReader wraps r; the result has Fd only when r is a terminal.
func newLineReader(r io.Reader) (io.Reader, *lineReader, bool) {
	l := &lineReader{r: r}
	if f, ok := r.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return ttyReader{lineReader: l, fd: f.Fd()}, l, true
	}
	return l, l, false
}

// plain is a theme without colour or decoration: what screen readers and
// TERM=dumb get.
func plain(bool) *huh.Styles {
	s := huh.ThemeBase(false)
	s.Focused.Title = s.Focused.Title.UnsetForeground()
	return s
}

// prompter asks the accessible questions.
type prompter struct {
	ctx context.Context
	in  io.Reader
	lr  *lineReader
	out io.Writer
}

// run asks fields. A cancelled ctx (Ctrl+C: the terminal is not raw here)
// ends the wait for an answer, which no read can be interrupted for.
func (p *prompter) run(fields ...huh.Field) error {
	if p.lr.starved {
		return errNoAnswers
	}
	done := make(chan error, 1)
	go func() {
		done <- huh.NewForm(huh.NewGroup(fields...)).WithAccessible(true).WithShowHelp(false).
			WithTheme(huh.ThemeFunc(plain)).WithInput(p.in).WithOutput(p.out).Run()
	}()
	var err error
	select {
	case err = <-done:
	case <-p.ctx.Done():
		fmt.Fprintln(p.out)
		return fmt.Errorf("interrupted: %w", p.ctx.Err())
	}
	if err == nil && p.lr.starved {
		err = errNoAnswers
	}
	return err
}

// page asks one page's questions under its title.
func (p *prompter) page(pg page) error {
	fmt.Fprintf(p.out, "\n== %s ==\n", pg.title)
	if pg.desc != "" {
		fmt.Fprintln(p.out, pg.desc)
	}
	return p.run(pg.fields()...)
}

// choose asks which of options to take; the first is the default.
func (p *prompter) choose(title string, options ...huh.Option[string]) (string, error) {
	choice := options[0].Value
	err := p.run(huh.NewSelect[string]().Title(title).Options(options...).Value(&choice))
	return choice, err
}

// ConfirmHostKey implements Asker.
func (p *prompter) ConfirmHostKey(addr, keyType, fingerprint string) (bool, error) {
	yes := false
	err := p.run(huh.NewConfirm().Title(hostKeyQuestion(addr, keyType, fingerprint)).Value(&yes))
	return yes, err
}

// Passphrase implements Asker.
func (p *prompter) Passphrase(keyFile string) ([]byte, error) {
	var s string
	in := huh.NewInput().Title("Passphrase of " + keyFile).Value(&s)
	if _, tty := p.in.(ttyReader); tty {
		in = in.EchoMode(huh.EchoModePassword)
	}
	err := p.run(in)
	return []byte(s), err
}

// runAccessible asks the form's questions as plain prompts, prints the plan
// as the text log does, and applies it when the operator says so.
func runAccessible(ctx context.Context, o Options) (Result, error) {
	in, lr, tty := newLineReader(o.In)
	p := &prompter{ctx: ctx, in: in, lr: lr, out: o.Out}
	v := newValues(o.Defaults)
	f := &form{v: v, name: o.File, accessible: true, agent: transport.ListAgent(), check: newChecker(ctx), secretTTY: tty}
	if !f.agent.Available() {
		v.Auth = authFile
	}
	var res Result
	fmt.Fprintln(o.Out, "Jitsi Meet installer. Press enter to keep the value in brackets; type - to empty an optional one.")
	read := "" // target whose last run's answers were read
	for {
		if err := askAll(p, f, func() {
			if o.wantsLastRun(v, read) {
				read = v.targetKey()
				fmt.Fprintf(o.Out, "\nReading the answers of the last run on %s…\n", v.Address)
				m := readLastRun(ctx, o, v.target(), p)
				if m.cfg != nil {
					v.adopt(m.cfg)
				}
				if m.note != "" {
					fmt.Fprintln(o.Out, m.note)
				}
			}
		}); err != nil {
			return res, err
		}
		cfg, err := v.load(o.File, false)
		if err != nil {
			fmt.Fprintf(o.Out, "\nThese answers cannot be used:\n%v\n", err)
			continue
		}
		res.Config, res.URL = cfg, cfg.MeetingURL()
		done, err := planAndApply(ctx, o, p, v, &res)
		if done || err != nil {
			return res, err
		}
	}
}

// askAll asks every page that applies, in order; afterTarget runs before
// the first page after the target's.
func askAll(p *prompter, f *form, afterTarget func()) error {
	for _, pg := range f.pages() {
		if pg.title == "Jitsi Meet" {
			afterTarget()
		}
		if pg.hide != nil && pg.hide() {
			continue
		}
		if err := p.page(pg); err != nil {
			return err
		}
		f.v.clearDashes()
		if pg.title == "Janssen" {
			if k, ok := f.v.janssenKey(f.v.Issuer, f.v.JanssenCA); ok {
				fmt.Fprintln(p.out, strings.Join(f.check.wait(k).lines(), "\n"))
			}
		}
	}
	return nil
}

// clearDashes empties the keys answered with "-".
func (v *values) clearDashes() {
	for _, path := range []string{v.hostPath("key_file"), "letsencrypt.ca_bundle", "janssen.ca_bundle", "janssen.client_id"} {
		if p := v.field(path); *p == "-" {
			*p = ""
		}
	}
}

// planAndApply runs the workflow on the answers: the plan, the operator's
// choice of what to do with it, the apply and the checks. It reports
// whether the operator is done (rather than changing answers).
func planAndApply(ctx context.Context, o Options, p *prompter, v *values, res *Result) (bool, error) {
	sinks := installer.Sinks{&render.Text{W: o.Out}}
	if o.Log != nil {
		sinks = append(sinks, o.Log)
	}
	run, err := o.Prepare(res.Config, p, sinks)
	if err != nil {
		return true, err
	}
	fmt.Fprintln(o.Out, "\n== Plan ==")
	choice := ""
	offer := func(plan *installer.Plan) (bool, error) {
		choice, err = offerPlan(o, p, v, res, plan)
		return choice == "go", err
	}
	r := run.Converge(ctx, workflow.Flow{DryRun: o.DryRun, Verify: true, VerifyConverged: true, Confirm: offer,
		Phase: func(ph workflow.Phase) {
			if ph == workflow.PhaseVerify {
				fmt.Fprintln(o.Out, "\n== Verify ==")
			}
		}})
	defer r.Plan.Close()
	res.HostErr = r.Plan.Err()
	if r.Err != nil {
		return true, r.Err
	}
	if !r.Declined && !r.Applied && !r.Verified {
		// A plan that failed, or a dry run: nothing to go on with.
		if _, err := offer(r.Plan); err != nil {
			return true, err
		}
	}
	if r.Applied {
		res.Outcome, res.Summary, res.Stopped = Applied, r.Summary, r.Stopped
	} else if r.Verified {
		res.Outcome = Converged
	}
	if r.Verified {
		failed, _ := r.Failed()
		res.Checks, res.ChecksFailed = len(r.Checks), failed
		fmt.Fprintf(o.Out, "Verify: %d passed, %d failed\n", res.Checks-res.ChecksFailed, res.ChecksFailed)
		if res.ChecksFailed == 0 && res.HostErr == nil {
			fmt.Fprintln(o.Out, "Jitsi Meet is ready: "+res.URL)
		}
	}
	return choice != "change", nil
}

// offerPlan says what the plan leaves to do and asks what now: "go" on
// with it (apply, or run the checks), "change" the answers, or "quit";
// saving the answers asks again.
func offerPlan(o Options, p *prompter, v *values, res *Result, plan *installer.Plan) (string, error) {
	for {
		var opts []huh.Option[string]
		switch {
		case plan.Err() != nil:
			fmt.Fprintln(o.Out, "Planning failed; see above.")
		case !plan.HasChanges():
			fmt.Fprintln(o.Out, "Nothing to change.")
			opts = append(opts, huh.NewOption("run the checks", "go"))
		case o.DryRun:
			fmt.Fprintln(o.Out, "Dry run: nothing is applied.")
		default:
			opts = append(opts, huh.NewOption("apply these changes", "go"))
		}
		opts = append(opts, huh.NewOption("save the answers", "save"), huh.NewOption("change the answers", "change"),
			huh.NewOption("quit", "quit"))
		choice, err := p.choose("What now?", opts...)
		if err != nil || choice != "save" {
			return choice, err
		}
		path := o.File
		if err := p.run(huh.NewInput().Title(fmt.Sprintf("Save the answers to [%s]", path)).Value(&path)); err != nil {
			return "", err
		}
		env, err := save(v, path)
		if err != nil {
			fmt.Fprintln(o.Out, err)
			continue
		}
		res.Saved, res.SavedEnv = path, env
		fmt.Fprintln(o.Out, savedText(path, env))
	}
}
