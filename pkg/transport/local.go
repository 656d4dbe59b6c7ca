package transport

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/user"
	"sync/atomic"
	"syscall"
	"time"
)

// Local is a Transport on the machine the installer runs on (--host local).
// Commands run through /bin/sh with the same quoting, sudo protocol and
// write script as over SSH. Set the fields before first use.
type Local struct {
	// SudoPassword is fed to sudo on stdin when the process is not root.
	// Empty means sudo -n.
	SudoPassword string
	// CommandTimeout bounds each command; zero means DefaultCommandTimeout.
	CommandTimeout time.Duration

	root  bool
	user  string
	group string // with NewLocalUser: the owner of files written without one
	trips atomic.Int64
}

var _ Transport = (*Local)(nil)

// NewLocal returns the local transport. No connection: RoundTrips starts at 0.
func NewLocal() *Local {
	l := &Local{root: os.Geteuid() == 0, user: "root"}
	if u, err := user.Current(); err == nil {
		l.user = u.Username
	}
	return l
}

// NewLocalUser returns a local transport that runs every command as the
// current user, those that ask for root too, and writes the files that
// name no owner (root's) as the user's: the engine's tests converge files
// the user owns with it, without root or sudo.
func NewLocalUser() *Local {
	l := NewLocal()
	l.root, l.group = true, "root"
	if u, err := user.Current(); err == nil {
		if g, err := user.LookupGroupId(u.Gid); err == nil {
			l.group = g.Name
		}
	}
	return l
}

// Host returns "local".
func (l *Local) Host() string { return "local" }

// RoundTrips counts Run, WriteFile, Upload and ReadFile calls.
func (l *Local) RoundTrips() int { return int(l.trips.Load()) }

// Close does nothing.
func (l *Local) Close() error { return nil }

// Run implements Transport.
func (l *Local) Run(ctx context.Context, c Cmd) (Result, error) {
	l.trips.Add(1)
	return l.run(ctx, c)
}

// WriteFile implements Transport with the same script as SSH.
func (l *Local) WriteFile(ctx context.Context, f File) error {
	if l.group != "" && f.Owner == "" && f.Group == "" {
		f.Owner, f.Group = l.user, l.group
	}
	c, err := writeCmd(f)
	if err != nil {
		return err
	}
	l.trips.Add(1)
	res, err := l.run(ctx, c)
	return writeResult(f.Path, res, err)
}

// Upload copies r to path (mode 0644, owned by root) atomically.
func (l *Local) Upload(ctx context.Context, r io.Reader, path string) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	return l.WriteFile(ctx, File{Path: path, Data: data})
}

// ReadFile reads path as root. A missing file is fs.ErrNotExist.
func (l *Local) ReadFile(ctx context.Context, path string) ([]byte, error) {
	c, err := readCmd(path)
	if err != nil {
		return nil, err
	}
	l.trips.Add(1)
	res, err := l.run(ctx, c)
	return readResult(path, res, err)
}

func (l *Local) run(ctx context.Context, c Cmd) (Result, error) {
	esc := escalation{root: l.root, user: l.user, password: l.SudoPassword}
	return execute(ctx, c, esc, l.CommandTimeout, startLocal)
}

func startLocal(line string, stdout, stderr io.Writer) (started, error) {
	cmd := exec.Command("/bin/sh", "-c", line)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Own process group, so a timeout kills the children of sh too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A daemon started by the command may keep stdout open forever.
	cmd.WaitDelay = time.Second
	stdin, err := cmd.StdinPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		return started{}, err
	}
	pid := cmd.Process.Pid
	return started{
		stdin: stdin,
		wait: func() (int, error) {
			err := cmd.Wait()
			var exit *exec.ExitError
			switch {
			case err == nil, errors.Is(err, exec.ErrWaitDelay):
				return cmd.ProcessState.ExitCode(), nil
			case errors.As(err, &exit):
				if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 128 + int(ws.Signal()), nil
				}
				return exit.ExitCode(), nil
			}
			return -1, err
		},
		stop: func() { _ = syscall.Kill(-pid, syscall.SIGKILL) },
	}, nil
}
