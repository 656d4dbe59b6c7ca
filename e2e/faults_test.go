//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// live is an installer run whose events a test watches as they come, to
// kill it or cut its link at a chosen moment.
type live struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	events chan map[string]any
	done   chan struct{}
	code   int
}

func startJitsi(t *testing.T, args ...string) *live {
	t.Helper()
	cmd := exec.Command(installer, append(args, "--output", "json")...)
	l := &live{cmd: cmd, events: make(chan map[string]any, 1024), done: make(chan struct{})}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, &syncWriter{l}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.out.Write(append(sc.Bytes(), '\n'))
			l.mu.Unlock()
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) == nil {
				select {
				case l.events <- ev:
				default:
				}
			}
		}
		close(l.events)
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		if ee, ok := err.(*exec.ExitError); ok {
			l.code = ee.ExitCode()
		}
		close(l.done)
	}()
	return l
}

type syncWriter struct{ l *live }

func (w *syncWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.out.Write(p)
}

func (l *live) output() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.out.String()
}

// until returns the first event for which match is true, or nil when the
// run ended first.
func (l *live) until(match func(map[string]any) bool) map[string]any {
	for ev := range l.events {
		if match(ev) {
			return ev
		}
	}
	return nil
}

func (l *live) kill() {
	_ = l.cmd.Process.Signal(syscall.SIGKILL)
	<-l.done
}

// interrupt is Ctrl+C: the run must stop what it runs on the host and end
// by itself, promptly.
func (l *live) interrupt(t *testing.T) {
	t.Helper()
	_ = l.cmd.Process.Signal(os.Interrupt)
	select {
	case <-l.done:
	case <-time.After(60 * time.Second):
		l.kill()
		t.Errorf("still running 60 s after Ctrl+C:\n%s", lastLines(l.output(), 10))
	}
}

func resourceStarted(prefix string, skip int) func(map[string]any) bool {
	return func(ev map[string]any) bool {
		if ev["type"] != "resource.started" || !strings.HasPrefix(fmt.Sprint(ev["resource"]), prefix) {
			return false
		}
		skip--
		return skip < 0
	}
}

// restartsPaid fails when a service was last started before its
// configuration last changed: a restart owed and never paid.
func restartsPaid(t *testing.T, tg *sandbox.Target) {
	t.Helper()
	out := mustSSH(t, tg, `for p in prosody:/etc/prosody/conf.avail/`+tg.Domain+`.cfg.lua jicofo:/etc/jitsi/jicofo/jicofo.conf jitsi-videobridge2:/etc/jitsi/videobridge/jvb.conf coturn:/etc/turnserver.conf; do
	u=${p%%:*} f=${p#*:}
	[ -f "$f" ] || continue
	m=$(stat -c %Y "$f")
	s=$(date -d "$(systemctl show -p ActiveEnterTimestamp --value "$u")" +%s 2>/dev/null || echo 0)
	[ "$s" -ge "$m" ] || echo "$u last started at $s, before $f changed at $m"
done; true`)
	if strings.TrimSpace(out) != "" {
		t.Errorf("owed restarts not paid:\n%s", out)
	}
}

