package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// cli runs the command in-process, as main would, and returns exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAnswersInitValidates(t *testing.T) {
	code, tmpl, _ := cli(t, "answers", "init")
	if code != 0 || !strings.Contains(tmpl, "domain:") {
		t.Fatalf("answers init: exit %d\n%s", code, tmpl)
	}
	code, out, errOut := cli(t, "answers", "validate", write(t, "a.yaml", tmpl))
	if code != 0 {
		t.Fatalf("validate the template: exit %d\n%s%s", code, out, errOut)
	}
	// Valid, but each example value left in it is named, with its line.
	for _, want := range []string{"warning: ", ": domain: still the example value meet.example.com", "hosts[0].address: still the example value 203.0.113.10", "letsencrypt.email:", "janssen.issuer:"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("validating the unedited template does not warn %q:\n%s", want, errOut)
		}
	}
	code, schema, _ := cli(t, "answers", "schema")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(schema), &v) != nil {
		t.Fatalf("answers schema: exit %d, not JSON", code)
	}
}

func TestBadAnswersExit3WithoutContactingTheHost(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	file := write(t, "bad.yaml", fmt.Sprintf(`version: 1
domain: "meet.example.com;reboot"
hosts:
  - address: %s
    port: 70000
    usr: root
letsencrypt:
  email: not-an-email
janssen:
  issuer: https://login.example.com
`, srv.Host()))
	for _, args := range [][]string{{"answers", "validate", file}, {"plan", "--answers", file}, {"install", "--answers", file, "--yes"}} {
		code, out, errOut := cli(t, args...)
		if code != 3 {
			t.Fatalf("%v: exit %d, want 3\n%s%s", args, code, out, errOut)
		}
		for _, want := range []string{`:6:5: unknown key "usr"`, `did you mean "user"`, ":5:11: hosts[0].port: must be between 1 and 65535", ":2:9: domain:", `";"`, ":8:10: letsencrypt.email:"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: error output lacks %q:\n%s", args, want, errOut)
			}
		}
	}
	// With -o json the problems are JSON events, field and line each.
	for _, args := range [][]string{{"answers", "validate", file, "-o", "json"}, {"plan", "--answers", file, "-o", "json"}} {
		code, out, errOut := cli(t, args...)
		if code != 3 || errOut != "" {
			t.Fatalf("%v: exit %d, want 3 and nothing on stderr\n%s", args, code, errOut)
		}
		fields := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var ev struct {
				Type, Field, Message string
				Line                 int
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type != "answers.invalid" || ev.Message == "" || ev.Line == 0 {
				t.Fatalf("%v: not an answers.invalid event with line and message: %q", args, line)
			}
			fields[ev.Field] = ev.Line
		}
		if fields["hosts[0].port"] != 5 || fields["letsencrypt.email"] != 8 {
			t.Errorf("%v: fields and lines %v", args, fields)
		}
	}
	if srv.Conns() != 0 {
		t.Errorf("the host was contacted %d times", srv.Conns())
	}
}

func TestPlanUnreachableHostExit4(t *testing.T) {
	port := loopback.Port(t) // nothing listens there now
	t.Setenv("TEST_APP_SECRET", "app-secret-never-shown-42")
	keyFile, _ := sshtest.NewKeyFile(t, "")
	file := write(t, "a.yaml", answersFor("127.0.0.1", port, keyFile, ""))
	start := time.Now()
	code, out, errOut := cli(t, "plan", "--answers", file, "--connect-timeout", "3s")
	if code != 4 {
		t.Fatalf("exit %d, want 4\n%s%s", code, out, errOut)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("took %s, longer than the connect timeout allows", time.Since(start))
	}
	if !strings.Contains(out, "[127.0.0.1]") || !strings.Contains(out, "connection refused") {
		t.Errorf("output does not say the connection was refused:\n%s", out)
	}
	if !strings.Contains(out, "nothing listens on that port") {
		t.Errorf("the hint does not fit a refused connection:\n%s", out)
	}
}

func TestPlanOverSSHRedactsAndCountsRoundTrips(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "the test SSH server runs the plan's read-only probes on this machine as the current user; they need root")
	}
	srv := sshtest.Start(t, sshtest.Options{})
	keyFile, signer := sshtest.NewKeyFile(t, "")
	srv.AuthorizedKey(signer.PublicKey())
	const appSecret = "app-secret-never-shown-42"
	t.Setenv("TEST_APP_SECRET", appSecret)
	file := write(t, "a.yaml", answersFor(srv.Host(), srv.Port(), keyFile, srv.PinnedHostKey()))

	code, out, errOut := cli(t, "plan", "--answers", file, "--detailed-exitcode")
	if code != 2 && code != 0 {
		t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
	}
	host := "[" + srv.Host() + "]"
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, host) && !strings.HasPrefix(line, "run ") && !strings.HasPrefix(line, "Summary:") {
			t.Errorf("line without its host: %q", line)
		}
	}
	if m := regexp.MustCompile(`(\d+) round trip`).FindStringSubmatch(out); m == nil || m[1] > "3" || len(m[1]) > 1 {
		t.Errorf("plan must take at most 3 round trips:\n%s", out)
	}
	if srv.Conns() != 1 {
		t.Errorf("%d SSH connections, want one reused for everything", srv.Conns())
	}

	code, out, _ = cli(t, "plan", "--answers", file, "--output", "json")
	if code != 0 {
		t.Fatalf("plan --output json: exit %d", code)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
	}
	if !strings.Contains(out, `"round_trips"`) {
		t.Error("JSON events carry no round trip count")
	}
	if strings.Contains(out+errOut, appSecret) {
		t.Error("a secret from the answers file appears in the output")
	}
}

