//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// statusOf runs status --output json and decodes it.
func statusOf(t *testing.T, answers string) (int, map[string]any) {
	t.Helper()
	r := jitsi(t, false, "status", "--answers", answers, "--output", "json")
	var st map[string]any
	if err := json.Unmarshal([]byte(r.out), &st); err != nil {
		t.Fatalf("status --output json: exit %d, not JSON: %v\n%s", r.code, err, r.out)
	}
	return r.code, st
}

func firstHost(st map[string]any) map[string]any {
	hs, _ := st["hosts"].([]any)
	if len(hs) == 0 {
		return nil
	}
	h, _ := hs[0].(map[string]any)
	return h
}

// withAnswers writes a copy of tg's answers file with extra keys under
// jitsi: and returns its path.
func withAnswers(t *testing.T, tg *sandbox.Target, name string, jitsiKeys ...string) string {
	t.Helper()
	return answersCopy(t, tg, name, func(s string) string {
		if !strings.Contains(s, "\njitsi:\n") {
			t.Fatalf("%s has no jitsi: section", tg.AnswersFile)
		}
		return strings.Replace(s, "\njitsi:\n", "\njitsi:\n  "+strings.Join(jitsiKeys, "\n  ")+"\n", 1)
	})
}

// answersCopy writes tg's answers file as edit changes it next to it and
// returns its path.
func answersCopy(t *testing.T, tg *sandbox.Target, name string, edit func(string) string) string {
	t.Helper()
	b, err := os.ReadFile(tg.AnswersFile)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(filepath.Dir(tg.AnswersFile), name)
	if err := os.WriteFile(p, []byte(edit(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func sha(t *testing.T, tg *sandbox.Target, path string) string {
	t.Helper()
	f := strings.Fields(mustSSH(t, tg, "sha256sum "+path))
	if len(f) == 0 {
		t.Fatalf("sha256sum %s: no output", path)
	}
	return f[0]
}

// TestDayTwo: status of a healthy host with a conference of two token
// logins, logs --follow showing a login as it happens, a stopped bridge,
// runs and the rollback of the last run.
func TestDayTwo(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	tg := up(t, "d-daytwo", "bookworm", "root")
	mustInstall(t, tg.AnswersFile, "install")

	// Healthy: every service up, every package at its pin, the key server's
	// keys, the last run, no drift.
	code, st := statusOf(t, tg.AnswersFile)
	h := firstHost(st)
	if code != 0 || st["healthy"] != true {
		t.Fatalf("status of a fresh install: exit %d: %v", code, h["problems"])
	}
	for _, p := range h["packages"].([]any) {
		if p := p.(map[string]any); p["at_pin"] != true {
			t.Errorf("package not at its pin: %v", p)
		}
	}
	if keys, _ := h["janssen_keys"].(map[string]any); keys == nil || len(keys["kids"].([]any)) == 0 || keys["refreshed"] == nil {
		t.Errorf("janssen keys: %v", h["janssen_keys"])
	}
	if lr, _ := h["last_run"].(map[string]any); lr == nil || lr["command"] != "install" || lr["user"] == "" || lr["applied"].(float64) == 0 {
		t.Errorf("last run: %v", h["last_run"])
	}
	if d := h["drift"].([]any); len(d) != 0 {
		t.Errorf("drift after install: %v", d)
	}

	// A conference opened with two token logins shows up.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bosh := boshClient(t, tg)
	boshURL := "https://" + tg.Address + "/http-bind"
	token := mint(t, tg, janssentest.MintRequest{Claims: meetingClaims(tg)})
	// As the web app does: sign in, bind, ask the focus for the
	// conference, join it. The sessions stay open until the test ends.
	room := "daytwo@conference." + tg.Domain
	for _, nick := range []string{"alice", "bob"} {
		if err := joinMeeting(ctx, bosh, boshURL, tg.Domain, token, room, nick); err != nil {
			t.Fatalf("%s joins the conference: %v", nick, err)
		}
	}
	_, st = statusOf(t, tg.AnswersFile)
	h = firstHost(st)
	conf, _ := h["conferences"].(map[string]any)
	if conf == nil || conf["source"] != "jicofo" || conf["conferences"].(float64) < 1 || conf["participants"].(float64) < 2 || h["xmpp_sessions"] == nil || h["xmpp_sessions"].(float64) < 2 {
		t.Errorf("status with a conference of two: conferences %v, xmpp sessions %v", conf, h["xmpp_sessions"])
	}
	text := jitsi(t, false, "status", "--answers", tg.AnswersFile)
	t.Logf("status:\n%s", text.out)
	if !regexp.MustCompile(`meetings +[1-9]\d* conference\(s\), [2-9]\d* participant\(s\)`).MatchString(text.out) {
		t.Errorf("status text does not show the conference:\n%s", text.out)
	}

	// logs --follow shows a Prosody login as it happens, token masked.
	follow := exec.CommandContext(ctx, installer, "logs", "prosody", "--answers", tg.AnswersFile, "--follow", "--since", "1s", "--interval", "500ms")
	out, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	follow.Stderr = testenv.Log(t)
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	time.Sleep(2 * time.Second)
	signedIn := time.Now()
	if got, err := standin.SignIn(ctx, bosh, boshURL, tg.Domain, token); err != nil || got != "success" {
		t.Fatalf("sign-in while following: %s %v", got, err)
	}
	var seen []string
	found := false
	for deadline := time.After(20 * time.Second); !found; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("logs --follow ended: %v", seen)
			}
			seen = append(seen, l)
			found = strings.Contains(l, "["+tg.Address+"] prosody") && strings.Contains(l, "New BOSH session")
		case <-deadline:
			t.Fatalf("logs --follow did not show the login within 20s:\n%s", strings.Join(seen, "\n"))
		}
	}
	t.Logf("logs --follow showed the login %v after it", time.Since(signedIn).Round(time.Millisecond))
	follow.Process.Kill()
	follow.Wait()
	all := jitsi(t, false, "logs", "--answers", tg.AnswersFile, "--since", "5m")
	if all.code != 0 || strings.Contains(all.out, token) || regexp.MustCompile(`eyJ[A-Za-z0-9_-]{10,}\.`).MatchString(all.out) {
		t.Errorf("logs: exit %d, or a token in it", all.code)
	}
	noSecretsIn(t, tg, all.out, text.out)

	// A stopped bridge makes status exit 1.
	mustSSH(t, tg, "systemctl stop jitsi-videobridge2")
	code, st = statusOf(t, tg.AnswersFile)
	if code != 1 || !strings.Contains(fmt.Sprint(firstHost(st)["problems"]), "jitsi-videobridge2 is inactive") {
		t.Errorf("status with the bridge stopped: exit %d, problems %v", code, firstHost(st)["problems"])
	}
	mustSSH(t, tg, "systemctl start jitsi-videobridge2")

	// Rollback of the last run restores the previous files byte for byte.
	const configJS = "/etc/jitsi/meet/" + "%s-config.js"
	cfgPath := fmt.Sprintf(configJS, tg.Domain)
	before := sha(t, tg, cfgPath)
	changed := withAnswers(t, tg, "answers-lastn.yaml", "channel_last_n: 7")
	mustInstall(t, changed, "install with channel_last_n 7")
	if sha(t, tg, cfgPath) == before {
		t.Fatal("the install did not change config.js")
	}
	rr := jitsi(t, false, "runs", "--answers", tg.AnswersFile, "--output", "json")
	var runs struct {
		Hosts []struct {
			Runs []struct {
				ID, Command, User string
				Changes           []struct{ Resource string }
			}
		}
	}
	if err := json.Unmarshal([]byte(rr.out), &runs); err != nil || len(runs.Hosts) != 1 || len(runs.Hosts[0].Runs) < 2 {
		t.Fatalf("runs: %v\n%s", err, rr.out)
	}
	last := runs.Hosts[0].Runs[0]
	if last.Command != "install" || !strings.Contains(fmt.Sprint(last.Changes), cfgPath) {
		t.Errorf("last run %+v", last)
	}
	if r := jitsi(t, false, "rollback", last.ID, "--answers", tg.AnswersFile, "--yes"); r.code != 0 {
		t.Fatalf("rollback %s: exit %d\n%s", last.ID, r.code, r.out)
	}
	if got := sha(t, tg, cfgPath); got != before {
		t.Errorf("config.js after rollback: sha256 %s, want %s (before the run)", got, before)
	}
	if r := jitsi(t, false, "rollback", "20000101T000000Z-000000", "--answers", tg.AnswersFile, "--yes"); r.code != 1 {
		t.Errorf("rollback of an unknown run: exit %d, want 1\n%s", r.code, r.out)
	}
}

// TestPinnedUpgrade pins release N, installs, checks that apt-get upgrade
// leaves it, pins N+1, and checks the plan, the upgrade and verify.
func TestPinnedUpgrade(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	tg := up(t, "d-pin", "bookworm", "root")
	releases := repoReleases(t, tg)
	if len(releases) < 2 {
		t.Skipf("the stand-in repository's stable/ has %d release(s) of jitsi-meet: %v; the test needs two", len(releases), releases)
	}
	older, newer := releases[len(releases)-2], releases[len(releases)-1]
	upstream := func(v string) string { return v[:strings.LastIndexByte(v, '-')] }

	pinOld := withAnswers(t, tg, "answers-old.yaml", "version: "+upstream(older))
	mustInstall(t, pinOld, "install "+older)
	if got := strings.TrimSpace(mustSSH(t, tg, "dpkg-query -W -f '${Version}' jitsi-meet")); got != older {
		t.Fatalf("installed jitsi-meet %s, want %s", got, older)
	}
	noSecretsInDebconf(t, tg, "after the install of "+older)
	versions := func() string {
		return mustSSH(t, tg, "dpkg-query -W -f '${Package} ${Version}\\n' jitsi-meet jicofo jitsi-videobridge2 jitsi-meet-web jitsi-meet-prosody jitsi-meet-tokens jitsi-meet-turnserver | sort")
	}
	held := versions()
	mustSSH(t, tg, "DEBIAN_FRONTEND=noninteractive apt-get -q update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get -y -q -o Dpkg::Options::=--force-confold upgrade >/dev/null")
	if got := versions(); got != held {
		t.Fatalf("apt-get upgrade moved pinned packages:\n%s\nwas\n%s", got, held)
	}

	// An unknown release: exit 3 with the releases the repository has.
	if r := jitsi(t, false, "plan", "--answers", withAnswers(t, tg, "answers-bad.yaml", "version: 1.0.1")); r.code != 3 || !strings.Contains(r.out, newer) {
		t.Errorf("plan of an unknown release: exit %d, want 3 naming %s\n%s", r.code, newer, r.out)
	}

	pinNew := withAnswers(t, tg, "answers-new.yaml", "version: "+newer)
	p := jitsi(t, false, "plan", "--answers", pinNew, "--detailed-exitcode")
	if p.code != 2 || !strings.Contains(p.out, "jitsi-meet "+older+" -> "+newer) {
		t.Fatalf("plan of %s: exit %d, want 2 and jitsi-meet %s -> %s\n%s", newer, p.code, older, newer, p.out)
	}
	mustInstall(t, pinNew, "install "+newer)
	if got := strings.TrimSpace(mustSSH(t, tg, "dpkg-query -W -f '${Version}' jitsi-meet")); got != newer {
		t.Errorf("after the upgrade jitsi-meet is %s, want %s", got, newer)
	}
	noSecretsInDebconf(t, tg, "after the upgrade to "+newer)
	if v := jitsi(t, false, "verify", "--answers", pinNew); v.code != 0 {
		t.Errorf("verify after the upgrade: exit %d\n%s", v.code, v.out)
	}
	if r := jitsi(t, true, "plan", "--answers", pinNew); r.code != 0 || len(r.pending()) != 0 {
		var diffs []string
		for _, e := range r.events {
			if e["type"] == "resource.pending" {
				diffs = append(diffs, fmt.Sprint(e["resource"], ": ", e["message"], "\n", e["diff"]))
			}
		}
		t.Errorf("plan after the upgrade is not empty: exit %d\n%s", r.code, strings.Join(diffs, "\n"))
	}
}

// repoReleases lists the jitsi-meet versions in the stand-in repository's
// suite, oldest first, read from its Packages index as apt reads it.
func repoReleases(t *testing.T, tg *sandbox.Target) []string {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(tg.RepoURL, "/") + "/" + strings.Trim(tg.RepoSuite, "/") + "/Packages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Packages: %s %v", resp.Status, err)
	}
	var out []string
	for _, para := range strings.Split(string(b), "\n\n") {
		if strings.Contains(para, "Package: jitsi-meet\n") {
			if m := regexp.MustCompile(`(?m)^Version: (\S+)`).FindStringSubmatch(para); m != nil {
				out = append(out, m[1])
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return debLess(out[i], out[j]) })
	return out
}

