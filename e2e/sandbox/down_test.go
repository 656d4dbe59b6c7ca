//go:build e2e

package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// assertGone checks that nothing of a downed target is left on this machine.
func assertGone(t testing.TB, st State) {
	t.Helper()
	for _, pid := range append([]int{st.NspawnPID, st.LeaderPID, st.DaemonPID}, st.ChildPIDs...) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// A zombie is gone but for its exit status, which only its parent
		// (possibly an init that does not reap) can collect.
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] != "Z" {
			t.Errorf("process %d (%s) still runs", pid, bytes.Fields(stat)[1])
		}
	}
	mounts, _ := os.ReadFile("/proc/mounts")
	if strings.Contains(string(mounts), TargetDir(st.Name)) {
		t.Errorf("still mounted under %s", TargetDir(st.Name))
	}
	if _, err := net.InterfaceByName(st.Veth); err == nil {
		t.Errorf("veth %s still exists", st.Veth)
	}
	if st.NetNS == "" {
		t.Errorf("state has no network namespace to check")
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/ns/net")
	for _, p := range procs {
		if ns, _ := os.Readlink(p); ns == st.NetNS {
			t.Errorf("%s still lives in the target's network namespace %s", filepath.Dir(filepath.Dir(p)), ns)
		}
	}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/jitsi-sandbox/" + st.Name)
	if cg := "/sys/fs/cgroup/jitsi-sandbox/" + st.Name; fileExists(cg) {
		cgroups = append(cgroups, cg)
	}
	if len(cgroups) > 0 {
		t.Errorf("cgroups left: %v", cgroups)
	}
	if _, err := os.Stat(TargetDir(st.Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists", TargetDir(st.Name))
	}
	if hosts, _ := os.ReadFile(HostsFile); strings.Contains(string(hosts), hostsBegin(st.Name)+"\n") {
		t.Errorf("%s still names %s", HostsFile, JanssenHost(st.Name))
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestTwoTargets(t *testing.T) {
	t.Parallel()
	names := []string{"pair-a", "pair-b"}
	tgs := make([]*Target, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tgs[i] = bringUpNoFatal(t, name)
		}()
	}
	wg.Wait()
	for _, tg := range tgs {
		if tg == nil {
			t.FailNow()
		}
	}
	if tgs[0].Address == tgs[1].Address {
		t.Fatalf("both targets at %s", tgs[0].Address)
	}
	for _, tg := range tgs {
		if got := mustSSH(t, tg, "hostname"); got != tg.Name {
			t.Errorf("hostname at %s = %q, want %q", tg.Address, got, tg.Name)
		}
	}
	if err := tgs[0].Down(testContext(t)); err != nil {
		t.Fatal(err)
	}
	assertGone(t, tgs[0].State)
	if got := mustSSH(t, tgs[1], "systemctl is-system-running || true"); got != "running" && got != "degraded" {
		t.Errorf("%s after %s went down: %q", tgs[1].Name, tgs[0].Name, got)
	}
}
