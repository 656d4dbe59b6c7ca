//go:build e2e

package sandbox

import (
	"errors"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// hostFirewall is this machine's ruleset, without counters and timestamps.
func hostFirewall(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	counters := regexp.MustCompile(`\[\d+:\d+\]|counter packets \d+ bytes \d+`)
	for _, c := range [][]string{{"nft", "list", "ruleset"}, {"iptables-save"}, {"ip6tables-save"}, {"iptables-legacy-save"}} {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", c[0], err, out)
		}
		fmt.Fprintf(&b, "== %s\n", c[0])
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "#") {
				b.WriteString(counters.ReplaceAllString(l, "") + "\n")
			}
		}
	}
	return b.String()
}

// probe reports how a TCP connection to a closed port ends: "refused" when
// the target answers with a reset, "dropped" when nothing answers.
func probe(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	switch {
	case err == nil:
		c.Close()
		return "open"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "dropped"
		}
		return err.Error()
	}
}

func TestUFW(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	ctx := testContext(t)
	_, nft := exec.LookPath("nft")
	_, ipt := exec.LookPath("iptables-save")
	if nft != nil && ipt != nil {
		if err := EnsureHost(ctx, testenv.Log(t), "nftables", "iptables"); err != nil {
			t.Fatal(err)
		}
	}
	tg := bringUp(t, Options{Name: "ufw", Suite: "bookworm"})
	useProxy(t, tg, false)
	mustSSH(t, tg, aptInstall+"ufw >/tmp/install.log 2>&1 || { tail -30 /tmp/install.log; exit 1; }")
	closed := tg.Address + ":9"
	if got := probe(closed); got != "refused" {
		t.Fatalf("closed port before ufw: %s, want refused", got)
	}

	before := hostFirewall(t)
	mustSSH(t, tg, "ufw allow 22/tcp && ufw --force enable")
	if got := mustSSH(t, tg, "ufw status | head -1"); got != "Status: active" {
		t.Fatalf("ufw status: %q", got)
	}
	if after := hostFirewall(t); after != before {
		t.Errorf("the host's firewall changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// A new connection: SSH is still allowed, the rest is dropped by the
	// target's own firewall.
	if got := mustSSH(t, tg, "echo ok"); got != "ok" {
		t.Errorf("ssh after ufw enable: %q", got)
	}
	if got := probe(closed); got != "dropped" {
		t.Errorf("closed port with ufw enabled: %s, want dropped", got)
	}
}
