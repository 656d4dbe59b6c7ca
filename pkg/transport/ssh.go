package transport

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/melbahja/goph"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SSHOptions says how to reach and log in to one host.
type SSHOptions struct {
	Address string // host name or IP
	Port    int    // default 22
	User    string // default root; anyone else gets privileged commands through sudo

	// KeyFile is a private key; "~/" is expanded. Without it the SSH agent
	// (SSH_AUTH_SOCK) is used.
	KeyFile string
	// Passphrase asks for the passphrase of an encrypted KeyFile, on a
	// terminal. Nil means there is no terminal: an encrypted key is an error.
	Passphrase func(keyFile string) ([]byte, error)
	// Password is tried after the key or agent, when set.
	Password string

	// HostKey pins the server's key, in authorized_keys format
	// ("ssh-ed25519 AAAA..."). When set, known_hosts is not consulted and only
	// this key is accepted.
	HostKey string
	// KnownHostsFile defaults to ~/.ssh/known_hosts.
	KnownHostsFile string
	// AcceptNewHostKey accepts, and appends to KnownHostsFile, the key of a
	// host not in it. A changed key is refused regardless.
	AcceptNewHostKey bool
	// ConfirmHostKey, when set and AcceptNewHostKey is not, shows an unknown
	// host's key to the operator; true accepts and records it. addr is
	// host:port, fingerprint "SHA256:...". The connect timeout is paused meanwhile.
	ConfirmHostKey func(addr, keyType, fingerprint string) (bool, error)

	ConnectTimeout time.Duration // TCP connect plus SSH handshake; default DefaultConnectTimeout
	CommandTimeout time.Duration // each command or transfer; default DefaultCommandTimeout
	// KeepaliveInterval is how often the server is asked to answer; after
	// KeepaliveMissed unanswered intervals in a row the connection is
	// closed and every command on it fails with a *ConnectError. Defaults:
	// DefaultKeepaliveInterval, DefaultKeepaliveMissed.
	KeepaliveInterval time.Duration
	KeepaliveMissed   int

	// SudoPassword is fed to sudo on stdin when User is not root. Empty means
	// sudo -n (passwordless sudo).
	SudoPassword string

	// Jump lists the jump hosts (bastions) on the way, like ssh -J: the
	// first is dialled from here, each next one through the one before, and
	// Address through the last. Each has its own Address, Port, User,
	// KeyFile (or the agent) and HostKey; an empty KnownHostsFile is this
	// one's, and the timeouts, host-key questions and passphrase prompt are
	// always this one's. Their own Jump is ignored.
	Jump []SSHOptions
}

// SSH is a Transport over one SSH connection, reused for every command and
// transfer. Safe for concurrent use.
type SSH struct {
	opts   SSHOptions
	addr   string
	esc    escalation
	client *goph.Client
	agent  io.Closer // agent socket, when used
	trips  atomic.Int64

	mu      sync.Mutex
	sftp    *sftp.Client
	sftpErr error

	// hops are the jump hosts' connections and agent sockets, outermost
	// first: closed after the client.
	hops []io.Closer
	via  string // the last jump host, host:port

	lost     atomic.Pointer[ConnectError] // why the connection was given up
	stopKeep func()
}

var _ Transport = (*SSH)(nil)

// DialSSH connects and authenticates, through o.Jump's hosts first when
// there are any. Every error it returns is a *ConnectError, *AuthError or
// *HostKeyError, wrapped in a *JumpError when a jump host failed. Each
// connection, the jump hosts' included, counts as one round trip.
func DialSSH(ctx context.Context, o SSHOptions) (*SSH, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	var hops []io.Closer // jump hosts' clients and agent sockets, outermost first
	fail := func(err error) (*SSH, error) {
		closeAll(hops)
		return nil, err
	}
	dial, via := direct(o.ConnectTimeout), ""
	for i := range o.Jump {
		j := o.hop(i)
		if err := j.defaults(); err != nil {
			return fail(&JumpError{Hop: i + 1, Err: err})
		}
		c, agentConn, err := handshake(ctx, j, dial, via)
		if err != nil {
			return fail(&JumpError{Hop: i + 1, Err: err})
		}
		hops = append(hops, c)
		if agentConn != nil {
			hops = append(hops, agentConn)
		}
		via = net.JoinHostPort(j.Address, strconv.Itoa(j.Port))
		dial = through(c, via, o.ConnectTimeout)
	}
	c, agentConn, err := handshake(ctx, o, dial, via)
	if err != nil {
		return fail(err)
	}
	s := &SSH{
		opts: o,
		addr: net.JoinHostPort(o.Address, strconv.Itoa(o.Port)),
		esc:  escalation{root: o.User == "root", user: o.User, password: o.SudoPassword},
		client: &goph.Client{Client: c, Config: &goph.Config{
			User: o.User, Addr: o.Address, Port: uint(o.Port), Timeout: o.ConnectTimeout,
		}},
		hops: hops,
		via:  via,
	}
	if agentConn != nil {
		s.agent = agentConn // not a nil interface holding a nil conn
	}
	s.trips.Store(int64(1 + len(o.Jump)))
	s.stopKeep = s.keepalive()
	return s, nil
}

