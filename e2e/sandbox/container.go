package sandbox

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const bootTimeout = 90 * time.Second

// mount lays the target's own overlay over the cached root file system.
func (t *Target) mount() error {
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.MkdirAll(t.path(d), 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", t.Rootfs, t.path("upper"), t.path("work"))
	if err := syscall.Mount("overlay", t.Merged, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay on %s: %w", t.Merged, err)
	}
	return nil
}

func (t *Target) startNspawn() error {
	console, err := os.Create(t.path("console.log"))
	if err != nil {
		return fmt.Errorf("create console log: %w", err)
	}
	defer console.Close()
	cgroups, err := makeCgroups(t.Name)
	if err != nil {
		return err
	}
	if t.CPUs > 0 {
		if err := limitCPU(cgroups, t.CPUs); err != nil {
			return err
		}
	}
	argv := inCgroups(cgroups, "systemd-nspawn", "-D", t.Merged, "--boot", "--register=no", "--keep-unit",
		"--network-veth", "--machine="+t.Name, "--hostname="+t.Name, "--console=pipe")
	if t.Network != "" {
		argv = append(argv, "--network-veth-extra="+netVeth(t.Name)+":net0")
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = os.Environ()
	if unifiedCgroup() {
		// cgroup v2 inside, as on current Debian hosts, even where this
		// machine mounts v1 controllers too.
		cmd.Env = append(cmd.Env, "SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1")
	}
	cmd.Stdout, cmd.Stderr = console, console
	// Its own session: the target outlives `up` and ignores our terminal.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start systemd-nspawn: %w", err)
	}
	t.NspawnPID = cmd.Process.Pid
	go cmd.Wait() // reap it when it exits while we still run
	return nil
}

// network waits for the container and its veth, then addresses both ends.
func (t *Target) network(ctx context.Context) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if !alive(t.NspawnPID, "") {
			return fmt.Errorf("systemd-nspawn exited: %s", tail(readFile(t.path("console.log")), 2000))
		}
		if t.LeaderPID == 0 {
			t.LeaderPID = containerInit(t.NspawnPID)
		}
		if t.LeaderPID != 0 {
			if _, err := net.InterfaceByName(t.Veth); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no container or no %s after 30s: %s", t.Veth, tail(readFile(t.path("console.log")), 2000))
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", t.LeaderPID))
	if err != nil {
		return fmt.Errorf("container network namespace: %w", err)
	}
	t.NetNS = ns
	leader := strconv.Itoa(t.LeaderPID)
	cmds := [][]string{
		{"ip", "addr", "add", t.HostAddress + "/30", "dev", t.Veth},
		{"ip", "link", "set", t.Veth, "up"},
		{"nsenter", "-t", leader, "-n", "ip", "link", "set", "lo", "up"},
		{"nsenter", "-t", leader, "-n", "ip", "addr", "add", t.linkAddress() + "/30", "dev", "host0"},
		{"nsenter", "-t", leader, "-n", "ip", "link", "set", "host0", "up"},
	}
	for _, c := range cmds {
		if err := run(ctx, nil, c[0], c[1:]...); err != nil {
			return err
		}
	}
	if t.Network != "" {
		return t.attach(ctx)
	}
	return t.joinBastion(ctx)
}

// sshListens reports whether the target's sshd takes connections: a TCP
// connection from here, or through the bastion.
func (t *Target) sshListens(ctx context.Context) error {
	if t.Bastion != nil {
		_, err := t.SSH(ctx, "true")
		return err
	}
	c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(t.Address, strconv.Itoa(t.Port)))
	if err == nil {
		c.Close()
	}
	return err
}

// linkAddress is the target's end of its /30.
func (t *Target) linkAddress() string {
	if t.Link != "" {
		return t.Link
	}
	return t.Address
}

// waitBooted waits until SSH answers with the printed key and host key and
// systemd reports the boot finished.
func (t *Target) waitBooted(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, bootTimeout)
	defer cancel()
	var last error
	for {
		if !alive(t.NspawnPID, "") {
			return fmt.Errorf("target stopped while booting: %s", tail(readFile(t.path("console.log")), 2000))
		}
		err := t.sshListens(ctx)
		if err == nil {
			out, err := t.SSH(ctx, "systemctl is-system-running --wait")
			state := strings.TrimSpace(out)
			if state == "running" || state == "degraded" {
				return nil
			}
			last = fmt.Errorf("system state %q: %v", state, err)
		} else {
			last = err
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("target did not boot within %s: %v", bootTimeout, last)
		}
	}
}