// What a ${cmd:...} prints is masked in the plan, its JSON and the log
// file, in a secret field and in any other; a failing command's output is
// in no message.
func TestCommandSecretsMasked(t *testing.T) {
	const appSecret, appID = "q8Rz-apq-Tw3v-42", "kL2m-app-Pz9x-77"
	dir := t.TempDir()
	failing := filepath.Join(dir, "vault")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho leaked-"+appSecret+"\necho 'permission denied' >&2\nexit 2\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	keyFile, signer := sshtest.NewKeyFile(t, "")
	bad := write(t, "bad.yaml", strings.Replace(answersFor("127.0.0.1", 22, keyFile, ""), "${env:TEST_APP_SECRET}", "${cmd:"+failing+" kv get -field=app secret/jitsi}", 1))
	for _, args := range [][]string{{"answers", "validate", bad}, {"plan", "--answers", bad}, {"plan", "--answers", bad, "-o", "json"}} {
		code, out, errOut := cli(t, args...)
		if code != 3 || strings.Contains(out+errOut, appSecret) || !strings.Contains(out+errOut, "exit status 2: permission denied") {
			t.Errorf("%v: exit %d, want 3, the reason and no output of the command\n%s%s", args, code, out, errOut)
		}
	}
	if os.Geteuid() != 0 {
		testenv.Skip(t, "the test SSH server runs the plan's read-only probes on this machine as the current user; they need root")
	}
	srv := sshtest.Start(t, sshtest.Options{})
	srv.AuthorizedKey(signer.PublicKey())
	a := answersFor(srv.Host(), srv.Port(), keyFile, srv.PinnedHostKey())
	a = strings.Replace(a, "${env:TEST_APP_SECRET}", "${cmd:printf '%s\\n' "+appSecret+"}", 1)
	a = strings.Replace(a, "client_id: jitsi-meet", "client_id: jitsi-meet\n  app_id: ${cmd:echo "+appID+"}", 1)
	file := write(t, "a.yaml", a)
	log := filepath.Join(dir, "run.log")
	for _, args := range [][]string{{"plan", "--answers", file, "--diff", "--log-file", log}, {"plan", "--answers", file, "--diff", "-o", "json"}} {
		code, out, errOut := cli(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
		if strings.Contains(out+errOut, appSecret) || strings.Contains(out+errOut, appID) {
			t.Errorf("%v: a command's output shows:\n%s%s", args, out, errOut)
		}
		if !strings.Contains(out, "appid: preseed: string "+installer.Redacted) && !strings.Contains(out, `"name":"jitsi-meet-tokens/appid","to":"\u003credacted\u003e"`) {
			t.Errorf("%v: the app id's debconf answer is not in the plan, masked\n%s", args, out)
		}
	}
	if b, err := os.ReadFile(log); err != nil || strings.Contains(string(b), appSecret) || strings.Contains(string(b), appID) {
		t.Errorf("the log file shows a command's output (%v):\n%s", err, b)
	}
}

func TestUsageErrorsExit3(t *testing.T) {
	for _, args := range [][]string{
		{"install"},
		{"plan", "--answers", "x.yaml", "--output", "xml"},
		{"plan", "--no-such-flag"},
		{"answers", "validate"},
		{"answers", "validate", "/nonexistent/answers.yaml"},
	} {
		code, out, errOut := cli(t, args...)
		if code != 3 {
			t.Errorf("%v: exit %d, want 3\n%s%s", args, code, out, errOut)
		}
		if strings.TrimSpace(errOut) == "" {
			t.Errorf("%v: no message", args)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := cli(t, "version")
	if code != 0 || !strings.HasPrefix(out, "jitsi-installer dev (commit none") {
		t.Errorf("version: %d %q", code, out)
	}
}

// answersFor is a valid answers file whose every URL points at a closed
// loopback port, so a plan's probes reach nothing outside this machine.
func answersFor(addr string, port int, keyFile, hostKey string) string {
	return fmt.Sprintf(`version: 1
domain: meet.example.com
hosts:
  - address: %s
    port: %d
    user: root
    key_file: %q
    host_key: %q
letsencrypt:
  email: ops@example.com
  server: https://127.0.0.1:9/dir
janssen:
  issuer: https://127.0.0.1:9
  client_id: jitsi-meet
jitsi:
  repo:
    url: http://127.0.0.1:9/
    key_url: http://127.0.0.1:9/jitsi-key.gpg.key
  app_secret: ${env:TEST_APP_SECRET}
`, addr, port, keyFile, hostKey)
}

// The log file is its owner's only: created 0600, and an existing one
// with a looser mode is tightened.
func TestLogFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "old.log")
	if err := os.WriteFile(existing, []byte("earlier run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "new.log"), existing} {
		g := &globals{logFile: p}
		_, closeLog, err := g.logSink()
		if err != nil {
			t.Fatal(err)
		}
		closeLog()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", filepath.Base(p), st.Mode().Perm())
		}
	}
}
