//go:build e2e

package sandbox

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// The harness's own tests: real targets booted with systemd-nspawn, the
// system SSH client, Debian's packages through the apt proxy, Pebble and the
// stand-ins. They need root; without it they skip, and under CI=true a skip
// is a failure.

const testTimeout = 5 * time.Minute

func TestMain(m *testing.M) {
	flag.Parse()
	// Targets wait on the network and on boots far more than on CPU: run
	// more of them at once than the default of one per core, unless the
	// caller chose.
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "12")
	}
	os.Exit(m.Run())
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// bringUp brings a target up (after removing one left by an aborted run)
// and downs it when the test ends.
func bringUp(t testing.TB, o Options) *Target {
	t.Helper()
	testenv.Root(t)
	ctx := testContext(t)
	if err := Down(ctx, o.Name); err != nil {
		t.Fatal(err)
	}
	o.Log = testenv.Log(t)
	tg, err := Up(ctx, o)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() {
		if err := tg.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	return tg
}

func mustSSH(t testing.TB, tg *Target, cmd string) string {
	t.Helper()
	out, err := tg.SSH(testContext(t), cmd)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// copyTo writes data to path on the target.
func copyTo(t testing.TB, tg *Target, data []byte, path string) {
	t.Helper()
	if _, err := tg.Run(testContext(t), bytes.NewReader(data), "cat > "+ShellQuote(path)); err != nil {
		t.Fatal(err)
	}
}

// useProxy points the target's apt at its proxy and the stand-in Jitsi
// repository, as the installer does, and updates the package lists.
func useProxy(t testing.TB, tg *Target, jitsi bool) {
	t.Helper()
	mustSSH(t, tg, fmt.Sprintf(`echo 'Acquire::http::Proxy "%s";' > /etc/apt/apt.conf.d/01proxy`, tg.AptProxy))
	if jitsi {
		mustSSH(t, tg, fmt.Sprintf(`curl -fsS %s | gpg --dearmor > /usr/share/keyrings/jitsi.gpg && echo 'deb [signed-by=/usr/share/keyrings/jitsi.gpg] %s %s' > /etc/apt/sources.list.d/jitsi.list`,
			tg.RepoKeyURL, tg.RepoURL, tg.RepoSuite))
	}
	mustSSH(t, tg, "apt-get update -q >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; exit 1; }")
}

const aptInstall = "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "

// bringUpNoFatal is bringUp for other goroutines than the test's.
func bringUpNoFatal(t *testing.T, name string) *Target {
	ctx := testContext(t)
	Down(ctx, name)
	tg, err := Up(ctx, Options{Name: name, Log: testenv.Log(t)})
	if err != nil {
		t.Errorf("up %s: %v", name, err)
		return nil
	}
	t.Cleanup(func() {
		if err := tg.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	return tg
}
