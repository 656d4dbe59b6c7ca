package tui

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"golang.org/x/crypto/ssh/agent"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
	"github.com/jitsi-installer/jitsi-installer/workflow"
)

// screen drives the app in a teatest program and reads what it shows.
type screen struct {
	t    *testing.T
	tm   *teatest.TestModel
	app  *app
	view atomic.Pointer[string]
	dir  string // masked as $DIR in golden files
}

// recorder keeps the screen the app last rendered, without colours.
type recorder struct {
	*app
	s *screen
}

func (r recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	if m, ok := msg.(stageMsg); ok {
		r.stage = m.stage
		r.prog.start(m.phase)
	} else {
		_, cmd = r.app.Update(msg)
	}
	v := ansi.Strip(r.app.render())
	r.s.view.Store(&v)
	return r, cmd
}

var testClock = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// startScreen runs the app on an 80x40 screen, with a test SSH agent, an
// empty home and a Janssen check that answers from memory.
func startScreen(t *testing.T, o Options) *screen {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", testAgent(t))
	if o.File == "" {
		o.File = filepath.Join(t.TempDir(), "answers.yaml")
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &screen{t: t}
	s.app = newApp(ctx, o)
	s.app.static, s.app.now = true, func() time.Time { return testClock.Add(12300 * time.Millisecond) }
	s.app.form.check.run = fakeCheck
	s.tm = teatest.NewTestModel(t, recorder{app: s.app, s: s}, teatest.WithInitialTermSize(80, 40))
	s.app.send.set(s.tm.Send)
	t.Cleanup(func() {
		_ = s.tm.Quit()
		s.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
		cancel()
		s.app.ops.Wait()
		if s.app.plan != nil {
			s.app.plan.Close()
		}
	})
	return s
}

// fakeCheck is Janssen at https://login.example.com, which says its issuer
// without a trailing slash.
func fakeCheck(_ context.Context, k issuerKey) issuerCheck {
	const iss = "https://login.example.com"
	doc := &jwks.Discovery{Issuer: iss, AuthorizationEndpoint: iss + "/jans-auth/restv1/authorize",
		TokenEndpoint: iss + "/jans-auth/restv1/token", EndSessionEndpoint: iss + "/jans-auth/restv1/end_session",
		JWKSURI: iss + "/jans-auth/restv1/jwks"}
	if err := jwks.CheckIssuer(k.Issuer, iss); err != nil {
		return issuerCheck{key: k, kind: issuerMismatch, err: err}
	}
	return issuerCheck{key: k, doc: doc, keys: 2}
}

// testAgent serves an SSH agent holding one fixed key.
func testAgent(t *testing.T) string {
	priv := ed25519.NewKeyFromSeed([]byte(strings.Repeat("k", ed25519.SeedSize)))
	return sshtest.StartAgent(t, agent.AddedKey{PrivateKey: priv, Comment: "ops@laptop"})
}

// waitFor waits until the screen shows every one of want.
func (s *screen) waitFor(want ...string) string {
	s.t.Helper()
	return s.waitSettled("", want...)
}

// waitSettled waits until the screen shows every one of want and no longer
// shows busy (a spinner's line that is still going away), when set.
func (s *screen) waitSettled(busy string, want ...string) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		v := ""
		if p := s.view.Load(); p != nil {
			v = *p
		}
		// Words, not lines: messages wrap at the screen's width.
		flat := strings.Join(strings.Fields(v), " ")
		ok := busy == "" || !strings.Contains(flat, busy)
		for _, w := range want {
			ok = ok && strings.Contains(flat, strings.Join(strings.Fields(w), " "))
		}
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the screen never showed %q; it shows:\n%s", want, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *screen) typeText(text string) { s.tm.Type(text) }

func (s *screen) press(keys ...rune) {
	for _, k := range keys {
		s.tm.Send(tea.KeyPressMsg{Code: k})
	}
}

func (s *screen) ctrl(r rune) { s.tm.Send(tea.KeyPressMsg{Code: r, Mod: tea.ModCtrl}) }

// durations of a live run, with the padding that aligns them.
var durations = regexp.MustCompile(` +\d+(\.\d+)?(ns|µs|ms|s|m\d+s)\b`)

// golden compares the screen with testdata/TEST/name.golden.
func (s *screen) golden(name, screen string) {
	s.t.Helper()
	var b strings.Builder
	for _, l := range strings.Split(screen, "\n") {
		b.WriteString(strings.TrimRight(l, " ") + "\n")
	}
	out := b.String()
	if s.dir != "" {
		out = strings.ReplaceAll(out, s.dir, "$DIR")
		out = durations.ReplaceAllString(out, " <t>")
	}
	s.t.Run(name, func(t *testing.T) { golden.RequireEqual(t, out) })
}

const (
	enter = tea.KeyEnter
	bs    = tea.KeyBackspace
	down  = tea.KeyDown
)

// fillForm answers every page up to the advanced settings, taking goldens.
func fillForm(s *screen, goldens bool) {
	shot := func(name string, want ...string) {
		v := s.waitFor(want...)
		if goldens {
			s.golden(name, v)
		}
	}
	shot("target", "Target server", "ops@laptop", "┃ Address")
	s.typeText("203.0.113.10;x")
	s.press(enter)
	shot("target-error", `contains ";" which is not allowed in a host name or IP address`)
	s.press(bs, bs, enter, enter, enter, enter)

	s.waitFor("Meeting domain")
	s.typeText("Meet.example.com")
	shot("jitsi-domain-as-typed", "✗ must be lowercase", "> Meet.example.com")
	for range "Meet.example.com" {
		s.press(bs)
	}
	s.typeText("meet.example.com")
	s.waitFor("✓ meetings at https://meet.example.com/")
	s.press(enter, enter)

	s.waitFor("Contact address of the ACME account")
	s.typeText("ops@example.com")
	s.press(enter, enter)

	s.waitFor("Issuer URL")
	s.typeText("https://login.example.com/")
	s.press(enter)
	shot("janssen-mismatch", "> https://login.example.com/", "* the discovery document's issuer")
	s.press(bs)
	shot("janssen-checked", "> https://login.example.com ", "2 RSA signing key(s)", "restv1/end_session")
	s.press(enter, enter)

	s.waitFor("Janssen tokens")
	s.press(enter, enter)
	s.typeText("jitsi-meet")
	s.press(enter)

	s.waitFor("Manage the firewall (UFW)?")
	s.press(enter)
	shot("firewall-ports", "Ports opened to everyone", "10000/udp", "┃ Also open the old guide's ports")
	s.press(enter)
	shot("advanced", "┃ Change the advanced settings?")
}

func TestFormPages(t *testing.T) {
	s := startScreen(t, Options{Prepare: func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
		return nil, errors.New("not in this test")
	}})
	fillForm(s, true)
	s.press(enter)
	v := s.waitFor("These answers cannot be used", "not in this test")
	if !strings.Contains(v, "esc to change the answers") {
		t.Errorf("no way back from a failed start:\n%s", v)
	}
}

