package installer

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// The last run's answers are read over SSH after the operator trusts the
// host's key; a host without them is no error.
func TestReadHostFile(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	keyFile, signer := sshtest.NewKeyFile(t, "")
	srv.AuthorizedKey(signer.PublicKey())
	asked, knownHosts := 0, filepath.Join(t.TempDir(), "known_hosts")
	target := Target{Name: srv.Host(), Dial: func(ctx context.Context) (transport.Transport, error) {
		return transport.DialSSH(ctx, transport.SSHOptions{Address: srv.Host(), Port: srv.Port(), User: "root", KeyFile: keyFile,
			KnownHostsFile: knownHosts,
			ConfirmHostKey: func(string, string, string) (bool, error) { asked++; return true, nil }})
	}}
	path := filepath.Join(t.TempDir(), "answers.yaml")
	ctx := context.Background()

	data, _, err := ReadHostFile(ctx, target, path)
	if data != nil || err != nil {
		t.Errorf("no answers recorded: got %q, %v; want nothing and no error", data, err)
	}
	if asked != 1 {
		t.Errorf("the unknown host key was confirmed %d times, want 1", asked)
	}

	const recorded = "version: 1\ndomain: meet.example.org\n"
	if err := os.WriteFile(path, []byte(recorded), 0o600); err != nil {
		t.Fatal(err)
	}
	stamp := time.Date(2026, 11, 24, 9, 30, 0, 0, time.UTC)
	if err := os.Chtimes(path, stamp, stamp); err != nil {
		t.Fatal(err)
	}
	data, when, err := ReadHostFile(ctx, target, path)
	if err != nil || string(data) != recorded || !when.Equal(stamp) {
		t.Errorf("got %q at %s, %v; want %q at %s", data, when, err, recorded, stamp)
	}
	if asked != 1 {
		t.Errorf("the trusted host key was asked about again (%d times)", asked)
	}
}
