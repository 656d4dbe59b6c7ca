package sandbox

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"
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

// boot takes a reserved target to ready, one step after the other. The
// state is saved as soon as a process is started, so that the Down after a
// failed step finds it.
func (t *Target) boot(ctx context.Context, o Options) error {
	start := time.Now()
	steps := []func() error{
		t.mount,
		func() error { return t.identity(ctx) },
		t.startNspawn,
		t.save,
		func() error { return t.network(ctx) },
		// This machine resolves the Janssen stand-in's name too: the installer
		// and the tests reach it at its issuer. Down removes the block.
		func() error {
			lines := []string{t.HostAddress + "\t" + JanssenHost(t.Name)}
			if t.Bastion != nil {
				// Clients reach it where its SSH address is not.
				lines = append(lines, t.webAddress()+"\t"+t.Domain)
			}
			return addHosts(HostsFile, t.Name, lines)
		},
		t.startDaemon,
		t.save,
		func() error { return t.waitBooted(ctx) },
		func() error {
			t.BootTime = time.Since(start).Round(time.Millisecond).String()
			return t.waitDaemon(ctx)
		},
		func() error {
			// The daemon serves every suite; the answers name the one asked for.
			t.RepoSuite = o.JitsiSuite
			return t.writeAnswers()
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	t.ReadyAfter = time.Since(start).Round(time.Millisecond).String()
	logf(o.Log, "%s (%s) is up at %s: booted in %s, ready in %s", t.Name, t.Suite, t.Address, t.BootTime, t.ReadyAfter)
	return t.save()
}

func (t *Target) path(rel string) string { return filepath.Join(t.dir, rel) }
