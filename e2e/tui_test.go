//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// tmux is one terminal running the installer, driven like an operator would.
type tmux struct {
	t       *testing.T
	session string
}

func newTmux(t *testing.T, session string, width, height int, command string) *tmux {
	t.Helper()
	testenv.Tools(t, "apt-get install tmux", "tmux")
	m := &tmux{t: t, session: session}
	_ = exec.Command("tmux", "kill-session", "-t", session).Run()
	out, err := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), command).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", session).Run() })
	return m
}

// screen is what the terminal shows now.
func (m *tmux) screen() string {
	out, err := exec.Command("tmux", "capture-pane", "-p", "-t", m.session).Output()
	if err != nil {
		m.t.Fatalf("tmux capture-pane: %v", err)
	}
	return string(out)
}

// keys sends tmux key names ("Enter", "C-c") or text.
func (m *tmux) keys(keys ...string) {
	m.t.Helper()
	args := append([]string{"send-keys", "-t", m.session}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		m.t.Fatalf("tmux send-keys %v: %v\n%s", keys, err, out)
	}
}

// waitFor waits until the screen shows every one of want (words, not lines:
// text wraps), and fails on any of fail.
func (m *tmux) waitFor(timeout time.Duration, want []string, fail ...string) string {
	m.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := m.screen()
		flat := strings.Join(strings.Fields(s), " ")
		for _, f := range fail {
			if strings.Contains(flat, f) {
				m.t.Fatalf("the screen shows %q:\n%s", f, s)
			}
		}
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(flat, strings.Join(strings.Fields(w), " "))
		}
		if ok {
			return s
		}
		if time.Now().After(deadline) {
			m.t.Fatalf("after %s the screen does not show %q:\n%s", timeout, want, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// formError is how the form shows a field's error, under the fields.
var formError = regexp.MustCompile(`(?m)^ \* .*`)

// next answers the focused field with what it holds and waits for the next
// field or page to show; an error under the fields fails the test.
func (m *tmux) next(want ...string) {
	m.t.Helper()
	m.keys("Enter")
	s := m.waitFor(time.Minute, want)
	if e := formError.FindString(s); e != "" {
		m.t.Fatalf("the form refuses an answer from the answers file: %s\n%s", e, s)
	}
}

// refuse answers the focused field (wait for its "┃ " first: a field of
// the same page is on the screen before it has the focus) with bad and sees
// it refused, goes back
// with Shift+Tab to the field before (on this page or the one before: prev
// is what the screen shows then), comes forward with Enter to find bad kept,
// and mends it with good. The caller answers it.
func (m *tmux) refuse(field, bad, good string, prev ...string) {
	m.t.Helper()
	m.keys("C-u")
	if bad != "" {
		m.keys("-l", bad)
	}
	m.keys("Enter")
	deadline := time.Now().Add(time.Minute)
	for s := m.screen(); !formError.MatchString(s) || !strings.Contains(s, "┃ "+field); s = m.screen() {
		if time.Now().After(deadline) {
			m.t.Fatalf("%q accepts %q:\n%s", field, bad, s)
		}
		time.Sleep(200 * time.Millisecond)
	}
	m.keys("BTab")
	m.waitFor(time.Minute, prev)
	m.keys("Enter")
	m.waitFor(time.Minute, []string{"┃ " + field, "> " + bad})
	m.keys("C-u")
	m.keys("-l", good)
	m.waitFor(time.Minute, []string{"┃ " + field, "> " + good})
}

var pinned = regexp.MustCompile(`(?m)^\s*host_key:.*\n`)

// The whole interactive install in a real terminal on a fresh target: every
// page answered from the sandbox's answers file (--answers --interactive),
// on each page that can hold one a wrong answer refused, left with
// Shift+Tab and mended, the unknown host key confirmed, the answers saved,
// the plan applied and verified; the host ends converged and the saved file
// is one `answers validate` and an unattended run accept.
func TestInteractiveInstall(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	tg := up(t, "fh-tui", "bookworm", "ops")
	dir := t.TempDir()

	// Without the pinned key, the installer must ask about the host key.
	src, err := os.ReadFile(tg.AnswersFile)
	if err != nil {
		t.Fatal(err)
	}
	start := filepath.Join(dir, "answers.yaml")
	if err := os.WriteFile(start, pinned.ReplaceAll(src, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	knownHosts := filepath.Join(dir, "known_hosts")
	saved := filepath.Join(dir, "saved.yaml")
	exitFile := filepath.Join(dir, "exit")
	command := "cd " + dir + " && env -u SSH_AUTH_SOCK TERM=xterm-256color " + installer +
		" install --answers answers.yaml --interactive --known-hosts " + knownHosts +
		"; echo $? > " + exitFile + "; sleep 3600"
	m := newTmux(t, "jitsi-tui-e2e", 120, 45, command)

	// Target server: address, port, user; then the key file and the sudo
	// password, all from the answers file. Each page with a field that can
	// be wrong gets a wrong answer first.
	m.waitFor(time.Minute, []string{"Target server", "> " + tg.Address})
	m.next("┃ SSH port")
	m.refuse("SSH port", "99999", strconv.Itoa(tg.Port), "┃ Address")
	m.next("SSH user")
	m.next("┃ SSH key file")
	m.refuse("SSH key file", "/nonexistent/id_ed25519", tg.KeyFile, "┃ SSH user")
	m.next("sudo password")
	m.next("Meeting domain")
	// Jitsi Meet: the domain is checked as it stands.
	m.waitFor(time.Minute, []string{"✓ meetings at https://" + tg.Domain + "/"})
	m.refuse("Meeting domain", "bad;domain", tg.Domain, "┃ sudo password")
	m.waitFor(time.Minute, []string{"✓ meetings at https://" + tg.Domain + "/"})
	m.next("┃ Certificate")
	m.next("Contact address of the ACME account")
	m.refuse("Email", "not an email", "ops@example.net", "┃ Certificate")
	m.next("ACME server")
	m.next("ACME directory URL") // Pebble is a private ACME server
	m.refuse("ACME directory URL", "ftp://"+tg.HostAddress, tg.ACMEServer, "┃ ACME server")
	m.next("┃ CA bundle")
	m.refuse("CA bundle", "/nonexistent/bundle.pem", tg.ACMECABundle, "┃ ACME directory URL")
	m.next("Issuer URL")
	m.refuse("Issuer URL", "http://"+tg.JanssenHost, tg.JanssenIssuer, "Private ACME server", "┃ CA bundle")
	// Janssen, checked live from this machine.
	m.waitFor(time.Minute, []string{"RSA signing key(s)", "JWKS"}, "✗ ")
	m.next("CA bundle")
	m.next("Audience")
	m.next("App id")
	m.next("┃ Client id")
	m.refuse("Client id", "", "jitsi-meet", "┃ App id")
	m.next("Manage the firewall (UFW)?")
	m.next("Ports opened to everyone", "10000/udp")
	m.next("Change the advanced settings?")
	// The advanced pages show what the answers file has: the sandbox's
	// package repository, apt proxy and test client.
	m.keys("y")
	m.waitFor(time.Minute, []string{"┃ Jitsi release", "> latest"})
	m.next("┃ Repository URL", "> "+tg.RepoURL)
	m.refuse("Repository URL", "ftp://"+tg.HostAddress, tg.RepoURL, "┃ Jitsi release")
	m.next("┃ Suite", "> "+tg.RepoSuite)
	m.next("┃ Signing key URL", "> "+tg.RepoKeyURL)
	m.next("┃ Signing key fingerprint")
	m.next("┃ apt proxy", "> "+tg.AptProxy)
	m.refuse("apt proxy", "not-a-url", tg.AptProxy, "┃ Signing key fingerprint")
	m.next("┃ Test client id", "> "+tg.JanssenClientID)
	m.next("┃ Test client secret")
	m.keys("Enter")

	// The host key is unknown to this known_hosts: confirm it.
	m.waitFor(2*time.Minute, []string{"The host key of " + tg.Address + ":22 is not known yet", "Trust it"})
	m.keys("y")
	m.waitFor(5*time.Minute, []string{"Apply these", "change(s)?"})
	if _, err := os.Stat(knownHosts); err != nil {
		t.Errorf("the confirmed host key was not recorded: %v", err)
	}

	// Save the answers, then apply.
	m.keys("s")
	m.waitFor(time.Minute, []string{"Save answers to:"})
	m.keys("C-u", saved, "Enter")
	m.waitFor(time.Minute, []string{"Saved the answers to " + saved})
	m.keys("Enter")
	done := m.waitFor(30*time.Minute, []string{"Jitsi Meet is ready: https://" + tg.Domain + "/", "Verify:"},
		"✗ The install failed", "check(s) failed")
	t.Logf("the end of the interactive install:\n%s", done)
	m.keys("q")
	deadline := time.Now().Add(time.Minute)
	for {
		b, err := os.ReadFile(exitFile)
		if err == nil && strings.TrimSpace(string(b)) != "" {
			if code := strings.TrimSpace(string(b)); code != "0" {
				t.Fatalf("the installer exited %s:\n%s", code, m.screen())
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the installer did not exit after q:\n%s", m.screen())
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The saved answers: valid, and an unattended run finds nothing to do.
	v := jitsi(t, false, "answers", "validate", saved)
	if v.code != 0 {
		t.Fatalf("answers validate %s: exit %d\n%s", saved, v.code, v.out)
	}
	r := jitsi(t, true, "install", "--answers", saved, "--yes", "--known-hosts", knownHosts)
	if r.code != 0 {
		t.Fatalf("unattended install from the saved answers: exit %d\n%s", r.code, r.out)
	}
	if s := r.summary(); s["changed"] != 0.0 || len(r.pending()) != 0 {
		t.Errorf("the host is not converged after the interactive install: %v %v", s, r.pending())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := tg.Sudo(ctx, "systemctl is-active prosody jicofo jitsi-videobridge2 nginx"); err != nil {
		t.Errorf("services after the interactive install: %v\n%s", err, out)
	}
}