// handshake connects to o's host with dial (from here, or through the jump
// host via) and authenticates. It returns the agent socket it opened, if any.
func handshake(ctx context.Context, o SSHOptions, dial dialer, via string) (*ssh.Client, net.Conn, error) {
	addr := net.JoinHostPort(o.Address, strconv.Itoa(o.Port))
	auth, agentConn, tried, err := o.auth(addr)
	if err != nil {
		return nil, nil, err
	}
	closeAgent := func() {
		if agentConn != nil {
			agentConn.Close()
		}
	}

	var dl *deadline
	pause := func(ask func() (bool, error)) (bool, error) {
		dl.disarm()
		defer dl.arm()
		return ask()
	}
	hc, err := newHostKeyCheck(&o, addr, pause)
	if err != nil {
		closeAgent()
		return nil, nil, &HostKeyError{Addr: addr, Kind: HostKeyInvalid, Err: err}
	}

	conn, err := dial(ctx, addr)
	if err != nil {
		closeAgent()
		return nil, nil, err
	}
	// The handshake shares the connect timeout; cancelling ctx aborts it.
	dl = newDeadline(conn, o.ConnectTimeout)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	cfg := &ssh.ClientConfig{
		User:              o.User,
		Auth:              auth,
		HostKeyCallback:   hc.callback,
		HostKeyAlgorithms: hc.algos,
		Timeout:           o.ConnectTimeout,
	}
	c, chans, reqs, err := ssh.NewClientConn(conn, addr, cfg)
	expired := !dl.disarm()
	if !stop() || expired {
		if err == nil {
			c.Close()
		}
		err = ctx.Err()
		if expired {
			err = os.ErrDeadlineExceeded
		}
	}
	if err != nil {
		closeAgent()
		herr := handshakeError(addr, o, hc, tried, err)
		var he *HostKeyError
		if errors.As(herr, &he) && (he.Kind == HostKeyChanged || he.Kind == HostKeyMismatchPin) && he.Got == "" {
			// The host offers only key types we do not know for it: ask
			// again, accepting any type, to show what it offers.
			he.Got, he.Type = offeredKey(ctx, addr, o, dial)
		}
		var ce *ConnectError
		if errors.As(herr, &ce) && ce.Via == "" {
			ce.Via = via
		}
		return nil, nil, herr
	}
	return ssh.NewClient(c, chans, reqs), agentConn, nil
}

// offeredKey returns the fingerprint and type of the host key addr offers
// when any type is allowed; the handshake is abandoned there. Empty when the
// host cannot be asked.
func offeredKey(ctx context.Context, addr string, o SSHOptions, dial dialer) (fingerprint, keyType string) {
	conn, err := dial(ctx, addr)
	if err != nil {
		return "", ""
	}
	defer conn.Close()
	dl := newDeadline(conn, o.ConnectTimeout)
	defer dl.disarm()
	errSeen := errors.New("host key seen")
	_, _, _, _ = ssh.NewClientConn(conn, addr, &ssh.ClientConfig{User: o.User, Timeout: o.ConnectTimeout,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			fingerprint, keyType = ssh.FingerprintSHA256(k), k.Type()
			return errSeen
		}})
	return fingerprint, keyType
}

