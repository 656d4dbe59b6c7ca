//go:build e2e

package e2e

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestLockRaceAndDamage: one host, reached as a user with sudo (the lock
// is held through sudo), runs racing for it, a port forward, and each kind
// of damaged state an operator finds on a bad day.
func TestLockRaceAndDamage(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	tg := up(t, "f-state", "bookworm", "ops")
	mustInstall(t, tg.AnswersFile, "install")
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
