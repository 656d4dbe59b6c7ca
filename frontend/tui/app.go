package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// stage is the screen the operator is on.
type stage int

const (
	stageForm stage = iota
	stagePlanning
	stageReview
	stageSave
	stageApplying
	stageVerifying
	stageDone
)

// Messages from the engine's goroutines and from timers.
type (
	eventMsg    installer.Event
	planDoneMsg struct{ plan *installer.Plan }
	phaseMsg    workflow.Phase
	runDoneMsg  struct {
		gen int64
		res workflow.Result
	}
	askMsg       struct{ q *question }
	checkTickMsg struct{ key issuerKey }
	checkDoneMsg struct{ key issuerKey }
	refreshMsg   struct{}
)

// question is something the transport waits for an answer to.
type question struct {
	text   string
	secret bool // a passphrase, typed into input
	input  textinput.Model
	reply  chan answer
}

type answer struct {
	yes    bool
	secret []byte
	err    error
}

// sender delivers messages to the program once it runs.
type sender struct {
	mu sync.Mutex
	fn func(tea.Msg)
}

func (s *sender) set(fn func(tea.Msg)) {
	s.mu.Lock()
	s.fn = fn
	s.mu.Unlock()
}

func (s *sender) send(m tea.Msg) {
	s.mu.Lock()
	fn := s.fn
	s.mu.Unlock()
	if fn != nil {
		fn(m)
	}
}

// app is the full-screen installer.
type app struct {
	o     Options
	ctx   context.Context
	send  *sender
	v     *values
	form  *form
	huh   *huh.Form
	stage stage

	prog   *progress
	review review
	spin   spinner.Model
	width  int
	height int

	help, log     bool
	ask           *question
	askStop       bool // "stop the run?" is on screen
	keys          keyMap
	stopRequested bool // the operator stopped the apply
	notice        string
	problems      string

	cfg  *answers.Config
	plan *installer.Plan
	// decide answers the run's confirmation, while it waits for the
	// operator; gen counts the runs, so the events and the end of one the
	// operator left (planning again, changing the answers) are dropped.
	decide  chan bool
	gen     atomic.Int64
	cancel  context.CancelFunc // of the plan, apply or verify under way
	ops     sync.WaitGroup     // engine work under way
	saveIn  textinput.Model
	replace string // file the operator was warned exists
	lastKey issuerKey

	lastRead    string // target whose last run's answers were read
	readingLast bool

	res Result

	// For tests: a fixed clock and a spinner that stands still.
	now    func() time.Time
	static bool
}

func newApp(ctx context.Context, o Options) *app {
	a := &app{o: o, ctx: ctx, send: &sender{}, prog: newProgress(), now: time.Now, keys: newKeyMap()}
	a.v = newValues(o.Defaults)
	a.form = &form{v: a.v, name: o.File, agent: transport.ListAgent(), check: newChecker(ctx)}
	if !a.form.agent.Available() {
		a.v.Auth = authFile
	}
	a.huh = a.form.newForm()
	a.spin = spinner.New(spinner.WithSpinner(spinner.Dot))
	return a
}

// runScreen runs the full-screen installer on o.In and o.Out.
func runScreen(ctx context.Context, o Options) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a := newApp(ctx, o)
	p := tea.NewProgram(a, tea.WithInput(o.In), tea.WithOutput(o.Out), tea.WithContext(ctx), tea.WithoutSignalHandler())
	a.send.set(p.Send)
	_, err := p.Run()
	// Interrupted or killed: let the engine finish the resource in
	// progress so the host's journal stays consistent.
	cancel()
	a.ops.Wait()
	if a.plan != nil {
		a.plan.Close()
	}
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return a.res, fmt.Errorf("interactive installer: %w", err)
	}
	return a.res, nil
}

func (a *app) Init() tea.Cmd {
	return a.huh.Init()
}

// op runs engine work off the program's goroutine, counted so Run can wait.
func (a *app) op(f func() tea.Msg) tea.Cmd {
	a.ops.Add(1)
	return func() tea.Msg {
		defer a.ops.Done()
		return f()
	}
}

