package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// envServe, when set to a target name, turns the process into that target's
// daemon (see the package comment).
const envServe = "JITSI_SANDBOX_SERVE"

const (
	aptProxyPort = 3142
	repoPort     = 8000
	janssenPort  = 8443
)

func init() {
	name := os.Getenv(envServe)
	if name == "" {
		return
	}
	os.Unsetenv(envServe)
	RunOrExit("sandbox daemon", func(ctx context.Context) error { return Serve(ctx, name) })
	os.Exit(0)
}

// daemonInfo is what the daemon reports in daemon.json once it listens.
type daemonInfo struct {
	Services
	ChildPIDs []int `json:"child_pids"`
}

func (d daemonInfo) apply(s *State) {
	s.Services, s.ChildPIDs = d.Services, d.ChildPIDs
}

// Serve runs the services of target name on the host side of its veth until
// ctx ends or one of them fails: the apt proxy, the stand-in Jitsi
// repository, Pebble and the Janssen stand-in.
func Serve(ctx context.Context, name string) error {
	t, err := Load(name)
	if err != nil {
		return err
	}
	logger := log.New(os.Stderr, "", log.LstdFlags|log.Lmicroseconds)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	host := t.HostAddress
	var d daemonInfo
	d.AptProxy = fmt.Sprintf("http://%s:%d", host, aptProxyPort)

	s := &servers{errc: make(chan error, 8), log: logger}
	defer s.close()

	// Pebble and the stand-ins start in parallel; each takes a moment.
	var wg sync.WaitGroup
	var pebErr, svcErr error
	var repo http.Handler
	var peb *pebble
	defer func() {
		if peb != nil {
			peb.stop()
		}
	}()
	wg.Add(2)
	go func() {
		defer wg.Done()
		var p *pebble
		p, pebErr = startPebble(ctx, t.path("pebble"), host, t.webAddress(), os.Stderr)
		if pebErr == nil {
			peb = p
			d.ACMEServer, d.ACMECA, d.ACMERoot, d.ACMEDNSAdmin, d.ChildPIDs = p.Server, p.CAFile, p.RootFile, "http://"+p.challMgmt, p.PIDs
			d.ACMECABundle = bundleFile(p.CAFile)
		}
	}()
	go func() {
		defer wg.Done()
		repo, svcErr = startServices(ctx, t, s, &d)
	}()
	wg.Wait()
	if err := errors.Join(pebErr, svcErr); err != nil {
		return err
	}
	proxy := newAptProxy(filepath.Join(cacheDir(), "apt"), map[string]http.Handler{
		net.JoinHostPort(host, strconv.Itoa(repoPort)): repo,
	}, &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: time.Minute}, logger)
	if err := s.serve(net.JoinHostPort(host, strconv.Itoa(aptProxyPort)), proxy); err != nil {
		return err
	}

	b, _ := json.MarshalIndent(d, "", "  ")
	if err := writeFileAtomic(t.path("daemon.json"), append(b, '\n'), 0o600); err != nil {
		return err
	}
	logger.Printf("serving %s: apt proxy %s, repository %s, ACME %s, Janssen %s", name, d.AptProxy, d.RepoURL, d.ACMEServer, d.JanssenIssuer)
	select {
	case <-ctx.Done():
		logger.Printf("stopping: %v", context.Cause(ctx))
		return nil
	case err := <-s.errc:
		return err
	}
}

// servers are what a daemon serves; one failing stops the daemon, and all
// are closed with it.
type servers struct {
	mu      sync.Mutex
	closers []io.Closer
	errc    chan error
	log     *log.Logger
}

// serve serves h over plain HTTP on addr.
func (s *servers) serve(addr string, h http.Handler) error {
	l, err := listen(addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 30 * time.Second, ErrorLog: s.log}
	s.run(srv, func() error { return srv.Serve(l) })
	return nil
}

// run runs fn in the background; c stops it.
func (s *servers) run(c io.Closer, fn func() error) {
	s.mu.Lock()
	s.closers = append(s.closers, c)
	s.mu.Unlock()
	go func() {
		if err := fn(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			s.errc <- err
		}
	}()
}

func (s *servers) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.closers {
		c.Close()
	}
}
