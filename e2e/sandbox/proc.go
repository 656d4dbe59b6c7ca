package sandbox

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// What /proc tells about the processes a target is made of.

// alive reports whether pid runs a live (not zombie) process whose command
// line contains want, so a recycled pid is never mistaken for ours.
func alive(pid int, want string) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	if i := strings.LastIndexByte(string(stat), ')'); i > 0 && len(stat) > i+2 && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
		return false
	}
	if want == "" {
		return true
	}
	cmd, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	return err == nil && strings.Contains(string(cmd), want)
}

// procPIDs lists the processes in /proc.
func procPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// findProcs returns the live processes, other than this one, that match.
func findProcs(match func(pid int) bool) []int {
	var pids []int
	for _, pid := range procPIDs() {
		if pid != os.Getpid() && alive(pid, "") && match(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procCmd is the argv of pid.
func procCmd(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// procEnv is the initial environment of pid, NUL separated and NUL framed.
func procEnv(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	return "\x00" + string(b)
}

// netNS names pid's network namespace, e.g. net:[4026532301].
func netNS(pid int) string {
	ns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/net", pid))
	return ns
}

// containerInit finds the container's PID 1 among the descendants of nspawn.
func containerInit(nspawn int) int {
	parent := map[int]int{}
	var inits []int
	for _, pid := range procPIDs() {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
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