// debLess orders the stand-in's simple versions (digits, dots, dashes).
func debLess(a, b string) bool {
	num := regexp.MustCompile(`\d+|\D+`)
	pa, pb := num.FindAllString(a, -1), num.FindAllString(b, -1)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		if len(pa[i]) != len(pb[i]) && pa[i][0] >= '0' && pa[i][0] <= '9' && pb[i][0] >= '0' && pb[i][0] <= '9' {
			return len(pa[i]) < len(pb[i])
		}
		return pa[i] < pb[i]
	}
	return len(pa) < len(pb)
}

// joinMeeting signs in over BOSH with the token, binds, asks the focus
// for room and joins it as nick.
func joinMeeting(ctx context.Context, c *http.Client, boshURL, host, token, room, nick string) error {
	b, got, err := standin.OpenBOSH(ctx, c, boshURL, host, token, 2)
	if err != nil || got != "success" {
		return fmt.Errorf("sign in: %s %v", got, err)
	}
	if _, err := b.Bind(ctx); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if r, err := b.Conference(ctx, room); err != nil || strings.Contains(r, "type='error'") {
		return fmt.Errorf("conference %s: %v %s", room, err, r)
	}
	if r, err := b.Join(ctx, room, nick); err != nil || strings.Contains(r, "type='error'") {
		return fmt.Errorf("join %s: %v %s", room, err, r)
	}
	return nil
}
