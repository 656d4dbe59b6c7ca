package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

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
