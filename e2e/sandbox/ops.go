package sandbox

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// addOps makes user ops with the target's key and a random sudo password,
// kept only in sudo_password (mode 0600) on this side.
func (t *Target) addOps(ctx context.Context, pub string) error {
	pw := randomHex(12)
	t.SudoPasswordFile = t.path("sudo_password")
	if err := os.WriteFile(t.SudoPasswordFile, []byte(pw), 0o600); err != nil {
		return fmt.Errorf("write sudo password: %w", err)
	}
	script := `set -e
useradd --create-home --shell /bin/bash ops
install -d -m 700 -o ops -g ops /home/ops/.ssh
printf '%s\n' "$1" > /home/ops/.ssh/authorized_keys
chown ops:ops /home/ops/.ssh/authorized_keys
chmod 600 /home/ops/.ssh/authorized_keys
echo 'ops ALL=(ALL:ALL) ALL' > /etc/sudoers.d/ops
chmod 440 /etc/sudoers.d/ops
chpasswd`
	cmd := exec.CommandContext(ctx, "chroot", t.Merged, "/bin/sh", "-c", script, "sh", pub)
	cmd.Stdin = strings.NewReader("ops:" + pw + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("create user ops: %w: %s", err, tail(string(out), 1000))
	}
	return nil
}
