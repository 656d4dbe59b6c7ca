package media

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v3"
	"github.com/pion/turn/v4"
)

// Stage is how far a check got before it failed.
type Stage string

const (
	StageResolve  Stage = "resolve"  // the service's host name
	StageConnect  Stage = "connect"  // TCP connect, or a UDP answer at all
	StageTLS      Stage = "tls"      // handshake and certificate
	StageCert     Stage = "expiry"   // the certificate expires too soon
	StageAllocate Stage = "allocate" // the TURN server refused the allocation
)

// Failure is a failed check: the stage, what answered, and the TURN error
// code when the server sent one.
type Failure struct {
	Stage  Stage
	TLS    bool   // the service is reached over TLS (turns:)
	Addr   string // where the check connected
	Answer string // what answered, in words
	Code   int    // TURN error code (401, 403, 437, 486, 508), 0 when none
	Err    error
}

func (f *Failure) Error() string { return f.Answer }
func (f *Failure) Unwrap() error { return f.Err }

// Options say how to reach a service from here.
type Options struct {
	// Fallback is the address to connect to when the service's host does
	// not resolve here (a name only the host's own resolver knows).
	Fallback string
	// RootCAs verify a TLS service's certificate; nil for the system's.
	RootCAs *x509.CertPool
	// SkipChain checks a TLS certificate's name and expiry but not who
	// signed it: a self-signed certificate.
	SkipChain bool
	// MinValid is how long a TLS service's certificate must stay valid.
	MinValid time.Duration
	// Timeout bounds each check; 10s when zero.
	Timeout time.Duration
	// Now is the clock for the expiry check; time.Now when nil.
	Now func() time.Time
}

// Allocation is what a successful allocation showed.
type Allocation struct {
	Addr    string            // where the check connected
	Relayed net.Addr          // the relay address the server allocated
	Cert    *x509.Certificate // the server's certificate (TLS only)
}

// Allocate allocates a UDP relay on a TURN service with its credentials,
// as a browser does with an ICE server: over UDP for turn:, over TLS
// (SNI and certificate checked as the service's host) for turns:.
func Allocate(ctx context.Context, s Service, o Options) (*Allocation, error) {
	a, err := allocateOn(ctx, s, o)
	var f *Failure
	if errors.As(err, &f) {
		f.TLS = s.TLS()
	}
	return a, err
}

func allocateOn(ctx context.Context, s Service, o Options) (*Allocation, error) {
	if !s.TURN() {
		return nil, fmt.Errorf("%s is not a TURN service", s.URI())
	}
	if s.Transport != "" && s.Transport != "udp" && !(s.TLS() && s.Transport == "tcp") {
		return nil, fmt.Errorf("%s: allocating over %s is not supported", s.URI(), s.Transport)
	}
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	addr, err := resolve(ctx, s.Host, s.port(), o.Fallback)
	if err != nil {
		return nil, err
	}
	a := &Allocation{Addr: addr}
	var conn net.PacketConn
	if s.TLS() {
		c, cert, err := dialTLS(ctx, addr, s.Host, o)
		if err != nil {
			return nil, err
		}
		a.Cert = cert
		conn = turn.NewSTUNConn(c)
	} else {
		c, err := (&net.Dialer{}).DialContext(ctx, "udp", addr)
		if err != nil {
			return nil, &Failure{Stage: StageConnect, Addr: addr, Answer: "UDP " + addr + ": " + err.Error(), Err: err}
		}
		conn = &connectedUDP{Conn: c}
	}
	defer conn.Close()
	relayed, err := allocate(ctx, conn, addr, s)
	if err != nil {
		return nil, err
	}
	a.Relayed = relayed
	return a, nil
}

// resolve is host:port as this machine resolves host, or fallback:port
// when it does not.
func resolve(ctx context.Context, host string, port int, fallback string) (string, error) {
	p := strconv.Itoa(port)
	if net.ParseIP(host) != nil {
		return net.JoinHostPort(host, p), nil
	}
	ips, err := net.DefaultResolver.LookupHost(ctx, host)
	if err == nil && len(ips) > 0 {
		// IPv4 first: the TURN client resolves its server as udp4.
		for _, ip := range ips {
			if net.ParseIP(ip).To4() != nil {
				return net.JoinHostPort(ip, p), nil
			}
		}
		return net.JoinHostPort(ips[0], p), nil
	}
	if fallback != "" {
		return net.JoinHostPort(fallback, p), nil
	}
	return "", &Failure{Stage: StageResolve, Answer: host + " does not resolve here: " + errString(err), Err: err}
}

func errString(err error) string {
	if err == nil {
		return "no address"
	}
	return err.Error()
}

