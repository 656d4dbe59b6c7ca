package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	bootTimeout   = 90 * time.Second
	daemonTimeout = 90 * time.Second
)

// Up brings a target up: root file system (cached), overlay, boot, addresses,
// its daemon, SSH and systemd ready. On failure it removes what it made.
func Up(ctx context.Context, o Options) (*Target, error) {
	if err := validate(&o); err != nil {
		return nil, err
	}
	if err := EnsureHost(ctx, o.Log); err != nil {
		return nil, err
	}
	rootfs, err := EnsureRootfs(ctx, o.Suite, o.Log)
	if err != nil {
		return nil, err
	}
	t, err := reserve(o, rootfs)
	if err != nil {
		return nil, err
	}
	if err := t.boot(ctx, o); err != nil {
		derr := Down(context.WithoutCancel(ctx), o.Name)
		return nil, errors.Join(fmt.Errorf("up %s: %w", o.Name, err), derr)
	}
	return t, nil
}

// reserve claims the name and a free /30 under a lock shared by every up.
func reserve(o Options, rootfs string) (*Target, error) {
	unlock, err := lock(filepath.Join(Dir(), "targets.lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	dir := TargetDir(o.Name)
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("target %s exists (down it first: sandbox down %s)", o.Name, o.Name)
	}
	if _, err := net.InterfaceByName("ve-" + o.Name); err == nil {
		return nil, fmt.Errorf("target %s: ve-%s exists on this machine (a target of that name from another JITSI_SANDBOX_DIR?)", o.Name, o.Name)
	}
	ts, err := List()
	if err != nil {
		return nil, err
	}
	used := map[int]bool{}
	for _, t := range ts {
		used[t.Net] = true
	}
	// Addresses left on this machine by something else count as used too.
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip4 := ipn.IP.To4(); ip4 != nil && ip4[0] == 10 && ip4[1] == 213 {
					used[int(ip4[2])] = true
				}
			}
		}
	}
	n := 0
	for i := 1; i <= 250; i++ {
		if !used[i] {
			n = i
			break
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("no free network in 10.213.1-250.0/30")
	}
	addr, octet := fmt.Sprintf("10.213.%d.2", n), 0
	if o.Network != "" {
		if octet, addr, err = joinNetwork(o.Network, ts); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	t := &Target{dir: dir, State: State{
		Info: Info{
			Name:        o.Name,
			Suite:       o.Suite,
			User:        o.User,
			Address:     addr,
			HostAddress: fmt.Sprintf("10.213.%d.1", n),
			Port:        22,
			Domain:      o.Name + DomainSuffix,
		},
		Net:      n,
		Network:  o.Network,
		NetOctet: octet,
		CPUs:     o.CPUs,
		Link:     fmt.Sprintf("10.213.%d.2", n),
		Rootfs:   rootfs,
		Merged:   filepath.Join(dir, "merged"),
		Veth:     "ve-" + o.Name,
		Created:  time.Now().UTC(),
	}}
	return t, t.save()
}

func (t *Target) boot(ctx context.Context, o Options) error {
	start := time.Now()
	if err := t.mount(); err != nil {
		return err
	}
	if err := t.identity(ctx); err != nil {
		return err
	}
	if err := t.startNspawn(); err != nil {
		return err
	}
	if err := t.save(); err != nil {
		return err
	}
	if err := t.network(ctx); err != nil {
		return err
	}
	// This machine resolves the Janssen stand-in's name too: the installer
	// and the tests reach it at its issuer. Down removes the block.
	if err := addHosts(HostsFile, t.Name, []string{t.HostAddress + "\t" + JanssenHost(t.Name)}); err != nil {
		return err
	}
	if err := t.startDaemon(); err != nil {
		return err
	}
	if err := t.save(); err != nil {
		return err
	}
	if err := t.waitBooted(ctx); err != nil {
		return err
	}
	t.BootTime = time.Since(start).Round(time.Millisecond).String()
	if err := t.waitDaemon(ctx); err != nil {
		return err
	}
	// The daemon serves every suite; the answers name the one asked for.
	t.RepoSuite = o.JitsiSuite
	if err := t.writeAnswers(); err != nil {
		return err
	}
	t.ReadyAfter = time.Since(start).Round(time.Millisecond).String()
	logf(o.Log, "%s (%s) is up at %s: booted in %s, ready in %s", t.Name, t.Suite, t.Address, t.BootTime, t.ReadyAfter)
	return t.save()
}

func (t *Target) path(rel string) string { return filepath.Join(t.dir, rel) }

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
	files := []struct {
		path    string
		content string
		mode    os.FileMode
	}{
		{filepath.Join(m, "etc/machine-id"), randomHex(16) + "\n", 0o444},
		{filepath.Join(m, "etc/hostname"), t.Name + "\n", 0o644},
		{filepath.Join(m, "etc/hosts"), fmt.Sprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%[1]s\n%[2]s\t%[3]s\n%[4]s\t%[5]s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
			t.Name, t.Address, t.Domain, t.HostAddress, JanssenHost(t.Name)), 0o644},
		{filepath.Join(m, "etc/ssh/ssh_host_ed25519_key"), string(hostPriv), 0o600},
		{filepath.Join(m, "etc/ssh/ssh_host_ed25519_key.pub"), hostPub + "\n", 0o644},
		{filepath.Join(m, "root/.ssh/authorized_keys"), clientPub + "\n", 0o600},
		{t.KeyFile, string(clientPriv), 0o600},
		{t.KeyFile + ".pub", clientPub + "\n", 0o644},
		{t.KnownHosts, t.Address + " " + t.HostKey + "\n", 0o644},
	}
	for _, f := range files {
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
	return nil
}

