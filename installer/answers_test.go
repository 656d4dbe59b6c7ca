package installer

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// fakeDebconf puts debconf-set-selections and debconf-communicate on PATH
// that log what they are given to dir, and a debconf cache in dir/cache.
func fakeDebconf(t *testing.T) (dir string, env []string) {
	dir = t.TempDir()
	env = testenv.FakeCommands(t, map[string]string{
		"debconf-set-selections": "#!/bin/sh\ncat >> \"$LOG/selections\"\n",
		"debconf-communicate":    "#!/bin/sh\ncat >> \"$LOG/communicate\"\n",
	})
	return dir, append(env, "LOG="+dir)
}

// The answers are preseeded before the command, from stdin, and cleared
// after it whether it succeeds or fails; its exit status is kept, and the
// command reads no answer from stdin.
func TestWithAnswers(t *testing.T) {
	answers := []Answer{
		{Package: "jicofo", Question: "jicofo/jicofo-authpassword", Type: "password", Value: "s3cret with space"},
		{Package: "jitsi-meet-prosody", Question: "jitsi-meet-prosody/turn-secret", Type: "string", Value: "turn-1"},
	}
	for _, tc := range []struct {
		cmd  string
		code int
	}{{"cat; exit 0", 0}, {"cat; exit 100", 100}} {
		dir, env := fakeDebconf(t)
		args, stdin := WithAnswers(answers, []string{"sh", "-c", tc.cmd})
		for _, a := range args {
			if strings.Contains(a, "s3cret") || strings.Contains(a, "turn-1") {
				t.Fatalf("a secret is on the command line: %q", args)
			}
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env, cmd.Stdin = env, bytes.NewReader(stdin)
		out, code := testenv.Output(t, cmd)
		if code != tc.code || len(out) != 0 {
			t.Errorf("%s: exit %d, output %q; want exit %d and no answer on the command's stdin", tc.cmd, code, out, tc.code)
		}
		sel, _ := os.ReadFile(filepath.Join(dir, "selections"))
		if want := "jicofo jicofo/jicofo-authpassword password s3cret with space\njitsi-meet-prosody jitsi-meet-prosody/turn-secret string turn-1\n"; string(sel) != want {
			t.Errorf("%s: preseeded %q, want %q", tc.cmd, sel, want)
		}
		comm, _ := os.ReadFile(filepath.Join(dir, "communicate"))
		if want := "SET jicofo/jicofo-authpassword \nSET jitsi-meet-prosody/turn-secret \n"; string(comm) != want {
			t.Errorf("%s: cleared with %q, want %q", tc.cmd, comm, want)
		}
	}
	if args, stdin := WithAnswers(nil, []string{"apt-get", "install"}); strings.Join(args, " ") != "apt-get install" || stdin != nil {
		t.Errorf("without answers: %q %q", args, stdin)
	}
	// A failure names the command, not the script around it.
	if args, _ := WithAnswers(answers, []string{"apt-get", "install", "jicofo"}); Display(args) != "apt-get install jicofo" {
		t.Errorf("a failure says %q exited", Display(args))
	}
}
