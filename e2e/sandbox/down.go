package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Down stops target name and removes everything it made: the container
// (shut down cleanly, killed if it does not stop), the daemon and its
// children, the overlay mount, the veth and the target's directory. It finds
// processes by their command line too, so a target whose `up` died half way
// is cleaned up as well. Down of an unknown target does nothing.
func Down(ctx context.Context, name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("down %q: not a target name", name)
	}
	dir := TargetDir(name)
	var st State
	if t, err := Load(name); err == nil {
		st = t.State
	}
	var errs []error

	// Matched by name and by this state directory: another directory may
	// have a target of the same name (that one cannot boot, but must not be
	// killed either).
	merged := filepath.Join(dir, "merged")
	isNspawn := func(pid int) bool {
		cmd := procCmd(pid)
		return len(cmd) > 0 && filepath.Base(cmd[0]) == "systemd-nspawn" &&
			slices.Contains(cmd, "--machine="+name) && slices.Contains(cmd, merged)
	}
	isDaemon := func(pid int) bool {
		env := procEnv(pid)
		return strings.Contains(env, "\x00"+envServe+"="+name+"\x00") && strings.Contains(env, "\x00"+envDir+"="+Dir()+"\x00")
	}
	isChild := func(pid int) bool { return strings.Contains(strings.Join(procCmd(pid), " "), "pebble") }

	// SIGTERM makes nspawn ask the container's systemd to power off.
	if err := stop(ctx, append(findProcs(isNspawn), st.NspawnPID), isNspawn, false, 30*time.Second); err != nil {
		errs = append(errs, err)
	}
	if alive(st.LeaderPID, "") && st.NetNS != "" && netNS(st.LeaderPID) == st.NetNS {
		syscall.Kill(st.LeaderPID, syscall.SIGKILL)
	}
	// Whatever of the container is still around dies with its cgroups.
	if err := removeCgroups(name); err != nil {
		errs = append(errs, err)
	}
	if err := stop(ctx, append(findProcs(isDaemon), st.DaemonPID), isDaemon, true, 10*time.Second); err != nil {
		errs = append(errs, err)
	}
	if err := stop(ctx, st.ChildPIDs, isChild, false, 5*time.Second); err != nil {
		errs = append(errs, err)
	}

	if _, err := net.InterfaceByName("ve-" + name); err == nil {
		if err := run(ctx, nil, "ip", "link", "del", "ve-"+name); err != nil {
			// nspawn may have removed it meanwhile.
			if _, still := net.InterfaceByName("ve-" + name); still == nil {
				errs = append(errs, err)
			}
		}
	}
	if err := leaveNetwork(ctx, st); err != nil {
		errs = append(errs, err)
	}
	if err := leaveBastion(ctx, st); err != nil {
		errs = append(errs, err)
	}
	if _, err := os.Stat(dir); err == nil {
		// The block is this directory's target's: a target of that name in
		// another JITSI_SANDBOX_DIR keeps its own.
		if err := removeHosts(HostsFile, name); err != nil {
			errs = append(errs, err)
		}
		if err := removeAll(dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("down %s: %w", name, err)
	}
	return nil
}

// Down removes the target; see Down.
func (t *Target) Down(ctx context.Context) error { return Down(ctx, t.Name) }

// stop sends SIGTERM to the pids that are ours, waits until they are gone,
// then kills what is left (with their process groups if group).
func stop(ctx context.Context, pids []int, ours func(int) bool, group bool, grace time.Duration) error {
	var live []int
	for _, pid := range pids {
		if alive(pid, "") && ours(pid) && !slices.Contains(live, pid) {
			live = append(live, pid)
		}
	}
	signal := func(sig syscall.Signal) {
		for _, pid := range live {
			// The leader alone gets SIGTERM so it can stop (and reap) its
			// children itself; SIGKILL takes the whole group.
			if group && sig == syscall.SIGKILL {
				syscall.Kill(-pid, sig)
			}
			syscall.Kill(pid, sig)
		}
	}
	gone := func() []int {
		var still []int
		for _, pid := range live {
			if alive(pid, "") {
				still = append(still, pid)
			}
		}
		return still
	}
	signal(syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for len(gone()) > 0 {
		if time.Now().After(deadline) || ctx.Err() != nil {
			signal(syscall.SIGKILL)
			time.Sleep(300 * time.Millisecond)
			if still := gone(); len(still) > 0 {
				return fmt.Errorf("processes %v did not stop", still)
			}
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}