// linkAddress is the target's end of its /30.
func (t *Target) linkAddress() string {
	if t.Link != "" {
		return t.Link
	}
	return t.Address
}

// containerInit finds the container's PID 1 among the descendants of nspawn.
func containerInit(nspawn int) int {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	var inits []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, err := os.Open(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, _ := strings.Cut(sc.Text(), ":")
			fields := strings.Fields(v)
			switch {
			case k == "PPid" && len(fields) == 1:
				parent[pid], _ = strconv.Atoi(fields[0])
			case k == "NSpid" && len(fields) > 1 && fields[len(fields)-1] == "1":
				inits = append(inits, pid)
			}
		}
		f.Close()
	}
	for _, pid := range inits {
		for p, hops := parent[pid], 0; p > 1 && hops < 8; p, hops = parent[p], hops+1 {
			if p == nspawn {
				return pid
			}
		}
	}
	return 0
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
		c, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", net.JoinHostPort(t.Address, strconv.Itoa(t.Port)))
		if err == nil {
			c.Close()
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

func (t *Target) startDaemon() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable: %w", err)
	}
	logFile, err := os.Create(t.path("daemon.log"))
	if err != nil {
		return fmt.Errorf("create daemon log: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envServe+"="+t.Name, envDir+"="+Dir())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start daemon: %w", err)
	}
	t.DaemonPID = cmd.Process.Pid
	go cmd.Wait()
	return nil
}

// waitDaemon waits for the daemon to report its services listening.
func (t *Target) waitDaemon(ctx context.Context) error {
	deadline := time.Now().Add(daemonTimeout)
	for {
		b, err := os.ReadFile(t.path("daemon.json"))
		if err == nil {
			var d daemonInfo
			if err := json.Unmarshal(b, &d); err != nil {
				return fmt.Errorf("read daemon.json: %w", err)
			}
			d.apply(&t.State)
			return nil
		}
		if !alive(t.DaemonPID, "") {
			return fmt.Errorf("daemon exited: %s", tail(readFile(t.path("daemon.log")), 2000))
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("daemon not ready after %s: %s", daemonTimeout, tail(readFile(t.path("daemon.log")), 2000))
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