func (o *SSHOptions) defaults() error {
	if o.Address == "" {
		return &ConnectError{Reason: "no address given"}
	}
	if o.Port == 0 {
		o.Port = 22
	}
	if o.User == "" {
		o.User = "root"
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = DefaultCommandTimeout
	}
	if o.KeepaliveInterval <= 0 {
		o.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if o.KeepaliveMissed <= 0 {
		o.KeepaliveMissed = DefaultKeepaliveMissed
	}
	if o.KnownHostsFile == "" {
		o.KnownHostsFile = "~/.ssh/known_hosts"
	}
	var err error
	if o.KnownHostsFile, err = expandHome(o.KnownHostsFile); err != nil {
		return &HostKeyError{Addr: o.Address, Kind: HostKeyInvalid, Err: err}
	}
	if o.KeyFile, err = expandHome(o.KeyFile); err != nil {
		return &AuthError{User: o.User, Addr: o.Address, Reason: err.Error(), Err: err}
	}
	return nil
}

// auth collects the credentials to offer; tried names them for messages.
func (o *SSHOptions) auth(addr string) (auth goph.Auth, agentConn net.Conn, tried []string, err error) {
	fail := func(err error, format string, a ...any) (goph.Auth, net.Conn, []string, error) {
		return nil, nil, nil, &AuthError{User: o.User, Addr: addr, Reason: fmt.Sprintf(format, a...), Err: err}
	}
	switch sock := os.Getenv("SSH_AUTH_SOCK"); {
	case o.KeyFile != "":
		signer, err := goph.GetSigner(o.KeyFile, "")
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) && missing.PublicKey != nil && sock != "" {
			// As ssh does: the agent's copy of the key needs no passphrase.
			if s, c := agentSigner(sock, missing.PublicKey); s != nil {
				signer, err, agentConn = s, nil, c
			}
		}
		if errors.As(err, &missing) {
			if o.Passphrase == nil {
				return fail(err, "key file %s is encrypted and there is no terminal to ask for its passphrase; "+
					"load it into the SSH agent (ssh-add %s): the agent's copy is used", o.KeyFile, Quote(o.KeyFile))
			}
			pass, perr := o.Passphrase(o.KeyFile)
			if perr != nil {
				return fail(perr, "passphrase for %s: %v", o.KeyFile, perr)
			}
			signer, err = goph.GetSigner(o.KeyFile, string(pass))
			if errors.Is(err, x509.IncorrectPasswordError) {
				return fail(err, "wrong passphrase for key file %s", o.KeyFile)
			}
		}
		if err != nil {
			return fail(err, "key file %s: %v", o.KeyFile, err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
		tried = append(tried, "key file "+o.KeyFile)
	case sock != "":
		c, err := net.Dial("unix", sock)
		if err != nil {
			if o.Password == "" {
				return fail(err, "SSH agent (SSH_AUTH_SOCK=%s): %v", sock, err)
			}
			break
		}
		agentConn = c
		auth = append(auth, ssh.PublicKeysCallback(agent.NewClient(c).Signers))
		tried = append(tried, "the SSH agent")
	}
	if o.Password != "" {
		auth = append(auth, goph.KeyboardInteractive(o.Password)...)
		tried = append(tried, "password")
	}
	if len(auth) == 0 {
		return fail(nil, "no key_file, no SSH agent (SSH_AUTH_SOCK is not set) and no password")
	}
	return auth, agentConn, tried, nil
}

// agentSigner is the agent's signer for key, with the open agent socket;
// nil when the agent at sock does not hold key.
func agentSigner(sock string, key ssh.PublicKey) (ssh.Signer, net.Conn) {
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return nil, nil
	}
	signers, err := agent.NewClient(c).Signers()
	if err == nil {
		for _, s := range signers {
			if bytes.Equal(s.PublicKey().Marshal(), key.Marshal()) {
				return s, c
			}
		}
	}
	c.Close()
	return nil, nil
}

// handshakeError sorts a failed handshake into the three dial error types.
func handshakeError(addr string, o SSHOptions, hc *hostKeyCheck, tried []string, err error) error {
	var he *HostKeyError
	var neg *ssh.AlgorithmNegotiationError
	switch {
	case errors.As(err, &he):
		return he
	case errors.As(err, &neg) && neg.What == "host key" && hc.known != nil:
		known := *hc.known
		return &known
	case strings.Contains(err.Error(), "unable to authenticate"),
		strings.Contains(err.Error(), "authentication failures"):
		return &AuthError{User: o.User, Addr: addr, Err: err,
			Reason: "the server accepted none of: " + strings.Join(tried, ", ")}
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return connectError(addr, err, o.ConnectTimeout)
	}
	ce := connectError(addr, err, o.ConnectTimeout)
	ce.Reason = strings.TrimPrefix(err.Error(), "ssh: handshake failed: ")
	ce.Reason = "ssh handshake: " + strings.TrimPrefix(ce.Reason, "ssh: ")
	return ce
}

func expandHome(p string) (string, error) {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("expand %s: %w", p, err)
	}
	return filepath.Join(home, p[1:]), nil
}

// Host returns the address the transport was dialled with.
func (s *SSH) Host() string { return s.opts.Address }

// RoundTrips implements Transport.
func (s *SSH) RoundTrips() int { return int(s.trips.Load()) }

// Run implements Transport. One round trip.
func (s *SSH) Run(ctx context.Context, c Cmd) (Result, error) {
	s.trips.Add(1)
	return execute(ctx, c, s.esc, s.opts.CommandTimeout, s.start)
}