// fileStep declares files under a directory and checks them in verify.
type fileStep struct {
	name  string
	files []*resource.File
	cmd   *resource.Command
	skip  string
}

func (s *fileStep) Name() string { return s.name }

func (s *fileStep) Declare(*installer.Host) ([]installer.Resource, error) {
	if s.skip != "" {
		return nil, installer.Skip("%s", s.skip)
	}
	var rs []installer.Resource
	if s.cmd != nil {
		rs = append(rs, s.cmd)
	}
	for _, f := range s.files {
		rs = append(rs, f)
	}
	return rs, nil
}

func (s *fileStep) Checks(*installer.Host) []installer.Check {
	var rs []installer.Resource
	for _, f := range s.files {
		rs = append(rs, f)
	}
	return []installer.Check{installer.StateCheck(s.name+" files as declared", rs...)}
}

// localInstall is an engine whose steps write files in dir on this machine,
// through the local transport, for a target named 203.0.113.10 that first
// asks the operator to trust its host key.
func localInstall(dir string, gate string) func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
	return func(cfg *answers.Config, ask Asker, sink installer.Sink) (*workflow.Run, error) {
		f := func(name, content string) *resource.File {
			return &resource.File{Path: filepath.Join(dir, name), Content: []byte(content), Mode: 0o644}
		}
		steps := []installer.Step{
			&fileStep{name: "Jitsi repository", files: []*resource.File{f("jitsi.list", "deb https://download.jitsi.org stable/\n")}},
			&fileStep{name: "Prosody", files: []*resource.File{f("prosody.cfg.lua", "VirtualHost \""+cfg.Domain+"\"\n  authentication = \"token\"\n")}},
			&fileStep{name: "Firewall", skip: "firewall.enabled is false"},
		}
		if gate != "" {
			// Blocks until the test creates gate: the resource in progress.
			steps = append(steps[:1], append([]installer.Step{&fileStep{name: "Jitsi packages", cmd: &resource.Command{
				Name: "install jitsi-meet", Creates: filepath.Join(dir, "installed"),
				Args: []string{"sh", "-c", "while [ ! -e \"$1\" ]; do sleep 0.02; done; touch \"$2\"", "sh", gate, filepath.Join(dir, "installed")}}}}, steps[1:]...)...)
		}
		eng := &installer.Engine{Steps: steps, Sink: sink, Journal: filepath.Join(dir, "journal.json"), Backups: filepath.Join(dir, "backups"), RunID: "20261125T100000Z-test"}
		target := installer.Target{Name: "203.0.113.10", Address: "203.0.113.10", Port: 22, User: "root",
			Dial: func(context.Context) (transport.Transport, error) {
				ok, err := ask.ConfirmHostKey("203.0.113.10:22", "ssh-ed25519", "SHA256:d2hhdCBhIGxvdmVseSBob3N0IGtleSB0aGlzIGlz")
				if err != nil || !ok {
					return nil, &transport.HostKeyError{Addr: "203.0.113.10:22", Kind: transport.HostKeyUnknown}
				}
				return transport.NewLocal(), nil
			}}
		return &workflow.Run{Engine: eng, Targets: []installer.Target{target}}, nil
	}
}

