package transport

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// writeSSHConfig writes files into a temp dir, "config" being the one to
// load; "@DIR@" in their text is that dir.
func writeSSHConfig(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "@DIR@", dir)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "config")
}

// hop is what a test expects of one resolved host.
type hop struct {
	Address string
	Port    int
	User    string
	KeyFile string
}

func hopsOf(o SSHOptions) []hop {
	var out []hop
	for _, j := range o.Jump {
		out = append(out, hop{j.Address, j.Port, j.User, j.KeyFile})
	}
	return out
}

func TestSSHConfigApply(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, k := range []string{"meet_ed25519", "second", "jump"} {
		if err := os.MkdirAll(home+"/.ssh", 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(home+"/.ssh/"+k, []byte("key"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const main = `# Include at the top, defaults at the end, as people write them
Include @DIR@/conf.d/*.conf

Host meet meet-prod
    HostName 10.1.2.3
    User deploy
    Port 2222
    IdentityFile ~/.ssh/meet_ed25519
    IdentityFile ~/.ssh/second

Host skips-missing
    IdentityFile ~/.ssh/missing
    IdentityFile ~/.ssh/second

Host jump1
    HostName bastion.example.com
    User jumper
    IdentityFile %d/.ssh/jump

Host jump2
    HostName 10.0.0.9
    Port 2200
    ProxyJump jump1

Host inner
    HostName 10.9.9.9
    ProxyJump ops@jump2:2201,10.0.0.10

Host behind-chain
    ProxyJump jump2

Host loop-a
    ProxyJump loop-b
Host loop-b
    ProxyJump loop-a

Host *-tokens
    HostName %h.internal

Host plain-none
    ProxyJump none

Host badport
    Port http

Host *
    User fallback
`
	files := map[string]string{
		"config": main,
		"conf.d/10-included.conf": `Host included
    HostName 192.0.2.77
    ProxyJump jump1
`,
	}
	path := writeSSHConfig(t, files)
	c, err := LoadSSHConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		in      SSHOptions
		want    hop
		hops    []hop
		wantErr string
	}{
		{name: "alias", in: SSHOptions{Address: "meet"},
			want: hop{"10.1.2.3", 2222, "deploy", home + "/.ssh/meet_ed25519"}},
		{name: "second alias of a block", in: SSHOptions{Address: "meet-prod"},
			want: hop{"10.1.2.3", 2222, "deploy", home + "/.ssh/meet_ed25519"}},
		{name: "missing IdentityFile skipped", in: SSHOptions{Address: "skips-missing"},
			want: hop{"skips-missing", 0, "fallback", home + "/.ssh/second"}},
		{name: "given values win", in: SSHOptions{Address: "meet", Port: 22, User: "root", KeyFile: "/k"},
			want: hop{"10.1.2.3", 22, "root", "/k"}},
		{name: "unknown host: only Host *", in: SSHOptions{Address: "203.0.113.5"},
			want: hop{"203.0.113.5", 0, "fallback", ""}},
		{name: "ProxyJump of the jump host goes first", in: SSHOptions{Address: "behind-chain"},
			want: hop{"behind-chain", 0, "fallback", ""},
			hops: []hop{{"bastion.example.com", 0, "jumper", home + "/.ssh/jump"}, {"10.0.0.9", 2200, "fallback", ""}}},
		{name: "ProxyJump list with user and port", in: SSHOptions{Address: "inner"},
			want: hop{"10.9.9.9", 0, "fallback", ""},
			hops: []hop{
				{"bastion.example.com", 0, "jumper", home + "/.ssh/jump"},
				{"10.0.0.9", 2201, "ops", ""},
				{"10.0.0.10", 0, "fallback", ""},
			}},
		{name: "Include", in: SSHOptions{Address: "included"},
			want: hop{"192.0.2.77", 0, "fallback", ""},
			hops: []hop{{"bastion.example.com", 0, "jumper", home + "/.ssh/jump"}}},
		{name: "given jump hosts are looked up too", in: SSHOptions{Address: "10.5.5.5", User: "root", Jump: []SSHOptions{{Address: "jump2", User: "me"}}},
			want: hop{"10.5.5.5", 0, "root", ""},
			hops: []hop{{"bastion.example.com", 0, "jumper", home + "/.ssh/jump"}, {"10.0.0.9", 2200, "me", ""}}},
		{name: "tokens", in: SSHOptions{Address: "web-tokens"}, want: hop{"web-tokens.internal", 0, "fallback", ""}},
		{name: "ProxyJump none", in: SSHOptions{Address: "plain-none"}, want: hop{"plain-none", 0, "fallback", ""}},
		{name: "loop", in: SSHOptions{Address: "loop-a"}, wantErr: "ProxyJump loops: loop-a -> loop-b -> loop-a"},
		{name: "bad port", in: SSHOptions{Address: "badport"}, wantErr: `Host badport: Port "http" is not a port number`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Apply(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want %q naming %s", err, tc.wantErr, path)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h := (hop{got.Address, got.Port, got.User, got.KeyFile}); h != tc.want {
				t.Errorf("got %+v, want %+v", h, tc.want)
			}
			if h := hopsOf(got); !reflect.DeepEqual(h, tc.hops) {
				t.Errorf("jump hosts %+v, want %+v", h, tc.hops)
			}
		})
	}
}

func TestSSHConfigMissingAndBroken(t *testing.T) {
	c, err := LoadSSHConfig(filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatalf("a missing file: %v", err)
	}
	if o, err := c.Apply(SSHOptions{Address: "h"}); err != nil || o.Address != "h" || o.Jump != nil {
		t.Errorf("Apply = %+v, %v", o, err)
	}
	path := writeSSHConfig(t, map[string]string{"config": "Host x\n  Include @DIR@/loop\n", "loop": "Include @DIR@/loop\n"})
	if _, err := LoadSSHConfig(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("an Include loop: err = %v, want one naming %s", err, path)
	}
}

// An alias of ~/.ssh/config whose ProxyJump names another alias reaches
// the target through a real SSH hop, each with its own key.
func TestSSHConfigJumpsThroughRealHop(t *testing.T) {
	target := newTestHost(t, sshtest.Options{})
	hop := newJumpHost(t, true)
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte(hop.srv.KnownHostsLine(hop.srv.HostKey())+"\n"+target.srv.KnownHostsLine(target.srv.HostKey())+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeSSHConfig(t, map[string]string{"config": fmt.Sprintf(`Host bastion
    HostName %s
    Port %d
    User jumpuser
    IdentityFile %s

Host meet
    HostName %s
    Port %d
    IdentityFile %s
    ProxyJump bastion
`, hop.srv.Host(), hop.srv.Port(), hop.opts.KeyFile, target.srv.Host(), target.srv.Port(), target.opts.KeyFile)})
	c, err := LoadSSHConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	o, err := c.Apply(SSHOptions{Address: "meet", KnownHostsFile: known})
	if err != nil {
		t.Fatal(err)
	}
	s, err := DialSSH(t.Context(), o)
	if err != nil {
		t.Fatalf("DialSSH: %v", err)
	}
	defer s.Close()
	res := mustRun(t, s, Cmd{Args: []string{"sh", "-c", "echo $USER"}})
	if string(res.Stdout) != "root\n" {
		t.Errorf("ran as %q, want root (the default user)", res.Stdout)
	}
	if hop.srv.Forwards() != 1 || hop.srv.Execs() != 0 || target.srv.Execs() != 1 {
		t.Errorf("hop: %d forwards, %d commands; target: %d commands", hop.srv.Forwards(), hop.srv.Execs(), target.srv.Execs())
	}
}
