package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// With --keep-unit and no systemd on the host, nspawn gives the container
// the cgroup nspawn itself runs in. Started from the root cgroup, every
// target would share /system.slice/*.service with every other, and a stop
// job in one waits for processes of another. So each target gets its own
// cgroup, jitsi-sandbox/NAME, in every hierarchy, and nspawn starts in it.
const cgroupParent = "jitsi-sandbox"

// cgroupMounts lists the mount points of the cgroup hierarchies, v1 and v2.
func cgroupMounts() ([]string, error) {
	return mounts(func(fstype string) bool { return fstype == "cgroup" || fstype == "cgroup2" })
}

// unifiedCgroup reports whether a cgroup v2 hierarchy is mounted.
func unifiedCgroup() bool {
	var st syscall.Statfs_t
	for _, p := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
		if syscall.Statfs(p, &st) == nil && st.Type == 0x63677270 { // CGROUP2_SUPER_MAGIC
			return true
		}
	}
	return false
}

// cgroupDirs are target name's cgroup directories, one per hierarchy.
func cgroupDirs(name string) []string {
	mounts, _ := cgroupMounts()
	dirs := make([]string, len(mounts))
	for i, m := range mounts {
		dirs[i] = filepath.Join(m, cgroupParent, name)
	}
	return dirs
}

// makeCgroups creates target name's cgroups and returns their directories.
func makeCgroups(name string) ([]string, error) {
	dirs := cgroupDirs(name)
	for _, dir := range dirs {
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, fmt.Errorf("create cgroup %s: %w", d, err)
			}
			// A v1 cpuset takes no process before it has CPUs and memory
			// nodes: give it its parent's.
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if b, err := os.ReadFile(filepath.Join(d, f)); err == nil && strings.TrimSpace(string(b)) == "" {
					parent, _ := os.ReadFile(filepath.Join(filepath.Dir(d), f))
					if err := os.WriteFile(filepath.Join(d, f), parent, 0o644); err != nil {
						return nil, fmt.Errorf("set %s of cgroup %s: %w", f, d, err)
					}
				}
			}
		}
	}
	return dirs, nil
}

// limitCPU caps the CPU time of the cgroups in dirs at cpus CPUs, in the
// hierarchy that has the cpu controller: cpu.max on cgroup v2,
// cpu.cfs_quota_us on v1. A limit nobody could set is an error: a
// benchmark would measure something else.
func limitCPU(dirs []string, cpus float64) error {
	const period = 100000 // microseconds, the kernel's default
	quota := int(cpus * period)
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "cpu.max")); err == nil {
			return os.WriteFile(filepath.Join(d, "cpu.max"), []byte(fmt.Sprintf("%d %d", quota, period)), 0o644)
		}
		if _, err := os.Stat(filepath.Join(d, "cpu.cfs_quota_us")); err == nil {
			if err := os.WriteFile(filepath.Join(d, "cpu.cfs_period_us"), []byte(strconv.Itoa(period)), 0o644); err != nil {
				return fmt.Errorf("cgroup %s: %w", d, err)
			}
			return os.WriteFile(filepath.Join(d, "cpu.cfs_quota_us"), []byte(strconv.Itoa(quota)), 0o644)
		}
	}
	return fmt.Errorf("no cgroup with the cpu controller among %v", dirs)
}

// inCgroups wraps argv so that it runs in the cgroup directories dirs: a
// shell moves itself into them, then execs argv under the same pid.
func inCgroups(dirs []string, argv ...string) []string {
	script := `while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs" || exit 1; shift; done; shift; exec "$@"`
	args := append([]string{"/bin/sh", "-c", script, "sh"}, dirs...)
	return append(append(args, "--"), argv...)
}

// cgroupPIDs lists the processes in dir and below it.
func cgroupPIDs(dir string) []int {
	var pids []int
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	return pids
}

// removeCgroups kills whatever is left in target name's cgroups and removes
// them, deepest first.
func removeCgroups(name string) error {
	var errs []error
	for _, dir := range cgroupDirs(name) {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		for i := 0; i < 20; i++ {
			pids := cgroupPIDs(dir)
			if len(pids) == 0 {
				break
			}
			for _, pid := range pids {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(50 * time.Millisecond)
		}
		var subdirs []string
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				subdirs = append(subdirs, p)
			}
			return nil
		})
		deepestFirst(subdirs)
		for _, d := range subdirs {
			if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Usage is what a target's processes have used: CPU time since it booted
// (cpuacct.usage on cgroup v1, cpu.stat's usage_usec on v2) and the
// processes' memory now, without the page cache (memory.stat's total_rss on
// v1, anon on v2). What a hierarchy does not offer stays zero.
type Usage struct {
	CPU    time.Duration
	Memory int64 // bytes
}

// Usage reads t's cgroups.
func (t *Target) Usage() Usage {
	var u Usage
	read := func(p string) string {
		b, _ := os.ReadFile(p)
		return strings.TrimSpace(string(b))
	}
	for _, d := range cgroupDirs(t.Name) {
		if ns, err := strconv.ParseInt(read(filepath.Join(d, "cpuacct.usage")), 10, 64); err == nil && u.CPU == 0 {
			u.CPU = time.Duration(ns)
		}
		for _, l := range strings.Split(read(filepath.Join(d, "cpu.stat")), "\n") {
			if us, ok := strings.CutPrefix(l, "usage_usec "); ok && u.CPU == 0 {
				n, _ := strconv.ParseInt(us, 10, 64)
				u.CPU = time.Duration(n) * time.Microsecond
			}
		}
		for _, l := range strings.Split(read(filepath.Join(d, "memory.stat")), "\n") {
			k, v, _ := strings.Cut(l, " ")
			if (k == "total_rss" || k == "anon") && u.Memory == 0 {
				u.Memory, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return u
}