func TestInstallFlow(t *testing.T) {
	testenv.Root(t) // the files are root's, as on a host
	dir := fixedLengthDir(t)
	s := startScreen(t, Options{Prepare: localInstall(dir, "")})
	s.dir = dir
	fillForm(s, false)
	s.press(enter)

	s.golden("host-key", s.waitFor("The host key of 203.0.113.10:22 is not known yet", "y yes · n no"))
	s.typeText("y")
	v := s.waitFor("Apply these 2 change(s)?")
	s.golden("review", v)
	s.press(down)
	s.typeText("d")
	s.golden("review-diff", s.waitFor("+VirtualHost \"meet.example.com\""))
	s.press(enter)
	v = s.waitFor("✓ Jitsi Meet is ready: https://meet.example.com/", "Verify: 2 passed, 0 failed")
	s.golden("done", v)

	got, err := os.ReadFile(filepath.Join(dir, "prosody.cfg.lua"))
	if err != nil || !strings.Contains(string(got), `VirtualHost "meet.example.com"`) {
		t.Errorf("prosody.cfg.lua = %q, %v", got, err)
	}
	s.typeText("q")
	s.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	r := s.app.res
	if r.Outcome != Applied || r.Summary.Changed != 2 || r.Checks != 2 || r.ChecksFailed != 0 || r.HostErr != nil || r.URL != "https://meet.example.com/" {
		t.Errorf("result %+v", r)
	}
}