// converges runs the installer after a fault: it must finish, pay what the
// faulted run owed, and leave nothing pending.
func converges(t *testing.T, tg *sandbox.Target, round string) result {
	t.Helper()
	r := jitsi(t, true, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
	if r.code != 0 {
		t.Fatalf("%s: the next run failed: exit %d\n%s", round, r.code, lastLines(r.out, 30))
	}
	p := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--detailed-exitcode")
	if p.code != 0 {
		t.Fatalf("%s: not converged after the next run: exit %d %v", round, p.code, p.pending())
	}
	restartsPaid(t, tg)
	noSecretsInDebconf(t, tg, round)
	if j := mustSSH(t, tg, "cat /var/lib/jitsi-installer/journal.json"); !strings.Contains(j, `"status": "finished"`) || strings.Contains(j[:min(len(j), 200)], `"status": "running"`) {
		t.Errorf("%s: journal after the next run:\n%s", round, lastLines(j, 10))
	}
	return r
}

// TestFaultInjection kills the installer at random moments inside every
// step of a fresh install, in package installs and config writes, and cuts
// its link mid-run; the runs after converge and pay the restarts owed, and
// nothing a killed run started keeps running on the host.
func TestFaultInjection(t *testing.T) {
	testenv.Root(t)
	tg := up(t, "f-kill", "bookworm", "root")
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo+1)) * time.Millisecond }

	// A fresh install, killed once inside every step that changes
	// something: each run resumes where the last was killed and is killed
	// in the next step, at a random resource and moment.
	covered := map[string]bool{}
	for run := 1; ; run++ {
		if run > 30 {
			t.Fatalf("still not converged after %d killed runs", run-1)
		}
		l := startJitsi(t, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
		var step string
		ev := l.until(func(ev map[string]any) bool {
			step = fmt.Sprint(ev["step"])
			return ev["type"] == "resource.started" && !covered[step]
		})
		if ev == nil {
			<-l.done
			if l.code != 0 {
				t.Fatalf("run %d failed without a fault: exit %d\n%s", run, l.code, lastLines(l.output(), 30))
			}
			t.Logf("run %d finished: killed inside %d steps before", run, len(covered))
			break
		}
		covered[step] = true
		delay := ms(0, 300)
		if strings.HasPrefix(fmt.Sprint(ev["resource"]), "packages ") || step == "TLS certificate" {
			delay = ms(200, 4000)
		}
		time.Sleep(delay)
		how := "killed"
		if run%3 == 0 {
			how = "interrupted"
			l.interrupt(t)
		} else {
			l.kill()
		}
		t.Logf("run %d: %s %s into %s: %v", run, how, delay, step, ev["resource"])
		nothingOutlives(t, tg, fmt.Sprintf("run %d", run))
	}
	converges(t, tg, "after the install's faults")

	drift := `sed -i '$a # drift' /etc/jitsi/jicofo/jicofo.conf /etc/jitsi/videobridge/jvb.conf /etc/prosody/conf.avail/` + tg.Domain + `.cfg.lua`
	rounds := []struct {
		name  string
		drift bool
		at    func(map[string]any) bool
		delay time.Duration
		cut   bool
	}{
		{name: "killed in a config write", drift: true, at: resourceStarted("file /etc/jitsi/", rng.IntN(2)), delay: ms(0, 40)},
		{name: "killed before the handlers", drift: true, at: resourceStarted("file /etc/jitsi/videobridge/jvb.conf", 0), delay: ms(50, 400)},
		{name: "link cut mid-run", drift: true, at: resourceStarted("file ", 0), delay: ms(0, 200), cut: true},
	}
	for i, rd := range rounds {
		round := fmt.Sprintf("round %d (%s)", i+1, rd.name)
		if rd.drift {
			mustSSH(t, tg, drift)
		}
		l := startJitsi(t, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
		if ev := l.until(rd.at); ev == nil {
			<-l.done
			t.Fatalf("%s: the run ended (exit %d) before the chosen moment:\n%s", round, l.code, lastLines(l.output(), 20))
		} else {
			t.Logf("%s: fault %s after %s %v", round, rd.delay, ev["type"], ev["resource"])
		}
		time.Sleep(rd.delay)
		if !rd.cut {
			l.kill()
			nothingOutlives(t, tg, round)
		} else {
			cut := time.Now()
			link(t, tg, "down")
			select {
			case <-l.done:
			case <-time.After(150 * time.Second):
				l.kill()
				link(t, tg, "up")
				t.Fatalf("%s: still running 150 s after the link died", round)
			}
			took := time.Since(cut)
			link(t, tg, "up")
			out := l.output()
			if l.code != 4 || !strings.Contains(out, "connection lost") {
				t.Errorf("%s: exit %d after %s, want 4 and the connection named:\n%s", round, l.code, took, lastLines(out, 10))
			}
			if took > 2*time.Minute {
				t.Errorf("%s: took %s to give up on a dead link", round, took)
			}
			t.Logf("%s: gave up after %s", round, took)
		}
		r := converges(t, tg, round)
		for _, ev := range r.events {
			if ev["type"] == "warning" {
				t.Logf("%s: next run warned: %v", round, ev["message"])
			}
		}
	}
	verifyPasses(t, tg)
}

// verifyPasses runs verify, up to three times: on a loaded machine the
// token check's clock comparison can be off by a few seconds (a token "not
// valid yet"), which is no fault of the host's state.
func verifyPasses(t *testing.T, tg *sandbox.Target) {
	t.Helper()
	var v result
	for try := 1; try <= 3; try++ {
		if v = jitsi(t, false, "verify", "--answers", tg.AnswersFile); v.code == 0 {
			return
		}
		t.Logf("verify, try %d: exit %d\n%s", try, v.code, lastLines(v.out, 4))
		time.Sleep(5 * time.Second)
	}
	t.Fatalf("verify after the faults: exit %d\n%s", v.code, v.out)
}

// nothingOutlives fails when a process the killed run started on the host
// (apt, dpkg, a maintainer script) is still running 30 s later.
func nothingOutlives(t *testing.T, tg *sandbox.Target, round string) {
	t.Helper()
	const list = `for f in /proc/[0-9]*/environ; do grep -qz '^JITSI_INSTALLER_RUN=' "$f" 2>/dev/null && p=${f%/environ} && echo "${p#/proc/} $(tr '\0' ' ' < "$p/cmdline" | cut -c1-80)"; done; true`
	var out string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(time.Second) {
		if out = strings.TrimSpace(mustSSH(t, tg, list)); out == "" {
			return
		}
	}
	t.Errorf("%s: the killed run's commands still run on the host:\n%s", round, out)
}

// link takes the target's network link down or up: a dead route, with no
// reset sent to either end.
func link(t *testing.T, tg *sandbox.Target, state string) {
	t.Helper()
	if out, err := exec.Command("ip", "link", "set", "dev", tg.Veth, state).CombinedOutput(); err != nil {
		t.Fatalf("ip link set %s %s: %v: %s", tg.Veth, state, err, out)
	}
}

// TestLockRaceAndDamage: one host, reached as a user with sudo (the lock
// is held through sudo), runs racing for it, a port forward, and each kind
// of damaged state an operator finds on a bad day.
func TestLockRaceAndDamage(t *testing.T) {
	testenv.Root(t)
	tg := up(t, "f-state", "bookworm", "ops")
	if r := jitsi(t, false, "install", "--answers", tg.AnswersFile, "--yes"); r.code != 0 {
		t.Fatalf("install: exit %d\n%s", r.code, r.out)
	}
	// The lock costs no round trip: it is taken with the facts.
	if r := jitsi(t, true, "install", "--answers", tg.AnswersFile, "--yes"); r.code != 0 || r.summary()["round_trips"].(float64) > 3 {
		t.Errorf("converged run: exit %d, %v round trips, want at most 3", r.code, r.summary()["round_trips"])
	}

	t.Run("lock and race", func(t *testing.T) {
		before := secrets(t, tg)
		rot := startJitsi(t, "install", "--answers", tg.AnswersFile, "--yes", "--rotate-secrets")
		if rot.until(resourceStarted("", 0)) == nil {
			<-rot.done
			t.Fatalf("rotation ended early: exit %d\n%s", rot.code, rot.output())
		}
		refused := jitsi(t, false, "install", "--answers", tg.AnswersFile, "--yes")
		if refused.code != 5 || !strings.Contains(refused.out, "locked by run ") || !strings.Contains(refused.out, "@") {
			t.Errorf("second run: exit %d, want 5 naming the holder:\n%s", refused.code, refused.out)
		}
		// A plain run waiting for the rotation must not undo it.
		waited := jitsi(t, true, "install", "--answers", tg.AnswersFile, "--yes", "--wait", "3m")
		<-rot.done
		if rot.code != 0 || waited.code != 0 {
			t.Fatalf("rotation exit %d, waiting run exit %d\n%s\n%s", rot.code, waited.code, lastLines(rot.output(), 10), lastLines(waited.out, 10))
		}
		if s := waited.summary(); s["changed"] != 0.0 {
			t.Errorf("the waiting run changed %v resources after the rotation: it undid it", s["changed"])
		}
		if after := secrets(t, tg); after == before {
			t.Error("secrets unchanged: the rotation was undone")
		}
	})

	t.Run("port forward", func(t *testing.T) {
		mustSSH(t, tg, "ufw --force disable >/dev/null; ufw --force delete allow 22/tcp >/dev/null; true")
		fwd := forward(t, net.JoinHostPort(tg.HostAddress, "0"), net.JoinHostPort(tg.Address, strconv.Itoa(tg.Port)))
		_, port, _ := net.SplitHostPort(fwd)
		answers := filepath.Join(t.TempDir(), "answers.yaml")
		a, err := os.ReadFile(tg.AnswersFile)
		if err != nil {
			t.Fatal(err)
		}
		a = bytes.Replace(a, []byte("address: "+tg.Address), []byte("address: "+tg.HostAddress), 1)
		a = bytes.Replace(a, []byte("port: "+strconv.Itoa(tg.Port)), []byte("port: "+port), 1)
		os.WriteFile(answers, a, 0o600)
		r := jitsi(t, false, "install", "--answers", answers, "--yes")
		if r.code != 0 || !strings.Contains(r.out, "sshd listens on 22") {
			t.Fatalf("install through the forward: exit %d\n%s", r.code, r.out)
		}
		ufw := mustSSH(t, tg, "ufw status")
		if !strings.Contains(ufw, "22/tcp") || strings.Contains(ufw, port+"/tcp") || !strings.Contains(ufw, "Status: active") {
			t.Errorf("ufw through a forward to 22:\n%s", ufw)
		}
		// Still reachable through the forward, with UFW on.
		if p := jitsi(t, false, "plan", "--answers", answers); p.code != 0 {
			t.Errorf("plan through the forward after the install: exit %d\n%s", p.code, lastLines(p.out, 10))
		}
		if v := jitsi(t, false, "verify", "--answers", answers); v.code == 4 {
			t.Errorf("verify cannot reach the host through the forward:\n%s", lastLines(v.out, 10))
		} else if v.code != 0 {
			for _, l := range strings.Split(v.out, "\n") {
				if strings.Contains(l, "FAIL") {
					t.Logf("verify through the forward: %s", l)
				}
			}
		}
	})

	t.Run("damaged secrets.json", func(t *testing.T) {
		confs := "sha256sum /etc/jitsi/jicofo/jicofo.conf /etc/jitsi/videobridge/jvb.conf /etc/turnserver.conf /etc/nginx/sites-available/*"
		before := mustSSH(t, tg, confs)
		mustSSH(t, tg, `printf '{"focus": "tr' > /var/lib/jitsi-installer/secrets.json`)
		r := jitsi(t, true, "install", "--answers", tg.AnswersFile, "--yes")
		if r.code != 0 || !strings.Contains(r.out, "secrets.json is damaged") {
			t.Fatalf("exit %d\n%s", r.code, lastLines(r.out, 20))
		}
		if s := r.summary(); s["handlers"] != 0.0 {
			t.Errorf("%v restarts after rebuilding secrets.json: an identity changed", s["handlers"])
		}
		if after := mustSSH(t, tg, confs); after != before {
			t.Errorf("configuration changed:\n%s\n%s", before, after)
		}
		converges(t, tg, "after secrets.json")
	})

	t.Run("damaged journal", func(t *testing.T) {
		mustSSH(t, tg, `printf '{"version": 1, "owed_hand' > /var/lib/jitsi-installer/journal.json`)
		r := jitsi(t, true, "install", "--answers", tg.AnswersFile, "--yes")
		if r.code != 0 || !strings.Contains(r.out, "journal.json is damaged") {
			t.Fatalf("exit %d\n%s", r.code, lastLines(r.out, 20))
		}
		if s := r.summary(); s["handlers"].(float64) < 3 {
			t.Errorf("handlers %v: the services were not restarted once", s["handlers"])
		}
		if r := converges(t, tg, "after the journal"); strings.Contains(r.out, "damaged") {
			t.Errorf("the damage is reported again:\n%s", r.out)
		}
	})

	t.Run("directory in a file's place", func(t *testing.T) {
		mustSSH(t, tg, "rm -f /etc/jitsi/jicofo/jicofo.conf && mkdir -p /etc/jitsi/jicofo/jicofo.conf/old")
		converges(t, tg, "after the directory")
		if out := mustSSH(t, tg, "test -f /etc/jitsi/jicofo/jicofo.conf && ls -d /var/backups/jitsi-installer/*/etc/jitsi/jicofo/jicofo.conf/old"); out == "" {
			t.Error("the directory is not in the backups")
		}
	})

	t.Run("masked service", func(t *testing.T) {
		mustSSH(t, tg, "systemctl mask --now jicofo")
		converges(t, tg, "after masking")
		if out := mustSSH(t, tg, "systemctl is-active jicofo; systemctl is-enabled jicofo || true"); !strings.Contains(out, "active\nenabled") {
			t.Errorf("jicofo: %q", out)
		}
	})

	t.Run("secrets at rest", func(t *testing.T) {
		noSecretsInDebconf(t, tg, "secrets at rest")
		if out := mustSSH(t, tg, "stat -c %a /var/cache/debconf/passwords.dat"); strings.TrimSpace(out) != "600" {
			t.Errorf("debconf's passwords.dat has mode %s", out)
		}
		if out := mustSSH(t, tg, "find /var/backups/jitsi-installer -type f ! -perm 600; find /var/backups/jitsi-installer -mindepth 1 -maxdepth 1 -type d ! -perm 700"); strings.TrimSpace(out) != "" {
			t.Errorf("backups not root's alone:\n%s", out)
		}
		if out := mustSSH(t, tg, "find /var/backups/jitsi-installer -name '*.part'"); strings.TrimSpace(out) != "" {
			t.Errorf("partial backups left: %s", out)
		}
	})
}

// forward is a port forward (listen -> to), like a NAT or an SSH -L in
// front of the host; it returns the address it listens on.
func forward(t *testing.T, listen, to string) string {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go loopback.Serve(ln, func(c net.Conn) {
		s, err := net.DialTimeout("tcp", to, 10*time.Second)
		if err != nil {
			return
		}
		defer s.Close()
		go func() { _, _ = io.Copy(s, c); s.(*net.TCPConn).CloseWrite() }()
		_, _ = io.Copy(c, s)
	})
	return ln.Addr().String()
}
