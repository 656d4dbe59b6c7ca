package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// sshHost is a test SSH server with an authorized key of its own.
type sshHost struct {
	srv     *sshtest.Server
	keyFile string
}

func newSSHHost(t *testing.T, o sshtest.Options) sshHost {
	t.Helper()
	srv := sshtest.Start(t, o)
	keyFile, signer := sshtest.NewKeyFile(t, "")
	srv.AuthorizedKey(signer.PublicKey())
	return sshHost{srv, keyFile}
}

// roundTrips is the count a text plan ends with.
func roundTrips(t *testing.T, out string) int {
	t.Helper()
	m := regexp.MustCompile(`(\d+) round trips?`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no round trip count in:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// A host behind a bastion (hosts[].bastion, or ProxyJump of an alias in
// --ssh-config) plans as it does reached directly, for one more round
// trip at most: the bastion only forwards.
func TestPlanThroughBastion(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "the test SSH server runs the plan's read-only probes on this machine as the current user; they need root")
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	t.Setenv("TEST_APP_SECRET", "app-secret-never-shown-42")
	target := newSSHHost(t, sshtest.Options{})
	bastion := newSSHHost(t, sshtest.Options{Forward: true})
	direct := answersFor(target.srv.Host(), target.srv.Port(), target.keyFile, target.srv.PinnedHostKey())

	code, out, errOut := cli(t, "plan", "--answers", write(t, "direct.yaml", direct), "--ssh-config", "none")
	if code != 0 && code != 2 {
		t.Fatalf("direct plan: exit %d\n%s%s", code, out, errOut)
	}
	without := roundTrips(t, out)

	viaAnswers := strings.Replace(direct, "    host_key:", fmt.Sprintf("    bastion:\n      address: %s\n      port: %d\n      key_file: %q\n      host_key: %q\n    host_key:",
		bastion.srv.Host(), bastion.srv.Port(), bastion.keyFile, bastion.srv.PinnedHostKey()), 1)
	// The alias's HostName, Port, IdentityFile and ProxyJump come from the
	// file; the bastion's host key from known_hosts.
	alias := strings.Replace(direct, fmt.Sprintf("  - address: %s\n    port: %d\n    user: root\n    key_file: %q\n", target.srv.Host(), target.srv.Port(), target.keyFile),
		"  - address: meet-behind\n", 1)
	sshConfig := write(t, "ssh_config", fmt.Sprintf(`Host jump
    HostName %s
    Port %d
    IdentityFile %s

Host meet-behind
    HostName %s
    Port %d
    IdentityFile %s
    ProxyJump jump
`, bastion.srv.Host(), bastion.srv.Port(), bastion.keyFile, target.srv.Host(), target.srv.Port(), target.keyFile))
	known := write(t, "known_hosts", bastion.srv.KnownHostsLine(bastion.srv.HostKey())+"\n")
	// The bastion's key in a known_hosts file of its own, none for the
	// hosts: a check of its own.
	ownKnown := strings.Replace(viaAnswers, fmt.Sprintf("      host_key: %q\n", bastion.srv.PinnedHostKey()), fmt.Sprintf("      known_hosts: %q\n", known), 1)
	if ownKnown == viaAnswers {
		t.Fatal("no known_hosts for the bastion in the answers")
	}

	for _, tc := range []struct {
		name    string
		answers string
		flags   []string
	}{
		{"hosts[].bastion", viaAnswers, []string{"--ssh-config", "none"}},
		{"hosts[].bastion.known_hosts", ownKnown, []string{"--ssh-config", "none", "--known-hosts", filepath.Join(t.TempDir(), "empty")}},
		{"ssh_config alias with ProxyJump", alias, []string{"--ssh-config", sshConfig, "--known-hosts", known}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conns, forwards := target.srv.Conns(), bastion.srv.Forwards()
			args := append([]string{"plan", "--answers", write(t, "a.yaml", tc.answers)}, tc.flags...)
			code, out, errOut := cli(t, args...)
			if code != 0 && code != 2 {
				t.Fatalf("plan: exit %d\n%s%s", code, out, errOut)
			}
			if n := roundTrips(t, out); n > without+1 {
				t.Errorf("%d round trips through the bastion, %d without: more than one more", n, without)
			}
			if target.srv.Conns()-conns != 1 || bastion.srv.Forwards()-forwards != 1 || bastion.srv.Execs() != 0 {
				t.Errorf("target connections %d, bastion forwards %d and commands %d; want 1, 1, 0",
					target.srv.Conns()-conns, bastion.srv.Forwards()-forwards, bastion.srv.Execs())
			}
		})
	}
}

// A bastion that cannot be reached is exit 4, with a hint about the
// bastion, and the host behind it is not contacted.
func TestPlanBastionUnreachableExit4(t *testing.T) {
	t.Setenv("TEST_APP_SECRET", "app-secret-never-shown-42")
	target := newSSHHost(t, sshtest.Options{})
	port := loopback.Port(t) // nothing listens there now
	answers := strings.Replace(answersFor(target.srv.Host(), target.srv.Port(), target.keyFile, target.srv.PinnedHostKey()),
		"    host_key:", fmt.Sprintf("    bastion: {address: 127.0.0.1, port: %d, key_file: %q}\n    host_key:", port, target.keyFile), 1)
	code, out, errOut := cli(t, "plan", "--answers", write(t, "a.yaml", answers), "--ssh-config", filepath.Join(t.TempDir(), "none"))
	if code != 4 {
		t.Fatalf("exit %d, want 4\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "jump host 1") || !strings.Contains(out, "connection refused") || !strings.Contains(out, "hosts[].bastion.port") {
		t.Errorf("output does not say the bastion refused the connection, with a hint about it:\n%s", out)
	}
	if target.srv.Conns() != 0 {
		t.Errorf("the host behind the bastion was contacted")
	}
}