// fixedLengthDir is a new directory whose path has the same length on
// every run (t.TempDir's does not): the review cuts its lines at the
// screen's width, so the golden files see the same cut.
func fixedLengthDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("jitsi-tui-%08x", rand.Uint32()))
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// A refused host key is not a crash: the plan shows why and how to go on.
func TestHostKeyRefused(t *testing.T) {
	s := startScreen(t, Options{Prepare: localInstall(t.TempDir(), "")})
	fillForm(s, false)
	s.press(enter)
	s.waitFor("Trust it and add it to known_hosts?")
	s.typeText("n")
	v := s.waitFor("host key of 203.0.113.10:22 is unknown")
	if strings.Contains(v, "Apply these") {
		t.Errorf("offers to apply a plan that failed:\n%s", v)
	}
	s.typeText("q")
	s.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	var he *transport.HostKeyError
	if !errors.As(s.app.res.HostErr, &he) {
		t.Errorf("HostErr = %v, want the host-key error for the exit code", s.app.res.HostErr)
	}
}

// Ctrl+C asks, then the run stops after the resource in progress; the next
// resource is left for the next run, as the journal says.
func TestStopAfterResourceInProgress(t *testing.T) {
	testenv.Root(t) // the files are root's, as on a host
	dir := t.TempDir()
	gate := filepath.Join(dir, "go-on")
	s := startScreen(t, Options{Prepare: localInstall(dir, gate)})
	s.dir = dir
	fillForm(s, false)
	s.press(enter)
	s.waitFor("Trust it and add it to known_hosts?")
	s.typeText("y")
	s.waitFor("Apply these 3 change(s)?")
	s.press(enter)
	s.waitFor("• Jitsi packages", "command install jitsi-meet")
	s.ctrl('c')
	s.golden("stop-asks", s.waitFor("Stop after command install jitsi-meet?"))
	s.typeText("y")
	s.waitFor("Stopping after command install jitsi-meet")
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	v := s.waitFor("Stopped. The host's journal records what was done")
	if !strings.Contains(v, "· Prosody") {
		t.Errorf("the step after the stop is not left waiting:\n%s", v)
	}
	if _, err := os.Stat(filepath.Join(dir, "installed")); err != nil {
		t.Errorf("the resource in progress did not finish: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "prosody.cfg.lua")); err == nil {
		t.Error("a resource after the stop was applied")
	}
	journal, _ := os.ReadFile(filepath.Join(dir, "journal.json"))
	if !strings.Contains(string(journal), "install jitsi-meet") {
		t.Errorf("the journal does not record the finished resource:\n%s", journal)
	}
	s.typeText("q")
	s.tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	if !s.app.res.Stopped {
		t.Errorf("result %+v: not marked stopped", s.app.res)
	}
}

// The progress view, fed with the events of a recorded run.
func TestProgressView(t *testing.T) {
	s := startScreen(t, Options{Prepare: func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
		return nil, errors.New("unused")
	}})
	s.app.cfg = &answers.Config{Domain: "meet.example.com", Hosts: []answers.Host{{Address: "203.0.113.10"}}}
	s.app.res.URL = "https://meet.example.com/"
	plan, apply := readEvents(t, "testdata/plan.jsonl"), readEvents(t, "testdata/apply.jsonl")

	s.tm.Send(stageMsg{stagePlanning, phasePlan})
	for _, e := range plan {
		s.tm.Send(eventMsg(e))
	}
	s.tm.Send(stageMsg{stageApplying, phaseApply})
	// Up to the first resource of Jitsi packages, while it is applied.
	cut := 0
	for i, e := range apply {
		if e.Type == installer.EventResourceStarted && e.Step == "Jitsi packages" {
			cut = i + 1
			break
		}
	}
	for _, e := range apply[:cut] {
		s.tm.Send(eventMsg(e))
	}
	s.golden("running", s.waitFor("• Jitsi packages", "12.3s", "packages jitsi-meet"))
	s.typeText("l")
	s.golden("running-log", s.waitFor("[203.0.113.10] == Jitsi packages"))
	s.typeText("l")
	// apt's own progress shows on the step's line.
	s.tm.Send(eventMsg(installer.Event{Type: installer.EventResourceProgress, Host: "203.0.113.10", Step: "Jitsi packages", Message: "42% Unpacking jicofo"}))
	s.waitFor("• Jitsi packages", "42% Unpacking jicofo · packages")
	for _, e := range apply[cut:] {
		s.tm.Send(eventMsg(e))
	}
	s.tm.Send(runDoneMsg{res: workflow.Result{Applied: true, Summary: installer.Summary{Changed: 11, Failed: 1}}})
	s.golden("failed", s.waitFor("✗ The install failed.", "→ "))
}

