// Package sshtest is an in-process SSH server for tests: it listens on
// 127.0.0.1:0, accepts public keys and optionally a password, runs exec
// requests with `sh -c` as the current user, and serves sftp on the real file
// system. Everything stops when the test ends.
package sshtest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pkg/sftp"
	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
)

// Options configures Start.
type Options struct {
	// KeyTypes of the host keys: "ed25519" (the default), "ecdsa", "rsa".
	KeyTypes []string
	// Password, when set, is accepted for every user.
	Password string
	// Path replaces PATH for executed commands, to put fake programs first.
	Path string
	// Env is added to the environment of executed commands.
	Env []string
	// Forward lets clients open TCP connections from the server
	// (direct-tcpip, as ssh -J and -W use), like sshd's AllowTcpForwarding.
	Forward bool
}

// Server is a running test SSH server.
type Server struct {
	t        testing.TB
	opts     Options
	ln       net.Listener
	hostKeys []ssh.Signer

	mu         sync.Mutex
	authorized map[string]bool
	commands   []string
	conns      []net.Conn
	procs      map[*exec.Cmd]bool
	closed     bool

	execs    atomic.Int64
	accepted atomic.Int64
	forwards atomic.Int64
	wg       sync.WaitGroup
}

// Start starts a server; it is stopped by t.Cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if len(o.KeyTypes) == 0 {
		o.KeyTypes = []string{"ed25519"}
	}
	s := &Server{t: t, opts: o, authorized: map[string]bool{}, procs: map[*exec.Cmd]bool{}}
	for _, kt := range o.KeyTypes {
		s.hostKeys = append(s.hostKeys, NewSigner(t, kt))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sshtest: listen: %v", err)
	}
	s.ln = ln
	t.Cleanup(s.stop)
	s.wg.Add(1)
	go s.serve()
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Host is the IP the server listens on.
func (s *Server) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port is the TCP port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// HostKey is the first host key.
func (s *Server) HostKey() ssh.PublicKey { return s.hostKeys[0].PublicKey() }

// HostKeys are all host keys, in Options.KeyTypes order.
func (s *Server) HostKeys() []ssh.PublicKey {
	keys := make([]ssh.PublicKey, len(s.hostKeys))
	for i, k := range s.hostKeys {
		keys[i] = k.PublicKey()
	}
	return keys
}

// PinnedHostKey is HostKey in authorized_keys format, for a host_key pin.
func (s *Server) PinnedHostKey() string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(s.HostKey())))
}

// KnownHostsLine is a known_hosts line for this server and key.
func (s *Server) KnownHostsLine(k ssh.PublicKey) string {
	return knownhosts.Line([]string{s.Addr()}, k)
}

// WriteKnownHosts writes a known_hosts file in a temp dir listing keys (all
// host keys when none are given) and returns its path.
func (s *Server) WriteKnownHosts(keys ...ssh.PublicKey) string {
	s.t.Helper()
	if len(keys) == 0 {
		keys = s.HostKeys()
	}
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(s.KnownHostsLine(k) + "\n")
	}
	p := filepath.Join(s.t.TempDir(), "known_hosts")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		s.t.Fatalf("sshtest: %v", err)
	}
	return p
}

// AuthorizedKey lets k log in as any user.
func (s *Server) AuthorizedKey(k ssh.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized[string(k.Marshal())] = true
}

// Execs counts exec requests (commands run), sftp sessions excluded.
func (s *Server) Execs() int { return int(s.execs.Load()) }

// Forwards counts the TCP connections opened for clients (Options.Forward).
func (s *Server) Forwards() int { return int(s.forwards.Load()) }

// Conns counts accepted TCP connections.
func (s *Server) Conns() int { return int(s.accepted.Load()) }

// Commands returns every exec'd command line, in order.
func (s *Server) Commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