func (a *app) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		a.width, a.height = msg.Width, msg.Height
		if a.stage == stageForm {
			// The form gets the screen less the header and its gap.
			return a, a.updateForm(a.formSize())
		}
		return a, nil
	case eventMsg:
		a.prog.event(installer.Event(msg))
		return a, nil
	case askMsg:
		a.ask = msg.q
		if msg.q.secret {
			return a, a.ask.input.Focus()
		}
		return a, nil
	case spinner.TickMsg:
		if a.busy() {
			var cmd tea.Cmd
			a.spin, cmd = a.spin.Update(msg)
			return a, cmd
		}
		return a, nil
	case planDoneMsg:
		a.planned(msg.plan)
		return a, nil
	case phaseMsg:
		a.phase(workflow.Phase(msg))
		return a, nil
	case runDoneMsg:
		if msg.gen != a.gen.Load() {
			if msg.res.Plan != nil && msg.res.Plan != a.plan {
				msg.res.Plan.Close()
			}
			return a, nil
		}
		a.runDone(msg.res)
		return a, nil
	case lastRunMsg:
		return a, a.lastRunDone(msg)
	case tea.KeyPressMsg:
		if a.ask != nil {
			return a, a.answer(msg)
		}
		if a.help {
			// The keys page takes every key; these close it.
			if key.Matches(msg, closesHelp) {
				a.help = false
			}
			return a, nil
		}
		if msg.String() == "f1" || key.Matches(msg, a.keys.Help) && a.stage != stageSave && !a.typing() {
			a.help = true
			return a, nil
		}
	}
	switch a.stage {
	case stageForm:
		return a, a.updateForm(msg)
	case stagePlanning, stageApplying, stageVerifying:
		return a, a.updateRunning(msg)
	case stageReview:
		return a, a.updateReview(msg)
	case stageSave:
		return a, a.updateSave(msg)
	case stageDone:
		if k, ok := msg.(tea.KeyPressMsg); ok {
			switch {
			case key.Matches(k, a.keys.Log):
				a.log = !a.log
			case key.Matches(k, a.keys.Close):
				return a, tea.Quit
			}
		}
	}
	return a, nil
}

// typing reports whether keys go into a text field.
func (a *app) typing() bool {
	if a.stage != stageForm {
		return false
	}
	_, ok := a.huh.GetFocusedField().(*huh.Input)
	return ok
}

func (a *app) busy() bool {
	return a.readingLast || a.stage == stagePlanning || a.stage == stageApplying || a.stage == stageVerifying
}