// stageMsg puts the app on a stage, as starting a plan or an apply would.
type stageMsg struct {
	stage stage
	phase string
}

func readEvents(t *testing.T, path string) []installer.Event {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []installer.Event
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var e installer.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("%s: %v: %s", path, err, l)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no events", path)
	}
	return out
}

// An encrypted key's passphrase is asked on the screen, masked, and handed
// to the connection.
func TestPassphraseAsked(t *testing.T) {
	got := make(chan string, 1)
	s := startScreen(t, Options{Prepare: func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
		return nil, errors.New("unused")
	}})
	s.app.o.Prepare = func(_ *answers.Config, ask Asker, sink installer.Sink) (*workflow.Run, error) {
		return &workflow.Run{Engine: &installer.Engine{Sink: sink}, Targets: []installer.Target{{Name: "203.0.113.10", Dial: func(context.Context) (transport.Transport, error) {
			p, err := ask.Passphrase("/home/ops/.ssh/id_ed25519")
			got <- string(p)
			if err != nil {
				return nil, err
			}
			return nil, &transport.AuthError{User: "root", Addr: "203.0.113.10:22", Reason: "test ends here"}
		}}}}, nil
	}
	fillForm(s, false)
	s.press(enter)
	s.waitFor("The key /home/ops/.ssh/id_ed25519 is encrypted.", "Passphrase:")
	s.typeText("hunter2")
	v := s.waitFor("Passphrase: *******")
	if strings.Contains(v, "hunter2") {
		t.Errorf("the passphrase shows:\n%s", v)
	}
	s.press(enter)
	if p := <-got; p != "hunter2" {
		t.Errorf("the connection got %q", p)
	}
	s.waitFor("test ends here")
}

// recordedAnswers is what the installer recorded on a host it converged.
const recordedAnswers = `version: 1
domain: meet.example.org
hosts:
  - address: 203.0.113.10
    sudo_password: ${env:JITSI_SUDO_PASSWORD_0}
tls:
  mode: self-signed
janssen:
  issuer: https://login.example.com
  app_id: remembered-app
  client_id: remembered-client
firewall:
  enabled: false
`

// On a re-run, the pages after the target start from the answers the last
// run recorded on the host, after its key is confirmed.
func TestDefaultsFromTheLastRun(t *testing.T) {
	var asked *answers.Config
	s := startScreen(t, Options{Prepare: func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
		return nil, errors.New("not in this test")
	}})
	s.app.o.LastRun = func(_ context.Context, cfg *answers.Config, ask Asker) ([]byte, time.Time, error) {
		asked = cfg
		if ok, err := ask.ConfirmHostKey("203.0.113.10:22", "ssh-ed25519", "SHA256:d2hhdCBhIGxvdmVseSBob3N0IGtleSB0aGlzIGlz"); err != nil || !ok {
			return nil, time.Time{}, &transport.HostKeyError{Addr: "203.0.113.10:22", Kind: transport.HostKeyUnknown}
		}
		return []byte(recordedAnswers), time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC), nil
	}
	s.waitFor("Target server", "┃ Address")
	s.typeText("203.0.113.10")
	s.press(enter, enter, enter, enter)
	s.waitFor("The host key of 203.0.113.10:22 is not known yet")
	s.typeText("y")
	s.golden("jitsi", s.waitFor("Defaults from the last run on 203.0.113.10 (2026-11-24 09:30).",
		"> meet.example.org", "✓ meetings at https://meet.example.org/"))
	if asked == nil || len(asked.Hosts) != 1 || asked.Hosts[0].Address != "203.0.113.10" {
		t.Fatalf("read the last run from %+v", asked)
	}
	s.press(enter, enter)
	s.waitFor("Issuer URL", "> https://login.example.com", "2 RSA signing key(s)")
	s.press(enter, enter)
	// Described in the answers file's words (up to where a name may wrap).
	appID, _, _ := strings.Cut(answers.Doc("janssen.app_id"), "janssen.")
	s.waitFor("Janssen tokens", "> remembered-app", answers.Doc("janssen.audience"), appID)
	s.press(enter, enter, enter)
	s.waitFor("Manage the firewall (UFW)?")
	s.press(enter)
	s.waitFor("Change the advanced settings?")
	s.press(enter)
	s.waitFor("These answers cannot be used", "not in this test")
	cfg := s.app.cfg
	if cfg == nil || cfg.Domain != "meet.example.org" || cfg.TLS.Mode != answers.TLSSelfSigned || cfg.Janssen.ClientID != "remembered-client" ||
		cfg.Firewall.Enabled || cfg.Hosts[0].Address != "203.0.113.10" {
		t.Errorf("the answers confirmed are not the last run's: %+v", cfg)
	}
}

