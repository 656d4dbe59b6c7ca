package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

const daemonTimeout = 90 * time.Second

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
