package oidc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// launch runs provider.mjs with node and waits until it listens; the
// provider's standard output goes to log.
func (p *Provider) launch(ctx context.Context, node string, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	p.cmd = exec.Command(node, filepath.Join(p.dir, "provider.mjs"), filepath.Join(p.dir, "config.json"))
	// Node prints a failing key in full: keep standard error in a file and
	// pass on only its error lines.
	errFile, err := os.OpenFile(filepath.Join(p.dir, "stderr.log"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer errFile.Close()
	p.cmd.Stderr = errFile
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := p.cmd.Start(); err != nil {
		return fmt.Errorf("start oidc-provider: %w", err)
	}
	p.done = make(chan error, 1)
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "listening" {
				ready <- true
			}
			fmt.Fprintln(log, sc.Text())
		}
	}()
	go func() { p.done <- p.cmd.Wait() }()
	select {
	case <-ready:
	case err := <-p.done:
		return fmt.Errorf("oidc-provider exited before listening: %v: %s", err, p.Errors())
	case <-time.After(30 * time.Second):
		p.Stop()
		return errors.New("oidc-provider did not listen within 30s")
	case <-ctx.Done():
		p.Stop()
		return ctx.Err()
	}
	return nil
}

// Stop ends the provider and removes its files.
func (p *Provider) Stop() {
	if p.cmd.Process != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	os.RemoveAll(p.dir)
}