// NewSigner generates a key: "ed25519", "ecdsa" (P-256) or "rsa" (2048 bits).
func NewSigner(t testing.TB, keyType string) ssh.Signer {
	t.Helper()
	var key any
	var err error
	switch keyType {
	case "ed25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	case "ecdsa":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "rsa":
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("sshtest: unknown key type %q", keyType)
	}
	if err != nil {
		t.Fatalf("sshtest: generate %s key: %v", keyType, err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return signer
}

// NewKeyFile writes a new ed25519 private key in OpenSSH format (encrypted
// when passphrase is set) to a temp dir; it returns the path and the signer.
func NewKeyFile(t testing.TB, passphrase string) (string, ssh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	var block *pem.Block
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(priv, "sshtest")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(priv, "sshtest", []byte(passphrase))
	}
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return p, signer
}

func (s *Server) config() *ssh.ServerConfig {
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.authorized[string(k.Marshal())] {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("key not authorized")
		},
	}
	if s.opts.Password != "" {
		cfg.PasswordCallback = func(_ ssh.ConnMetadata, pw []byte) (*ssh.Permissions, error) {
			if string(pw) == s.opts.Password {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("wrong password")
		}
	}
	for _, k := range s.hostKeys {
		cfg.AddHostKey(k)
	}
	return cfg
}

func (s *Server) serve() {
	defer s.wg.Done()
	cfg := s.config()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.accepted.Add(1)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c, cfg)
		}()
	}
}

func (s *Server) handle(c net.Conn, cfg *ssh.ServerConfig) {
	defer c.Close()
	sc, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer sc.Close()
	go ssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		if nc.ChannelType() == "direct-tcpip" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.forward(nc)
			}()
			continue
		}
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.session(ch, creqs, sc.User())
		}()
	}
}

// forward serves a direct-tcpip channel: a TCP connection from here to the
// address the client names, refused as sshd refuses it.
func (s *Server) forward(nc ssh.NewChannel) {
	if !s.opts.Forward {
		_ = nc.Reject(ssh.Prohibited, "administratively prohibited: open failed")
		return
	}
	var p struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &p); err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "bad request")
		return
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(p.Host, fmt.Sprint(p.Port)), 10*time.Second)
	if err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "Connection refused")
		return
	}
	defer c.Close()
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	go ssh.DiscardRequests(reqs)
	s.forwards.Add(1)
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(c, ch)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(ch, c)
		_ = ch.CloseWrite()
		done <- struct{}{}
	}()
	<-done
	<-done
}

