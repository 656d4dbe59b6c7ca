//go:build e2e

package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

func TestBoot(t *testing.T) {
	t.Parallel()
	for _, suite := range Suites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			tg := bringUp(t, Options{Name: "b-" + suite, Suite: suite})
			ctx := testContext(t)
			t.Logf("%s: booted in %s, ready in %s", suite, tg.BootTime, tg.ReadyAfter)

			// Only what `up` printed: key, user, address and host key.
			known := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(known, []byte(tg.Address+" "+tg.HostKey+"\n"), 0o600)
			out, err := sshWith(ctx, tg.Info, known, "systemctl is-system-running; . /etc/os-release; echo $VERSION_CODENAME")
			if f := strings.Fields(out); len(f) != 2 || (f[0] != "running" && f[0] != "degraded") || f[1] != suite {
				t.Fatalf("system state and release = %q (%v), want running or degraded, and %s", out, err, suite)
			}
			// And the host key is really checked.
			_, other, _ := sshKey("")
			os.WriteFile(known, []byte(tg.Address+" "+other+"\n"), 0o600)
			if out, err := sshWith(ctx, tg.Info, known, "true"); err == nil || !strings.Contains(out, "Host key verification failed") {
				t.Errorf("ssh with a wrong pinned host key: %v %q, want a host key failure", err, out)
			}

			if _, err := answers.Load(tg.AnswersFile); err != nil {
				t.Errorf("the installer rejects %s: %v", tg.AnswersFile, err)
			}

			if err := tg.Down(ctx); err != nil {
				t.Fatalf("down: %v", err)
			}
			assertGone(t, tg.State)
			if err := Down(ctx, tg.Name); err != nil {
				t.Errorf("second down: %v", err)
			}
		})
	}
}

// sshWith runs the system ssh client with only the printed key, user and
// host key, strict host key checking on, and no other configuration.
func sshWith(ctx context.Context, info Info, knownHosts, cmd string) (string, error) {
	c := exec.CommandContext(ctx, "ssh", "-F", "/dev/null",
		"-i", info.KeyFile, "-p", strconv.Itoa(info.Port),
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		info.User+"@"+info.Address, cmd)
	out, err := c.CombinedOutput()
	return string(out), err
}

func TestOpsSudo(t *testing.T) {
	t.Parallel()
	tg := bringUp(t, Options{Name: "ops", Suite: "bookworm", User: "ops"})
	if got := mustSSH(t, tg, "id -un"); got != "ops" {
		t.Fatalf("logged in as %q", got)
	}
	st, err := os.Stat(tg.SudoPasswordFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("sudo password file: %v %v, want mode 0600", st, err)
	}
	pw, _ := os.ReadFile(tg.SudoPasswordFile)
	a, _ := os.ReadFile(tg.AnswersFile)
	if !strings.Contains(string(a), "${file:"+tg.SudoPasswordFile+"}") || strings.Contains(string(a), string(pw)) {
		t.Errorf("answers file must reference the password by file, not hold it:\n%s", a)
	}
	info, _ := json.Marshal(tg.Info)
	if strings.Contains(string(info), string(pw)) {
		t.Errorf("printed JSON holds the sudo password")
	}

	ctx := testContext(t)
	if out, err := tg.SSH(ctx, "sudo -n true 2>&1"); err == nil {
		t.Errorf("sudo without a password worked: %q", out)
	}
	if out, err := tg.Run(ctx, strings.NewReader("wrong\n"), "sudo -S -p '' id -u 2>&1"); err == nil {
		t.Errorf("sudo with a wrong password worked: %q", out)
	}
	if got, err := tg.Run(ctx, bytes.NewReader(append(pw, '\n')), "sudo -S -p '' id -u"); err != nil || strings.TrimSpace(got) != "0" {
		t.Errorf("sudo -S with the password: %q %v, want 0", got, err)
	}
	if got, err := tg.Sudo(ctx, "id -u"); err != nil || strings.TrimSpace(got) != "0" {
		t.Errorf("Sudo: %q %v, want 0", got, err)
	}
}

// BenchmarkUp measures bringing a target up from the cache and down again.
func BenchmarkUp(b *testing.B) {
	testenv.Root(b)
	ctx := context.Background()
	if _, err := EnsureRootfs(ctx, Suites[0], testenv.Log(b)); err != nil {
		b.Fatal(err)
	}
	Down(ctx, "bench")
	var ready time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tg, err := Up(ctx, Options{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		ready += time.Since(start)
		if err := tg.Down(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), "ms-to-ready/op")
}