// dialTLS connects and checks the certificate against name, its chain and
// how long it stays valid.
func dialTLS(ctx context.Context, addr, name string, o Options) (net.Conn, *x509.Certificate, error) {
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, &Failure{Stage: StageConnect, Addr: addr, Answer: "TCP " + addr + ": " + connError(err), Err: err}
	}
	c := tls.Client(raw, &tls.Config{ServerName: name, RootCAs: o.RootCAs, MinVersion: tls.VersionTLS12, InsecureSkipVerify: o.SkipChain})
	err = c.HandshakeContext(ctx)
	if err == nil && o.SkipChain {
		err = c.ConnectionState().PeerCertificates[0].VerifyHostname(name)
	}
	if err != nil {
		raw.Close()
		return nil, nil, &Failure{Stage: StageTLS, Addr: addr, Answer: "TLS on " + addr + ": " + err.Error(), Err: err}
	}
	cert := c.ConnectionState().PeerCertificates[0]
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if left := cert.NotAfter.Sub(now()); left < o.MinValid {
		c.Close()
		return nil, nil, &Failure{Stage: StageCert, Addr: addr,
			Answer: fmt.Sprintf("the certificate on %s for %s expires %s, within %s", addr, name, cert.NotAfter.UTC().Format(time.RFC3339), o.MinValid)}
	}
	_ = c.SetDeadline(deadline(ctx))
	return c, cert, nil
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

func connError(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (nothing listens, or a firewall rejects it)"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, syscall.ETIMEDOUT):
		return "no answer (a firewall drops it, or the host is down)"
	}
	return err.Error()
}

// allocate runs the TURN exchange on conn: the unauthenticated request,
// the 401 with realm and nonce, the request with the long-term credential.
func allocate(ctx context.Context, conn net.PacketConn, addr string, s Service) (net.Addr, error) {
	if u, ok := conn.(*connectedUDP); ok {
		u.onRefused = func() { conn.Close() }
	}
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: addr, Conn: conn, Username: s.Username, Password: s.Password,
		Software:      "jitsi-installer verify",
		LoggerFactory: &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled},
	})
	if err != nil {
		return nil, fmt.Errorf("TURN client for %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		return nil, fmt.Errorf("TURN client for %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	relay, err := c.Allocate()
	if err != nil {
		return nil, allocateFailure(addr, conn, err)
	}
	defer relay.Close()
	return relay.LocalAddr(), nil
}

// allocateFailure says what answered an allocation that failed.
func allocateFailure(addr string, conn net.PacketConn, err error) error {
	var te *stun.TurnError
	if errors.As(err, &te) {
		code, reason := int(te.ErrorCodeAttr.Code), string(te.ErrorCodeAttr.Reason)
		if reason == "" {
			reason = reasons[code]
		}
		return &Failure{Stage: StageAllocate, Addr: addr, Code: code,
			Answer: strings.TrimSpace(fmt.Sprintf("the TURN server on %s refused the allocation: %d %s", addr, code, reason)), Err: err}
	}
	if u, ok := conn.(*connectedUDP); ok && u.refused() {
		return &Failure{Stage: StageConnect, Addr: addr, Answer: "UDP " + addr + ": port unreachable (nothing listens, or a firewall rejects it)", Err: err}
	}
	return &Failure{Stage: StageConnect, Addr: addr, Answer: "no TURN answer from " + addr + " (a firewall drops it, or nothing listens): " + err.Error(), Err: err}
}

// reasons name the error codes of RFC 8489 and 8656 for a server that
// sends none.
var reasons = map[int]string{400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 437: "Allocation Mismatch",
	441: "Wrong Credentials", 442: "Unsupported Transport Protocol", 486: "Allocation Quota Reached", 508: "Insufficient Capacity"}

// connectedUDP is a connected UDP socket as the PacketConn the TURN client
// wants: connected, so that the kernel reports an ICMP port unreachable
// as a read error instead of dropping it.
type connectedUDP struct {
	net.Conn
	mu        sync.Mutex
	refusal   bool
	onRefused func()
}

func (u *connectedUDP) ReadFrom(b []byte) (int, net.Addr, error) {
	n, err := u.Read(b)
	if errors.Is(err, syscall.ECONNREFUSED) {
		u.mu.Lock()
		u.refusal = true
		f := u.onRefused
		u.mu.Unlock()
		if f != nil {
			f()
		}
	}
	return n, u.RemoteAddr(), err
}

func (u *connectedUDP) WriteTo(b []byte, _ net.Addr) (int, error) { return u.Write(b) }

func (u *connectedUDP) refused() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.refusal
}