// WriteFile implements Transport: one command running writeScript, through
// sudo for a non-root user. One round trip.
func (s *SSH) WriteFile(ctx context.Context, f File) error {
	c, err := writeCmd(f)
	if err != nil {
		return err
	}
	s.trips.Add(1)
	res, err := execute(ctx, c, s.esc, s.opts.CommandTimeout, s.start)
	return writeResult(f.Path, res, err)
}

// Upload streams r to remotePath (mode 0644, owned by root), atomically: a
// temp file beside it, then rename. Root sessions use sftp; others send the
// content through sudo like WriteFile. One round trip.
func (s *SSH) Upload(ctx context.Context, r io.Reader, remotePath string) error {
	if err := checkPath(remotePath); err != nil {
		return fmt.Errorf("upload %q: %w", remotePath, err)
	}
	s.trips.Add(1)
	sc, err := s.sftpClient()
	if err != nil || !s.esc.root {
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("upload %s: %w", remotePath, err)
		}
		c, _ := writeCmd(File{Path: remotePath, Data: data})
		res, err := execute(ctx, c, s.esc, s.opts.CommandTimeout, s.start)
		return writeResult(remotePath, res, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CommandTimeout)
	defer cancel()
	if err := sftpUpload(ctx, sc, r, remotePath); err != nil {
		return fmt.Errorf("upload %s: %w", remotePath, err)
	}
	return nil
}

func sftpUpload(ctx context.Context, sc *sftp.Client, r io.Reader, remotePath string) (err error) {
	dir, name := path.Split(remotePath)
	tmp := dir + "." + name + "." + rand.Text()[:10]
	f, err := sc.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("directory %s does not exist", path.Dir(remotePath))
	}
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = sc.Remove(tmp)
		}
	}()
	stop := context.AfterFunc(ctx, func() { f.Close() })
	_, err = io.Copy(f, r)
	if err == nil {
		err = f.Chmod(DefaultFileMode)
	}
	if _, ok := sc.HasExtension("fsync@openssh.com"); ok && err == nil {
		err = f.Sync()
	}
	stop()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return err
	}
	return sc.PosixRename(tmp, remotePath)
}

// ReadFile returns the content of a remote file, read as root: over sftp for
// root sessions, with sudo cat otherwise. A missing file is fs.ErrNotExist.
// One round trip.
func (s *SSH) ReadFile(ctx context.Context, p string) ([]byte, error) {
	c, err := readCmd(p)
	if err != nil {
		return nil, err
	}
	s.trips.Add(1)
	sc, err := s.sftpClient()
	if err != nil || !s.esc.root {
		res, err := execute(ctx, c, s.esc, s.opts.CommandTimeout, s.start)
		return readResult(p, res, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.CommandTimeout)
	defer cancel()
	f, err := sc.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	defer f.Close()
	stop := context.AfterFunc(ctx, func() { f.Close() })
	defer stop()
	data, err := io.ReadAll(f)
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return data, nil
}

// sftpClient opens the sftp subsystem once, on first use. If the server has
// none, callers fall back to plain commands.
func (s *SSH) sftpClient() (*sftp.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sftp == nil && s.sftpErr == nil {
		s.sftp, s.sftpErr = s.client.NewSftp()
	}
	return s.sftp, s.sftpErr
}

// Close ends the connection.
func (s *SSH) Close() error {
	s.stopKeep()
	s.mu.Lock()
	if s.sftp != nil {
		s.sftp.Close()
		s.sftp = nil
	}
	s.mu.Unlock()
	if s.agent != nil {
		s.agent.Close()
	}
	err := s.client.Close()
	for i := len(s.hops) - 1; i >= 0; i-- {
		s.hops[i].Close()
	}
	return err
}

// start opens a session for one command line.
func (s *SSH) start(line string, stdout, stderr io.Writer) (started, error) {
	sess, err := s.newSession()
	if err != nil {
		return started{}, err
	}
	sess.Stdout, sess.Stderr = stdout, stderr
	stdin, err := sess.StdinPipe()
	if err == nil {
		err = sess.Start(line)
	}
	if err != nil {
		sess.Close()
		return started{}, err
	}
	return started{
		stdin: stdin,
		wait: func() (int, error) {
			err := sess.Wait()
			sess.Close()
			var exit *ssh.ExitError
			var missing *ssh.ExitMissingError
			switch {
			case errors.As(err, &exit):
				return exit.ExitStatus(), nil // 128+n when killed by signal n
			case s.lost.Load() != nil:
				return -1, s.lost.Load()
			case errors.As(err, &missing):
				return -1, &ConnectError{Addr: s.addr, Reason: "connection lost before the command exited", Err: err}
			case err != nil:
				return -1, err
			}
			return 0, nil
		},
		stop: func() {
			_ = sess.Signal(ssh.SIGKILL)
			sess.Close()
		},
	}, nil
}