// session serves one channel: one exec or the sftp subsystem.
func (s *Server) session(ch ssh.Channel, reqs <-chan *ssh.Request, user string) {
	defer ch.Close()
	var cmd *exec.Cmd
	done := make(chan struct{})
	for req := range reqs {
		switch req.Type {
		case "env":
			_ = req.Reply(true, nil)
		case "exec":
			var p struct{ Command string }
			if cmd != nil || ssh.Unmarshal(req.Payload, &p) != nil {
				_ = req.Reply(false, nil)
				continue
			}
			s.execs.Add(1)
			s.mu.Lock()
			s.commands = append(s.commands, p.Command)
			s.mu.Unlock()
			cmd = s.command(p.Command, user)
			if err := s.startCmd(cmd, ch, done, func() { _ = req.Reply(true, nil) }); err != nil {
				_ = req.Reply(false, nil)
				return
			}
		case "subsystem":
			var p struct{ Name string }
			if cmd != nil || ssh.Unmarshal(req.Payload, &p) != nil || p.Name != "sftp" {
				_ = req.Reply(false, nil)
				continue
			}
			_ = req.Reply(true, nil)
			srv, err := sftp.NewServer(ch)
			if err != nil {
				return
			}
			go func() {
				_ = srv.Serve()
				srv.Close()
				ch.Close()
			}()
		case "signal":
			if cmd != nil && cmd.Process != nil {
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		default:
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
	// The client closed the channel: nothing may outlive it.
	if cmd != nil && cmd.Process != nil {
		select {
		case <-done:
		default:
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
}

func (s *Server) command(line, user string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", "-c", line)
	env := []string{"USER=" + user, "LOGNAME=" + user}
	for _, kv := range os.Environ() {
		if s.opts.Path != "" && strings.HasPrefix(kv, "PATH=") ||
			strings.HasPrefix(kv, "USER=") || strings.HasPrefix(kv, "LOGNAME=") {
			continue
		}
		env = append(env, kv)
	}
	if s.opts.Path != "" {
		env = append(env, "PATH="+s.opts.Path)
	}
	cmd.Env = append(env, s.opts.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// startCmd runs cmd with the channel as stdio and reports its exit status
// like sshd: as soon as the process exits, whether stdin was closed or not.
// started is called once the process runs and before its exit status can
// be sent, as sshd answers the exec request first: a client that saw the
// channel close before its answer would read EOF.
func (s *Server) startCmd(cmd *exec.Cmd, ch ssh.Channel, done chan struct{}, started func()) error {
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("server stopped")
	}
	err = cmd.Start()
	if err == nil {
		s.procs[cmd] = true
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	started()
	go func() {
		_, _ = io.Copy(stdin, ch)
		stdin.Close()
	}()
	go func() {
		defer close(done)
		_ = cmd.Wait()
		s.mu.Lock()
		delete(s.procs, cmd)
		s.mu.Unlock()
		code := cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			code = 128 + int(ws.Signal())
		}
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
		ch.Close()
	}()
	return nil
}

func (s *Server) stop() {
	s.mu.Lock()
	s.closed = true
	s.ln.Close()
	for _, c := range s.conns {
		c.Close()
	}
	for cmd := range s.procs {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// fakeSudo understands the options the transports use (-S -k -p PROMPT -n --)
// and checks the password read from stdin like sudo -S, printing
// "Sorry, try again." after a wrong one. The command then runs with
// SSHTEST_SUDO=root in its environment, so a test can tell it went through.
const fakeSudo = `#!/bin/sh
want=%s
prompt='[sudo] password: ' ask=tty nonint=
while [ $# -gt 0 ]; do
	case $1 in
	-S) ask=stdin ;;
	-k) ;;
	-n) nonint=1 ;;
	-p) shift; prompt=$1 ;;
	--) shift; break ;;
	-*) echo "sudo: unknown option $1" >&2; exit 1 ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "usage: sudo command" >&2; exit 1; }
if [ -n "$want" ]; then
	if [ -n "$nonint" ]; then echo "sudo: a password is required" >&2; exit 1; fi
	if [ "$ask" != stdin ]; then echo "sudo: a terminal is required to read the password" >&2; exit 1; fi
	tries=0
	while :; do
		printf '%%s' "$prompt" >&2
		IFS= read -r pw || { echo "sudo: no password was provided" >&2; exit 1; }
		[ "$pw" = "$want" ] && break
		tries=$((tries + 1))
		if [ $tries -ge 3 ]; then echo "sudo: $tries incorrect password attempts" >&2; exit 1; fi
		echo "Sorry, try again." >&2
	done
fi
SSHTEST_SUDO=root
export SSHTEST_SUDO
exec "$@"
`

// FakeSudo writes a fake sudo into a temp dir and returns a PATH with that
// dir first (for Options.Path or the local transport). An empty password
// behaves like NOPASSWD.
func FakeSudo(t testing.TB, password string) string {
	t.Helper()
	dir := t.TempDir()
	script := fmt.Sprintf(fakeSudo, "'"+strings.ReplaceAll(password, "'", `'"'"'`)+"'")
	if err := os.WriteFile(filepath.Join(dir, "sudo"), []byte(script), 0o755); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return dir + string(os.PathListSeparator) + os.Getenv("PATH")
}

// StartAgent serves an in-memory SSH agent holding key on a unix socket
// until t ends; it returns the socket's path, for SSH_AUTH_SOCK.
func StartAgent(t testing.TB, key agent.AddedKey) string {
	t.Helper()
	keyring := agent.NewKeyring()
	if err := keyring.Add(key); err != nil {
		t.Fatalf("sshtest: agent: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("sshtest: agent: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	go loopback.Serve(ln, func(c net.Conn) { _ = agent.ServeAgent(keyring, c) })
	return sock
}