func (a *app) updateForm(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	if k, ok := msg.(tea.KeyPressMsg); ok {
		a.form.back = key.Matches(k, a.keys.FormPrev, a.keys.FormBack)
		switch {
		case k.String() == "ctrl+c":
			return tea.Quit
		case a.readingLast:
			return nil // the pages are about to take the answers read
		case key.Matches(k, a.keys.FormBack):
			return a.prevPage()
		}
	}
	switch msg := msg.(type) {
	case checkTickMsg:
		if msg.key == a.lastKey {
			run := a.form.check.start(msg.key)
			cmds = append(cmds, func() tea.Msg { <-run.done; return checkDoneMsg(msg) })
		}
	}
	m, cmd := a.huh.Update(msg)
	a.huh = m.(*huh.Form)
	cmds = append(cmds, cmd)
	switch a.huh.State {
	case huh.StateCompleted:
		return tea.Batch(append(cmds, a.formDone())...)
	case huh.StateAborted:
		return tea.Quit
	}
	if !a.readingLast && a.onJitsiPage() && a.o.wantsLastRun(a.v, a.lastRead) {
		cmds = append(cmds, a.startLastRun())
	}
	if k, ok := a.v.janssenKey(a.v.Issuer, a.v.JanssenCA); k != a.lastKey {
		a.lastKey = k
		if ok {
			cmds = append(cmds, tea.Tick(400*time.Millisecond, func(time.Time) tea.Msg { return checkTickMsg{key: k} }))
		}
	}
	if a.form.refresh() {
		m, cmd := a.huh.Update(refreshMsg{})
		a.huh = m.(*huh.Form)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// prevPage shows the page before this one, whatever the focused field
// holds. The field is checked again as it is left, leniently (form.back),
// since huh keeps a page whose fields have errors. On the first page it
// stays, its field focused.
func (a *app) prevPage() tea.Cmd {
	a.huh.GetFocusedField().Blur()
	return a.huh.PrevGroup()
}

// backToForm closes the plan and shows the form again, answers kept.
func (a *app) backToForm() tea.Cmd {
	a.leave()
	a.gen.Add(1)
	if a.plan != nil {
		a.plan.Close()
		a.plan = nil
	}
	a.stage, a.notice, a.problems = stageForm, "", ""
	a.res.HostErr = nil
	a.huh = a.form.newForm()
	cmd := a.huh.Init()
	m, c := a.huh.Update(a.formSize())
	a.huh = m.(*huh.Form)
	return tea.Batch(cmd, c)
}

// formDone reads the answers back as the unattended mode would, then plans.
func (a *app) formDone() tea.Cmd {
	cfg, err := a.v.load(a.o.File, false)
	if err != nil {
		a.stage, a.problems, a.cfg = stageReview, err.Error(), nil
		return nil
	}
	a.cfg = cfg
	a.res.Config = cfg
	a.res.URL = cfg.MeetingURL()
	return a.startPlan()
}

// startPlan starts the workflow: it plans, waits in confirm for the
// operator's answer on the review (see go), applies and verifies.
func (a *app) startPlan() tea.Cmd {
	a.leave()
	if a.plan != nil {
		a.plan.Close()
		a.plan = nil
	}
	gen := a.gen.Add(1)
	ctx, cancel := context.WithCancel(a.ctx)
	sinks := installer.Sinks{installer.SinkFunc(func(e installer.Event) {
		if a.gen.Load() == gen {
			a.send.send(eventMsg(e))
		}
	})}
	if a.o.Log != nil {
		sinks = append(sinks, a.o.Log)
	}
	run, err := a.o.Prepare(a.cfg, &screenAsker{send: a.send, ctx: ctx}, sinks)
	if err != nil {
		cancel()
		a.stage, a.problems = stageReview, err.Error()
		return nil
	}
	decide := make(chan bool, 1)
	a.decide, a.cancel, a.review = decide, cancel, review{}
	a.stage, a.notice, a.problems = stagePlanning, "", ""
	a.prog.start(phasePlan)
	flow := workflow.Flow{DryRun: a.o.DryRun, Verify: true, VerifyConverged: true,
		Confirm: func(p *installer.Plan) (bool, error) {
			a.send.send(planDoneMsg{plan: p})
			select {
			case ok := <-decide:
				return ok, nil
			case <-ctx.Done():
				return false, ctx.Err()
			}
		},
		Phase: func(ph workflow.Phase) { a.send.send(phaseMsg(ph)) },
	}
	return tea.Batch(a.spin.Tick, a.op(func() tea.Msg {
		return runDoneMsg{gen: gen, res: run.Converge(ctx, flow)}
	}))
}

// leave tells a run waiting for the operator's answer not to go on.
func (a *app) leave() {
	if a.decide != nil {
		a.decide <- false
		a.decide = nil
	}
}

// proceed tells the run waiting on the review to go on: apply what the
// plan needs and verify.
func (a *app) proceed() tea.Cmd {
	if a.decide == nil {
		a.notice = "Press r to plan again."
		return nil
	}
	a.askStop, a.stage = false, stageVerifying
	if a.plan.NeedsApply() {
		a.stage = stageApplying
	}
	a.decide <- true
	a.decide = nil
	return a.spin.Tick
}

func (a *app) planned(p *installer.Plan) {
	a.plan, a.stage = p, stageReview
	a.res.HostErr = p.Err()
}

func (a *app) phase(ph workflow.Phase) {
	switch ph {
	case workflow.PhaseApply:
		a.stage = stageApplying
		a.prog.start(phaseApply)
	case workflow.PhaseVerify:
		a.stage = stageVerifying
		a.prog.start(phaseVerify)
	}
}

// runDone is the end of the workflow: a plan that went no further (failed,
// a dry run) is for review; a run that applied or verified is done.
func (a *app) runDone(r workflow.Result) {
	if r.Plan != nil {
		a.plan = r.Plan
		a.res.HostErr = r.Plan.Err()
	}
	if !r.Applied && !r.Verified {
		a.stage = stageReview
		return
	}
	if r.Applied {
		a.res.Outcome, a.res.Summary = Applied, r.Summary
	} else if a.res.Outcome == Quit {
		a.res.Outcome = Converged
	}
	a.res.Stopped = a.stopRequested
	a.stage, a.res.Failures = stageDone, a.prog.failures()
	if r.Verified {
		a.res.Checks, a.res.ChecksFailed = len(a.prog.checks), a.prog.checksFailed()
	}
}

func (a *app) updateRunning(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, a.keys.Log):
		a.log = !a.log
	case key.Matches(k, a.keys.StopPlan, a.keys.StopApply, a.keys.StopVerify):
		switch {
		case a.stage != stageApplying:
			// Planning and verifying change nothing: stop at once.
			a.cancel()
		case a.stopRequested:
			a.notice = "Stopping after " + a.current() + "; the host's journal will say where the run stopped."
		default:
			a.askStop = true
		}
	case key.Matches(k, a.keys.ConfirmStop):
		if a.askStop {
			a.askStop, a.stopRequested = false, true
			a.notice = "Stopping after " + a.current() + "…"
			a.cancel()
		}
	case key.Matches(k, a.keys.KeepGoing):
		a.askStop = false
	}
	return nil
}

// current is the resource in progress, for messages.
func (a *app) current() string {
	for _, h := range a.prog.hosts {
		for _, s := range h.steps {
			if s.state == stepRunning {
				if s.current != "" {
					return s.current
				}
				return s.name
			}
		}
	}
	return "the resource in progress"
}

