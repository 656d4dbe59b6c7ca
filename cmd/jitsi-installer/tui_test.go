package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// buildBinary builds the command into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "jitsi-installer")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func TestInstallWithoutTerminalExplainsUnattended(t *testing.T) {
	for _, args := range [][]string{{"install"}, {"install", "--interactive", "--answers", "x.yaml"}} {
		code, out, errOut := cli(t, args...)
		if code != exitInput {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, exitInput, out, errOut)
		}
		for _, want := range []string{"needs a terminal", "answers init", "install --answers answers.yaml --yes", "--accessible"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("%v: the message lacks %q:\n%s", args, want, errOut)
			}
		}
	}
}

// The accessible mode asks plain questions that a pipe can answer; the
// answers it saves are a file `answers validate` accepts, with the sudo
// password as a reference to the environment.
func TestAccessibleAnsweredFromPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	keyFile, _ := sshtest.NewKeyFile(t, "")
	port := loopback.Port(t)
	const sudoPassword = "sudo-pw-never-shown-7"
	answersIn := strings.Join([]string{
		// Target server, SSH key, privileges.
		"127.0.0.1", fmt.Sprint(port), "ops",
		keyFile,
		sudoPassword,
		// Jitsi Meet: the domain, then certificate 3 (self-signed).
		"meet.example.com", "3",
		// Janssen: unreachable from here, which does not stop the form.
		fmt.Sprintf("https://127.0.0.1:%d", port), "",
		// Janssen tokens: audience and app id keep their defaults.
		"", "", "jitsi-meet",
		// Firewall, the guide's ports and the advanced settings: the
		// defaults (yes, no, no).
		"", "", "",
		// The plan cannot connect: 1 saves the answers (to the default
		// file), 3 quits.
		"1", "", "3",
	}, "\n") + "\n"

	cmd := exec.Command(bin, "install", "--accessible", "--connect-timeout", "3s",
		"--known-hosts", filepath.Join(dir, "known_hosts"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=", "HOME="+dir, "TERM=xterm")
	cmd.Stdin = strings.NewReader(answersIn)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := cmd.ProcessState.ExitCode()
	if code != exitConnect {
		t.Fatalf("exit %d (%v), want %d: the host cannot be reached\n%s\n%s", code, err, exitConnect, out.String(), errOut.String())
	}
	for _, want := range []string{"== Target server ==", "SSH port [22]", "sudo password", "Meeting domain",
		"✗ unreachable", "Ports opened to everyone", "connection refused", "What now?",
		"export JITSI_SUDO_PASSWORD_0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the prompts lack %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String()+errOut.String(), sudoPassword) {
		t.Error("the sudo password was printed")
	}

	saved := filepath.Join(dir, "answers.yaml")
	data, err := os.ReadFile(saved)
	if err != nil {
		t.Fatalf("no answers saved: %v\n%s", err, out.String())
	}
	if strings.Contains(string(data), sudoPassword) || !strings.Contains(string(data), "sudo_password: ${env:JITSI_SUDO_PASSWORD_0}") {
		t.Errorf("the saved file holds the secret or no reference to it:\n%s", data)
	}
	validate := func(env ...string) (int, string) {
		v := exec.Command(bin, "answers", "validate", saved)
		v.Env = append(withoutEnv("JITSI_SUDO_PASSWORD_0"), env...)
		b, _ := v.CombinedOutput()
		return v.ProcessState.ExitCode(), string(b)
	}
	if code, msg := validate("JITSI_SUDO_PASSWORD_0=" + sudoPassword); code != 0 {
		t.Errorf("answers validate: exit %d\n%s\n%s", code, msg, data)
	}
	if code, msg := validate(); code != exitInput || !strings.Contains(msg, "environment variable JITSI_SUDO_PASSWORD_0 is not set") {
		t.Errorf("answers validate without the password's variable: exit %d\n%s", code, msg)
	}
	for _, want := range []string{"domain: meet.example.com", "user: ops", "mode: self-signed", "client_id: jitsi-meet",
		fmt.Sprintf("port: %d", port), fmt.Sprintf("issuer: https://127.0.0.1:%d", port)} {
		if !strings.Contains(string(data), want+"\n") {
			t.Errorf("the saved file lacks %q:\n%s", want, data)
		}
	}
}

// A pipe that ends before every question is answered is an error, not a
// silent run on defaults.
func TestAccessiblePipeEndsEarly(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	cmd := exec.Command(bin, "install", "--accessible")
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK=", "HOME="+cmd.Dir)
	cmd.Stdin = strings.NewReader("203.0.113.10\n")
	out, _ := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code == 0 || !strings.Contains(string(out), "stdin ended before every question was answered") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(cmd.Dir, "answers.yaml")); err == nil {
		t.Error("answers were saved from a pipe that ended early")
	}
}

func withoutEnv(name string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}
