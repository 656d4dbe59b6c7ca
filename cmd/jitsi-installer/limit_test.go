package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// The aliases of an operator's ~/.ssh/config, for the matching tests.
const sshConfig = `
Host jitsi-core
  HostName 10.0.0.5
  User admin

Host bridge-*
  HostName %h.internal.example.com

Host *
  ServerAliveInterval 30
`

func TestLimitMatches(t *testing.T) {
	file := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(file, []byte(sshConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	sc, err := transport.LoadSSHConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	l := limiter{hostName: sc.HostName}
	core := answers.Host{Address: "10.0.0.5", Port: 22}
	aliased := answers.Host{Address: "jitsi-core", Port: 22}
	bridge := answers.Host{Address: "bridge-eu", Port: 2222}
	for _, tc := range []struct {
		name string
		host answers.Host
		want bool
	}{
		{"10.0.0.5", core, true},
		{"10.0.0.5:22", core, true},
		{"10.0.0.5:2222", core, false},
		{"10.0.0.6", core, false},
		{"jitsi-core", core, true},                       // the operator's alias of the address
		{"JITSI-CORE", aliased, true},                    // the alias as the answers give it
		{"10.0.0.5", aliased, true},                      // the HostName of the alias the answers give
		{"bridge-eu", bridge, true},                      // as written
		{"bridge-eu:2222", bridge, true},                 //
		{"bridge-eu.internal.example.com", bridge, true}, // %h expanded
		{"bridge-us", bridge, false},
		{"jitsi-core", bridge, false},
		{"", core, false},
	} {
		if got := l.matches(tc.name, tc.host); got != tc.want {
			t.Errorf("%q matches %s:%d: %v, want %v", tc.name, tc.host.Address, tc.host.Port, got, tc.want)
		}
	}
	// Without an ssh_config, only the address.
	if (limiter{}).matches("jitsi-core", core) {
		t.Error("an alias matched with no ssh_config")
	}
}

// A bridge limited without its core gets the core as a read-only target
// first; a core limited alone, or the core with a bridge, reads nothing
// more; logs read no core.
func TestLimitApply(t *testing.T) {
	ts := []installer.Target{
		{Name: "core", Role: answers.RoleCore, Data: answers.Host{Address: "core"}},
		{Name: "b1", Role: answers.RoleVideobridge, Data: answers.Host{Address: "b1"}},
		{Name: "b2", Role: answers.RoleVideobridge, Data: answers.Host{Address: "b2"}},
	}
	names := func(ts []installer.Target) string {
		var out []string
		for _, t := range ts {
			n := t.Name
			if t.ReadOnly {
				n += "(read)"
			}
			out = append(out, n)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct {
		limit []string
		read  bool
		want  string
	}{
		{nil, true, "core b1 b2"},
		{[]string{"b2"}, true, "core(read) b2"},
		{[]string{"b2", "b1"}, true, "core(read) b1 b2"},
		{[]string{"b2"}, false, "b2"},
		{[]string{"core"}, true, "core"},
		{[]string{"b1", "core"}, true, "core b1"},
	} {
		if got := names(limiter{names: tc.limit}.apply(ts, tc.read)); got != tc.want {
			t.Errorf("--limit %v (read %v): %s, want %s", tc.limit, tc.read, got, tc.want)
		}
	}
}

// clusterAnswers is answersFor with a second host, a videobridge.
func clusterAnswers(core, bridge *sshtest.Server, keyFile string) string {
	a := answersFor(core.Host(), core.Port(), keyFile, core.PinnedHostKey())
	return strings.Replace(a, "letsencrypt:", fmt.Sprintf(`  - address: %s
    port: %d
    user: root
    role: videobridge
    key_file: %q
    host_key: %q
letsencrypt:`, bridge.Host(), bridge.Port(), keyFile, bridge.PinnedHostKey()), 1)
}

// --limit takes a list, comma-separated or repeated; a name that is no
// host, or none, is exit 3 naming the flag, and no host is contacted.
func TestLimitFlag(t *testing.T) {
	core, bridge := sshtest.Start(t, sshtest.Options{}), sshtest.Start(t, sshtest.Options{})
	keyFile, signer := sshtest.NewKeyFile(t, "")
	core.AuthorizedKey(signer.PublicKey())
	bridge.AuthorizedKey(signer.PublicKey())
	t.Setenv("TEST_APP_SECRET", "app-secret-never-shown-42")
	file := write(t, "a.yaml", clusterAnswers(core, bridge, keyFile))
	b := fmt.Sprintf("%s:%d", bridge.Host(), bridge.Port())
	for _, args := range [][]string{
		{"plan", "--limit", "nosuch"},
		{"plan", "--limit", b + ",nosuch"},
		{"install", "--yes", "--limit", "nosuch", "--limit", b},
		{"repair", "--yes", "--limit", "nosuch"},
		{"verify", "--limit", "nosuch"},
		{"status", "--limit", "nosuch"},
		{"logs", "--limit", "nosuch"},
		{"runs", "--limit", "nosuch"},
		{"plan", "--limit", ""},
		{"plan", "--limit", b + ",,"},
	} {
		code, out, errOut := cli(t, append(args, "--answers", file)...)
		if code != 3 || !strings.Contains(errOut, "--limit: ") || !strings.Contains(errOut, "nothing was contacted") {
			t.Errorf("%v: exit %d, want 3 and a message naming --limit\n%s%s", args, code, out, errOut)
		}
		if strings.Contains(args[2], "nosuch") && !strings.Contains(errOut, `"nosuch"`) {
			t.Errorf("%v: the message does not name the unknown host:\n%s", args, errOut)
		}
	}
	if code, _, errOut := cli(t, "plan", "--limit", b, "--host", "local", "--answers", file); code != 3 || !strings.Contains(errOut, "--limit") {
		t.Errorf("--limit with --host local: exit %d\n%s", code, errOut)
	}
	if core.Conns()+bridge.Conns() != 0 {
		t.Errorf("usage errors contacted the hosts: %d connections", core.Conns()+bridge.Conns())
	}
	if os.Geteuid() != 0 {
		testenv.Skip(t, "the test SSH server runs the plan's read-only probes on this machine as the current user; they need root")
	}
	// The core alone: the bridge is not even dialled.
	code, out, errOut := cli(t, "plan", "--limit", fmt.Sprintf("%s:%d", core.Host(), core.Port()), "--answers", file)
	if code != 0 && code != 2 {
		t.Fatalf("plan --limit core: exit %d\n%s%s", code, out, errOut)
	}
	if bridge.Conns() != 0 || core.Conns() != 1 {
		t.Errorf("plan --limit core: %d connection(s) to the bridge, %d to the core; want 0 and 1", bridge.Conns(), core.Conns())
	}
	// The bridge alone: the core is read, with no lock: this machine, the
	// test's "core", has no jvb password, so the bridge is not planned.
	before := len(core.Commands())
	code, out, _ = cli(t, "plan", "--limit", b, "--answers", file)
	if code != 1 || !strings.Contains(out, "the core has no jvb password yet") || !strings.Contains(out, "read only") {
		t.Errorf("plan --limit bridge with an uninstalled core: exit %d\n%s", code, out)
	}
	for _, c := range core.Commands()[before:] {
		if strings.Contains(c, "lock") || strings.Contains(c, "journal") {
			t.Errorf("reading the core ran %q", c)
		}
	}
	if core.Conns() != 2 {
		t.Errorf("the core was read over %d connection(s), want 1", core.Conns()-1)
	}
	// runs reads journals only: the core is not read for a bridge.
	seen := bridge.Conns()
	code, out, errOut = cli(t, "runs", "--limit", b, "--answers", file)
	if code != 0 || strings.Count(out, "no runs") != 1 || bridge.Conns() != seen+1 || core.Conns() != 2 {
		t.Errorf("runs --limit bridge: exit %d, %d connection(s) to the bridge and %d to the core, want 0, 1 and none\n%s%s",
			code, bridge.Conns()-seen, core.Conns()-2, out, errOut)
	}
}

// logs -n takes a count of lines; --tail is a flag of its own (follow).
func TestLogsLinesFlag(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	keyFile, _ := sshtest.NewKeyFile(t, "")
	t.Setenv("TEST_APP_SECRET", "app-secret-never-shown-42")
	file := write(t, "a.yaml", answersFor(srv.Host(), srv.Port(), keyFile, srv.PinnedHostKey()))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-n", "-1"}, "-n: must be 0"},
		{[]string{"-n", "many"}, `"many" for "-n, --lines"`},
		{[]string{"--tail=maybe"}, `"maybe" for "--tail"`},
	} {
		code, out, errOut := cli(t, append([]string{"logs", "--answers", file}, tc.args...)...)
		if code != 3 || !strings.Contains(errOut, tc.want) {
			t.Errorf("logs %v: exit %d, want 3 and %q\n%s%s", tc.args, code, tc.want, out, errOut)
		}
	}
	if srv.Conns() != 0 {
		t.Errorf("bad flags contacted the host %d time(s)", srv.Conns())
	}
}