func (a *app) updateReview(msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	km := a.keys
	switch {
	case key.Matches(k, km.Select):
		a.review.move(a.prog, -1)
	case key.Matches(k, km.Down):
		a.review.move(a.prog, 1)
	case key.Matches(k, km.PageDown):
		a.review.move(a.prog, 10)
	case key.Matches(k, km.PageUp):
		a.review.move(a.prog, -10)
	case key.Matches(k, km.Diff):
		a.review.toggle(a.prog)
	case key.Matches(k, km.Back):
		return a.backToForm()
	case key.Matches(k, km.Save):
		if a.problems == "" {
			a.startSave()
		}
	case key.Matches(k, km.Replan):
		if a.cfg != nil {
			return a.startPlan()
		}
	case key.Matches(k, km.Apply):
		switch {
		case a.problems != "":
			return a.backToForm()
		case a.plan == nil || a.plan.Err() != nil:
			a.notice = "Fix what failed, then press r to plan again, or esc to change the answers."
		case a.o.DryRun:
			a.notice = "Dry run: nothing is applied. Press s to save the answers, q to quit."
		default:
			return a.proceed()
		}
	case key.Matches(k, km.Quit):
		return tea.Quit
	}
	return nil
}

func (a *app) startSave() {
	in := textinput.New()
	in.Prompt = "Save answers to: "
	in.SetValue(a.o.File)
	in.SetWidth(max(20, a.width-20))
	in.CursorEnd()
	a.saveIn, a.replace, a.stage, a.notice = in, "", stageSave, ""
	a.saveIn.Focus()
}

func (a *app) updateSave(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, a.keys.SaveCancel):
			a.stage = stageReview
			return nil
		case key.Matches(k, a.keys.SaveConfirm):
			path := strings.TrimSpace(a.saveIn.Value())
			if path == "" {
				return nil
			}
			if _, err := os.Stat(path); err == nil && a.replace != path {
				a.replace = path
				a.notice = path + " exists: press enter again to replace it, esc to keep it."
				return nil
			}
			env, err := save(a.v, path)
			if err != nil {
				a.notice = err.Error()
				return nil
			}
			a.res.Saved, a.res.SavedEnv = path, env
			a.notice = savedText(path, env)
			a.stage = stageReview
			return nil
		}
	}
	var cmd tea.Cmd
	a.saveIn, cmd = a.saveIn.Update(msg)
	return cmd
}

// answer handles a key while the transport waits for the operator.
func (a *app) answer(k tea.KeyPressMsg) tea.Cmd {
	q := a.ask
	reply := func(ans answer) {
		q.reply <- ans
		a.ask = nil
	}
	switch {
	case k.String() == "ctrl+c":
		reply(answer{err: errors.New("canceled by the operator")})
	case q.secret && k.String() == "enter":
		reply(answer{secret: []byte(q.input.Value())})
	case q.secret && k.String() == "esc":
		reply(answer{err: errors.New("no passphrase given")})
	case q.secret:
		var cmd tea.Cmd
		q.input, cmd = q.input.Update(k)
		return cmd
	case k.String() == "y":
		reply(answer{yes: true})
	case k.String() == "n" || k.String() == "esc":
		reply(answer{})
	}
	return nil
}

// screenAsker asks on the screen, from the engine's goroutines.
type screenAsker struct {
	send *sender
	ctx  context.Context
}

func (s *screenAsker) ask(q *question) answer {
	q.reply = make(chan answer, 1)
	s.send.send(askMsg{q: q})
	select {
	case ans := <-q.reply:
		return ans
	case <-s.ctx.Done():
		return answer{err: s.ctx.Err()}
	}
}

// ConfirmHostKey implements Asker.
func (s *screenAsker) ConfirmHostKey(addr, keyType, fingerprint string) (bool, error) {
	ans := s.ask(&question{text: hostKeyQuestion(addr, keyType, fingerprint)})
	return ans.yes, ans.err
}

// Passphrase implements Asker.
func (s *screenAsker) Passphrase(keyFile string) ([]byte, error) {
	in := textinput.New()
	in.Prompt = "Passphrase: "
	in.EchoMode = textinput.EchoPassword
	ans := s.ask(&question{text: "The key " + keyFile + " is encrypted.", secret: true, input: in})
	return ans.secret, ans.err
}

func hostKeyQuestion(addr, keyType, fingerprint string) string {
	return fmt.Sprintf("The host key of %s is not known yet:\n\n    %s %s\n\n"+
		"Compare it with the server's own (ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub on the server).\n"+
		"Trust it and add it to known_hosts?", addr, keyType, fingerprint, keyName(keyType))
}

// keyName is the host key file's middle part for a key type.
func keyName(keyType string) string {
	switch {
	case strings.Contains(keyType, "ed25519"):
		return "ed25519"
	case strings.Contains(keyType, "ecdsa"):
		return "ecdsa"
	}
	return "rsa"
}
