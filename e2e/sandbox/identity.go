package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// overlayFile is a file written before boot.
type overlayFile struct {
	path    string
	content string
	mode    os.FileMode
}

// identity gives the target what must differ between hosts, before it boots:
// machine id, hostname, SSH host key (so it is known without trusting on first
// use) and the keys, user and password we log in with.
func (t *Target) identity(ctx context.Context) error {
	hostPriv, hostPub, err := sshKey("root@" + t.Name)
	if err != nil {
		return err
	}
	clientPriv, clientPub, err := sshKey("sandbox@" + t.Name)
	if err != nil {
		return err
	}
	t.HostKey = strings.Join(strings.Fields(hostPub)[:2], " ")
	t.KeyFile = t.path("id_ed25519")
	t.KnownHosts = t.path("known_hosts")
	m := t.Merged
	files := []overlayFile{
		{filepath.Join(m, "etc/machine-id"), randomHex(16) + "\n", 0o444},
		{filepath.Join(m, "etc/hostname"), t.Name + "\n", 0o644},
		{filepath.Join(m, "etc/hosts"), fmt.Sprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%[1]s\n%[2]s\t%[3]s\n%[4]s\t%[5]s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
			t.Name, t.webAddress(), t.Domain, t.HostAddress, JanssenHost(t.Name)), 0o644},
		{filepath.Join(m, "etc/ssh/ssh_host_ed25519_key"), string(hostPriv), 0o600},
		{filepath.Join(m, "etc/ssh/ssh_host_ed25519_key.pub"), hostPub + "\n", 0o644},
		{filepath.Join(m, "root/.ssh/authorized_keys"), clientPub + "\n", 0o600},
		{t.KeyFile, string(clientPriv), 0o600},
		{t.KeyFile + ".pub", clientPub + "\n", 0o644},
		{t.KnownHosts, t.Address + " " + t.HostKey + "\n", 0o644},
	}
	for _, f := range append(files, t.behindFiles()...) {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
		os.Remove(f.path)
		if err := os.WriteFile(f.path, []byte(f.content), f.mode); err != nil {
			return fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	if t.User == "ops" {
		return t.addOps(ctx, clientPub)
	}
	return nil
}
