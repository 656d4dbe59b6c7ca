//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestRollbackAndUninstall: rollback --last of a repair shows the diff it
// makes, warns that the drift comes back and runs verify; uninstall leaves
// no file, unit, rule, source or state of the installer's (the SSH rule and
// the backups stay), and a fresh install on the host passes verify; with
// --purge-packages the Jitsi packages go too, and install works again.
func TestRollbackAndUninstall(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	tg := up(t, "un-undo", "bookworm", "root")
	mustInstall(t, tg.AnswersFile, "install")

	// Drift, repaired, then the repair rolled back.
	cfg := fmt.Sprintf("/etc/jitsi/meet/%s-config.js", tg.Domain)
	mustSSH(t, tg, "echo '// edited by hand' >> "+cfg)
	if r := jitsi(t, false, "repair", "--answers", tg.AnswersFile, "--yes"); r.code != 0 {
		t.Fatalf("repair: exit %d\n%s", r.code, r.out)
	}
	if strings.Contains(mustSSH(t, tg, "cat "+cfg), "edited by hand") {
		t.Fatal("repair left the drift")
	}
	rb := jitsi(t, false, "rollback", "--last", "--answers", tg.AnswersFile, "--yes")
	if rb.code != 0 {
		t.Fatalf("rollback --last: exit %d\n%s", rb.code, rb.out)
	}
	for _, want := range []string{"+// edited by hand", "was a repair: rolling it back brings back the drift it fixed", "Verify: "} {
		if !strings.Contains(rb.out, want) {
			t.Errorf("rollback --last does not show %q:\n%s", want, rb.out)
		}
	}
	if !strings.Contains(mustSSH(t, tg, "cat "+cfg), "edited by hand") {
		t.Error("rollback --last did not put the repaired file back")
	}
	t.Logf("rollback --last:\n%s", rb.out)

	// What the installer declares on the host, read from its own plan.
	declared := declaredOn(t, tg)
	uninstallAndCheck(t, tg, declared, false)
	installAndVerifyAgain(t, tg, "install after uninstall")

	uninstallAndCheck(t, tg, declared, true)
	if out := mustSSH(t, tg, `dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' 'jitsi-*' jicofo 2>/dev/null | awk '$2 != "un" && $2 != "pn"'`); strings.TrimSpace(out) != "" {
		t.Errorf("Jitsi packages left after --purge-packages:\n%s", out)
	}
	installAndVerifyAgain(t, tg, "install after uninstall --purge-packages")
}

// declaredOn lists the resources install declares on tg, by key, from a
// verbose JSON plan of the converged host.
func declaredOn(t *testing.T, tg *sandbox.Target) []string {
	t.Helper()
	r := jitsi(t, true, "plan", "--answers", tg.AnswersFile, "--verbose")
	if r.code != 0 {
		t.Fatalf("plan: exit %d\n%s", r.code, r.out)
	}
	var keys []string
	for _, e := range r.events {
		if e["type"] == "resource.unchanged" || e["type"] == "resource.pending" {
			keys = append(keys, fmt.Sprint(e["resource"]))
		}
	}
	if len(keys) < 30 {
		t.Fatalf("plan declares only %d resources:\n%s", len(keys), r.out)
	}
	return keys
}

