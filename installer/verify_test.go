package installer_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// checkStep is a step with checks and nothing to declare.
type checkStep struct {
	testStep
	checks []installer.Check
}

func (s *checkStep) Checks(*installer.Host) []installer.Check { return s.checks }

// A check of something still starting is asked again until it passes; one
// that cannot get better fails at once; a skipped one is reported with its
// reason; text for stdin reaches the command and no command line.
func TestVerifySettlesSkipsAndFeedsStdin(t *testing.T) {
	th := newTestHost(t)
	ready := th.path("ready")
	// The file appears two seconds into verify, as a service comes up.
	go func() {
		time.Sleep(2 * time.Second)
		_ = os.WriteFile(ready, nil, 0o600)
	}()
	step := &checkStep{testStep: testStep{name: "checks", rs: func(*installer.Host) []installer.Resource { return nil }}, checks: []installer.Check{
		{Name: "comes up", Args: []string{"test", "-e", ready}, Eval: exitStatus, Settle: true},
		{Name: "never", Args: []string{"false"}, Eval: exitStatus},
		{Name: "skipped", Skip: "nothing to check with"},
		// The command sees both lines; its command line holds neither.
		{Name: "stdin", Args: []string{"sh", "-c", `read a; read b; [ "$(printf %s "$a$b" | md5sum | cut -c1-8)" = dc62d499 ] && ! ps -o args= -p $$ | grep -qF -- "$a"`},
			Stdin: "s3cr3t-\nonetwo", Eval: exitStatus},
	}}
	e, rec := th.eng(step)
	e.Settle = 30 * time.Second
	start := time.Now()
	res := e.Verify(context.Background(), th.plan(e))
	got := map[string]string{}
	for _, r := range res {
		switch {
		case r.Skipped != "":
			got[r.Name] = "skipped"
		case r.Err != nil:
			got[r.Name] = "failed"
		default:
			got[r.Name] = "passed"
		}
	}
	want := map[string]string{"comes up": "passed", "never": "failed", "skipped": "skipped", "stdin": "passed"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("verify took %v: a check that passes after 2s should not hold it to the bound", took)
	}
	w := rec.of(installer.EventCheckWaiting)
	if len(w) != 1 || w[0].Resource != "comes up" || !strings.Contains(w[0].Message, "asking again") {
		t.Errorf("waiting events: %+v", w)
	}
}

func exitStatus(_ string, code int) error {
	if code != 0 {
		return fmt.Errorf("exit %d", code)
	}
	return nil
}

// A check that runs here sees what the host's checks of the same round
// found, settles like them, and costs no round trip of its own.
func TestVerifyLocalChecksFollowTheHostsChecks(t *testing.T) {
	th := newTestHost(t)
	ready := th.path("ready")
	go func() {
		time.Sleep(2 * time.Second)
		_ = os.WriteFile(ready, []byte("relay"), 0o600)
	}()
	var found string // what the host's check found, as a login hands out credentials
	step := &checkStep{testStep: testStep{name: "checks", rs: func(*installer.Host) []installer.Resource { return nil }}, checks: []installer.Check{
		{Name: "local first in the list", Settle: true, Local: func(context.Context) error {
			if found != "relay" {
				return fmt.Errorf("nothing found yet")
			}
			return nil
		}},
		{Name: "host", Args: []string{"sh", "-c", "cat " + ready + " 2>/dev/null"}, Settle: true, Eval: func(out string, code int) error {
			found = strings.TrimSpace(out)
			return exitStatus(out, code)
		}},
		{Name: "local fails", Local: func(context.Context) error { return fmt.Errorf("refused") }},
	}}
	e, _ := th.eng(step)
	e.Settle = 30 * time.Second
	p := th.plan(e)
	before := p.Hosts[0].Host.T.RoundTrips()
	res := e.Verify(context.Background(), p)
	got := map[string]error{}
	for _, r := range res {
		got[r.Name] = r.Err
	}
	if got["local first in the list"] != nil || got["host"] != nil {
		t.Errorf("local check: %v, host check: %v; want both passed", got["local first in the list"], got["host"])
	}
	if err := got["local fails"]; err == nil || err.Error() != "refused" {
		t.Errorf("failing local check: %v, want refused", err)
	}
	// Two or three rounds while the file appears, one round trip each.
	if n := p.Hosts[0].Host.T.RoundTrips() - before; n < 2 || n > 3 {
		t.Errorf("verify took %d round trips, want one per round (2 or 3)", n)
	}
}

// Verify asks every host at once: each host's check here passes only once
// the other host's check has started, which one host after the other
// never sees; the results stay in the plan's host order.
func TestVerifyHostsAtOnce(t *testing.T) {
	th := newTestHost(t)
	dir := th.mkdir(t, "verify-at-once")
	e, _ := th.eng(&hostChecks{testStep: testStep{name: "checks", rs: func(*installer.Host) []installer.Resource { return nil }}, dir: dir})
	p := e.Plan(context.Background(), []installer.Target{{Name: "a", Dial: dialLocal}, {Name: "b", Dial: dialLocal}})
	defer p.Close()
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	res := e.Verify(context.Background(), p)
	if len(res) != 2 || res[0].Host != "a" || res[1].Host != "b" {
		t.Fatalf("results %+v", res)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Host, r.Err)
		}
	}
}

// hostChecks has one check per host: mark that it started, then wait up
// to five seconds for every other host's mark.
type hostChecks struct {
	testStep
	dir string
}

func (s *hostChecks) Checks(h *installer.Host) []installer.Check {
	other := map[string]string{"a": "b", "b": "a"}[h.Name]
	script := fmt.Sprintf("touch %s/%s; for i in $(seq 50); do [ -e %s/%s ] && exit 0; sleep 0.1; done; exit 1", s.dir, h.Name, s.dir, other)
	return []installer.Check{{Name: "the other host is asked too", Args: []string{"sh", "-c", script}, Eval: exitStatus}}
}