// A host without recorded answers (a first install) says nothing; one that
// cannot be read says why in one line; both keep the built-in defaults.
func TestNoDefaultsFromTheLastRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"first-install", nil, ""},
		{"unreadable", errors.New("sudo refused\nsudo: a password is required"), "No defaults from the last run on 203.0.113.10: sudo refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startScreen(t, Options{Prepare: localInstall(t.TempDir(), "")})
			s.app.o.LastRun = func(context.Context, *answers.Config, Asker) ([]byte, time.Time, error) {
				return nil, time.Time{}, tc.err
			}
			s.waitFor("Target server", "┃ Address")
			s.typeText("203.0.113.10")
			s.press(enter, enter, enter, enter)
			v := s.waitSettled("Reading the answers", "Meeting domain", "Public DNS name of the server", tc.want)
			if tc.want == "" && strings.Contains(v, "last run") || strings.Contains(v, "password is required") {
				t.Errorf("more than one line about the last run:\n%s", v)
			}
		})
	}
}

// A sudo refusal while reading the last run's answers says where to mend
// it; the sudo password mended, the answers are read again.
func TestLastRunReadAgainAfterSudoMended(t *testing.T) {
	s := startScreen(t, Options{Prepare: func(*answers.Config, Asker, installer.Sink) (*workflow.Run, error) {
		return nil, errors.New("not in this test")
	}})
	var reads atomic.Int32
	s.app.o.LastRun = func(_ context.Context, cfg *answers.Config, _ Asker) ([]byte, time.Time, error) {
		reads.Add(1)
		if cfg.Hosts[0].SudoPassword != "right" {
			return nil, time.Time{}, fmt.Errorf("read /var/lib/jitsi-installer/answers.yaml: run sh: %w for ops", transport.ErrSudoPassword)
		}
		return []byte(recordedAnswers), time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC), nil
	}
	s.waitFor("Target server", "┃ Address")
	s.typeText("203.0.113.10")
	s.pressAndWait(enter)
	s.pressAndWait(enter)
	s.press(bs, bs, bs, bs)
	s.typeText("ops")
	s.pressAndWait(enter)
	s.pressAndWait(enter) // log in with the agent
	s.waitFor("┃ sudo password")
	s.typeText("wrong")
	s.press(enter)
	s.waitFor("┃ Meeting domain", "No defaults from the last run on 203.0.113.10:", "wrong sudo password for ops.",
		"go back (shift+tab) to the sudo password")
	s.shiftTab()
	s.waitFor("┃ sudo password")
	s.press(bs, bs, bs, bs, bs)
	s.typeText("right")
	s.press(enter)
	s.waitFor("Defaults from the last run on 203.0.113.10 (2026-11-24 09:30).", "> meet.example.org")
	if n := reads.Load(); n != 2 {
		t.Errorf("the last run was read %d times, want 2", n)
	}
}