// uninstallAndCheck runs uninstall, first as a dry run that changes
// nothing, and checks on the target that nothing of the installer's is left.
func uninstallAndCheck(t *testing.T, tg *sandbox.Target, declared []string, purge bool) {
	t.Helper()
	args := []string{"uninstall", "--answers", tg.AnswersFile}
	if purge {
		args = append(args, "--purge-packages")
	}
	before := mustSSH(t, tg, "ls /etc/nginx/sites-enabled; ufw status; ls /var/lib/jitsi-installer")
	dry := jitsi(t, false, append(args, "--dry-run")...)
	if dry.code != 0 || !strings.Contains(dry.out, "delete") {
		t.Fatalf("uninstall --dry-run: exit %d\n%s", dry.code, dry.out)
	}
	t.Logf("%v --dry-run:\n%s", args, dry.out)
	if after := mustSSH(t, tg, "ls /etc/nginx/sites-enabled; ufw status; ls /var/lib/jitsi-installer"); after != before {
		t.Errorf("uninstall --dry-run changed the host:\n%s\n---\n%s", before, after)
	}
	r := jitsi(t, false, append(args, "--yes")...)
	if r.code != 0 {
		t.Fatalf("%v: exit %d\n%s", args, r.code, r.out)
	}
	t.Logf("%v:\n%s", args, lastLines(r.out, 12))
	if !strings.Contains(r.out, "Uninstalled: the backups stay") || strings.Contains(r.out, "is ready") {
		t.Errorf("uninstall does not end saying what it did:\n%s", lastLines(r.out, 3))
	}

	var left []string
	for _, k := range declared {
		kind, p, _ := strings.Cut(k, " ")
		switch kind {
		case "file", "symlink":
			if out := mustSSH(t, tg, "if [ -e "+sandbox.ShellQuote(p)+" ] || [ -L "+sandbox.ShellQuote(p)+" ]; then echo left; fi"); strings.TrimSpace(out) != "" {
				left = append(left, k)
			}
		case "dir":
			// A directory stays only when something not the installer's is in it.
			if out := mustSSH(t, tg, "if [ -d "+sandbox.ShellQuote(p)+" ] && [ -z \"$(ls -A "+sandbox.ShellQuote(p)+")\" ]; then echo empty; fi"); strings.TrimSpace(out) != "" {
				left = append(left, k+" (empty)")
			}
		case "service":
			if p == "nginx" || p == "certbot.timer" {
				continue // kept: other sites, certbot's renewals
			}
			st := strings.Fields(mustSSH(t, tg, "systemctl is-active "+p+" || true; systemctl is-enabled "+p+" 2>/dev/null || true"))
			if slices.Contains(st, "active") || slices.Contains(st, "enabled") {
				left = append(left, k+": "+strings.Join(st, " "))
			}
		}
	}
	if len(left) > 0 {
		t.Errorf("uninstall left %d of the installer's resources:\n%s", len(left), strings.Join(left, "\n"))
	}
	// Units, rules, sources and state, as an operator would look for them.
	if out := mustSSH(t, tg, "systemctl list-unit-files --no-legend 'jitsi-installer*' || true"); strings.TrimSpace(out) != "" {
		t.Errorf("units of the installer left:\n%s", out)
	}
	ufw := mustSSH(t, tg, "ufw status")
	if !strings.Contains(ufw, "Status: active") || !strings.Contains(ufw, "22/tcp") {
		t.Errorf("UFW is off or SSH is not allowed any more:\n%s", ufw)
	}
	for _, l := range strings.Split(ufw, "\n") {
		if strings.Contains(l, "jitsi-installer") && !strings.Contains(l, "# ssh (jitsi-installer)") {
			t.Errorf("a UFW rule of the installer is left: %s", l)
		}
	}
	if out := mustSSH(t, tg, "grep -rlis -e jitsi -e prosody /etc/apt/sources.list.d /etc/apt/preferences.d || true; ls /usr/share/keyrings/jitsi-keyring.gpg 2>/dev/null || true"); strings.TrimSpace(out) != "" {
		t.Errorf("apt source, pin or key left:\n%s", out)
	}
	if out := mustSSH(t, tg, "ls -d /var/lib/jitsi-installer /var/lib/jitsi-installer-keys 2>/dev/null || true; id jitsi-keys 2>/dev/null || true"); strings.TrimSpace(out) != "" {
		t.Errorf("the installer's state, keys or user left:\n%s", out)
	}
	// The backups stay, with the uninstall's own: the journal and what it removed.
	runs := strings.Fields(mustSSH(t, tg, "ls /var/backups/jitsi-installer"))
	if len(runs) == 0 || !slices.ContainsFunc(runs, func(id string) bool {
		return strings.TrimSpace(mustSSH(t, tg, "test -f /var/backups/jitsi-installer/"+id+"/var/lib/jitsi-installer/journal.json && echo yes || true")) == "yes"
	}) {
		t.Errorf("no backup holds the uninstall's journal: %v", runs)
	}

	// Nothing left to do: a second uninstall changes nothing.
	again := jitsi(t, true, append(args, "--yes")...)
	if again.code != 0 || len(again.pending()) != 0 {
		t.Errorf("a second uninstall: exit %d, pending %v", again.code, again.pending())
	}
}

// installAndVerifyAgain installs on a host that was uninstalled and verifies it.
func installAndVerifyAgain(t *testing.T, tg *sandbox.Target, what string) {
	t.Helper()
	mustInstall(t, tg.AnswersFile, what)
	if v := jitsi(t, false, "verify", "--answers", tg.AnswersFile); v.code != 0 {
		t.Fatalf("verify, %s: exit %d\n%s", what, v.code, v.out)
	}
}
