//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium (Debian's chromium package) driven over
// the DevTools protocol with chromedp: a real browser is what checks CORS,
// popups, postMessage origins and sessionStorage as users meet them, and
// chromedp speaks the protocol so the test need not. hosts maps names to
// addresses ("meet.example.test" -> "10.213.1.2"); only those are reached.
// The certificates whose public keys spki lists (sandbox.ServerSPKI) are
// trusted, as the sandbox's CAs are not in the system's store. The browser
// and its profile are gone when t ends.
func browser(t *testing.T, hosts map[string]string, spki []string) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is needed (Debian's chromium package)")
	}
	profile := t.TempDir()
	var rules []string
	for name, addr := range hosts {
		rules = append(rules, "MAP "+name+" "+addr)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(profile),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("host-resolver-rules", strings.Join(rules, ", ")+", EXCLUDE localhost"),
		chromedp.Flag("ignore-certificate-errors-spki-list", strings.Join(spki, ",")),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	// The first action starts the browser, which lives as long as ctx: no
	// timeout on it, each action gets its own.
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // kills the browser and waits for it
		if pids := chromiumWith(profile); len(pids) > 0 {
			t.Errorf("chromium processes left running: %v", pids)
		}
	})
	return ctx
}

// chromiumWith lists the processes whose command line names dir (the
// profile of one browser).
func chromiumWith(dir string) []string {
	var pids []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "--user-data-dir="+dir) {
			pids = append(pids, filepath.Base(filepath.Dir(p)))
		}
	}
	return pids
}
