// Package chrome drives a headless Chromium (Debian's chromium package) for
// the end-to-end tests of the sign-in, over the DevTools protocol with
// chromedp: a real browser is what enforces CORS, popups, postMessage
// origins and sessionStorage as users meet them, and chromedp speaks the
// protocol so the tests need not.
package chrome

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Start runs a browser until t ends and returns its first tab. hosts maps
// names to addresses ("meet.example.test" -> "10.213.1.2"); only those are
// reached. The certificates whose public keys spki lists
// (sandbox.ServerSPKI) are trusted, as the test CAs are in no store. The
// browser and its profile are gone when t ends; a process left behind
// fails t.
func Start(t testing.TB, hosts map[string]string, spki []string) context.Context {
	t.Helper()
	var rules []string
	for name, addr := range hosts {
		rules = append(rules, "MAP "+name+" "+addr)
	}
	return StartArgs(t, []string{
		"--host-resolver-rules=" + strings.Join(rules, ", ") + ", EXCLUDE localhost",
		"--ignore-certificate-errors-spki-list=" + strings.Join(spki, ","),
	})
}

// StartArgs is Start with the command-line switches a person would give
// chromium ("--name=value" or "--name"), as a printed command line has
// them; the profile is always the test's own (--user-data-dir is ignored),
// and anything else than a switch fails t.
func StartArgs(t testing.TB, args []string) context.Context {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is needed (Debian's chromium package)")
	}
	profile := t.TempDir()
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
	}
	for _, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch {
		case !strings.HasPrefix(a, "--") || name == "":
			t.Fatalf("chromium argument %q is not a switch", a)
		case name == "user-data-dir":
		case hasValue:
			opts = append(opts, chromedp.Flag(name, value))
		default:
			opts = append(opts, chromedp.Flag(name, true))
		}
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
		if pids := processesWith(profile); len(pids) > 0 {
			t.Errorf("chromium processes left running: %v", pids)
		}
	})
	return ctx
}

// processesWith lists the processes whose command line names dir (the
// profile of one browser).
func processesWith(dir string) []string {
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
