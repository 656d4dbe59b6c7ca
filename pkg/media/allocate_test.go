package media

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testca"
	"github.com/pion/logging"
	"github.com/pion/turn/v4"
)

const sharedSecret = "static-auth-secret of the test server"

// server is pion's TURN server on loopback with coturn's use-auth-secret
// scheme, on UDP and on TLS with a certificate for 127.0.0.1.
type server struct {
	udp, tls int
	roots    *x509.CertPool
}

func newServer(t *testing.T) server {
	t.Helper()
	cert, roots := testCert(t)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp4", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	quiet := &logging.DefaultLoggerFactory{Writer: io.Discard, DefaultLogLevel: logging.LogLevelDisabled}
	relay := &turn.RelayAddressGeneratorStatic{RelayAddress: net.ParseIP("127.0.0.1"), Address: "127.0.0.1"}
	s, err := turn.NewServer(turn.ServerConfig{
		Realm:             "meet.example.com",
		AuthHandler:       turn.LongTermTURNRESTAuthHandler(sharedSecret, quiet.NewLogger("turn")),
		LoggerFactory:     quiet,
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: pc, RelayAddressGenerator: relay}},
		ListenerConfigs:   []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: relay}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return server{udp: pc.LocalAddr().(*net.UDPAddr).Port, tls: ln.Addr().(*net.TCPAddr).Port, roots: roots}
}

// testCert is a certificate for 127.0.0.1, valid for a year, and its CA.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	f, err := testca.New("turn", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(f.Cert, f.Key)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(f.CA)
	return cert, roots
}

// credentials are what Prosody hands out: the expiry as the username, the
// HMAC-SHA1 of it with the shared secret as the password.
func credentials(t *testing.T, secret string) (string, string) {
	t.Helper()
	u, p, err := turn.GenerateLongTermCredentials(secret, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return u, p
}

// pion's server answers a wrong MESSAGE-INTEGRITY with 400 where coturn
// answers 401; both are the credentials' fault.
func TestAllocate(t *testing.T) {
	srv := newServer(t)
	user, pass := credentials(t, sharedSecret)
	_, wrong := credentials(t, "another secret")
	closed := loopback.Port(t)
	for _, c := range []struct {
		name  string
		s     Service
		o     Options
		stage Stage
		code  int
		says  string
	}{
		{name: "udp", s: Service{Type: "turn", Host: "127.0.0.1", Port: srv.udp, Transport: "udp", Username: user, Password: pass}},
		{name: "tls", s: Service{Type: "turns", Host: "127.0.0.1", Port: srv.tls, Transport: "tcp", Username: user, Password: pass},
			o: Options{RootCAs: srv.roots, MinValid: 14 * 24 * time.Hour}},
		{name: "udp, credentials of another secret", s: Service{Type: "turn", Host: "127.0.0.1", Port: srv.udp, Username: user, Password: wrong},
			stage: StageAllocate, code: 400, says: "refused the allocation: 400 Bad Request"},
		{name: "tls, credentials of another secret", s: Service{Type: "turns", Host: "127.0.0.1", Port: srv.tls, Transport: "tcp", Username: user, Password: wrong},
			o: Options{RootCAs: srv.roots}, stage: StageAllocate, code: 400, says: "refused the allocation: 400 Bad Request"},
		{name: "tls, certificate of an unknown CA", s: Service{Type: "turns", Host: "127.0.0.1", Port: srv.tls, Transport: "tcp", Username: user, Password: pass},
			stage: StageTLS, says: "certificate signed by unknown authority"},
		{name: "tls, self-signed: name and expiry only", s: Service{Type: "turns", Host: "127.0.0.1", Port: srv.tls, Transport: "tcp", Username: user, Password: pass},
			o: Options{SkipChain: true, MinValid: 14 * 24 * time.Hour}},
		{name: "tls, self-signed for another name", s: Service{Type: "turns", Host: "turn.invalid", Port: srv.tls, Transport: "tcp", Username: user, Password: pass},
			o: Options{SkipChain: true, Fallback: "127.0.0.1"}, stage: StageTLS, says: "wanted to match turn.invalid"},
		{name: "tls, certificate expiring", s: Service{Type: "turns", Host: "127.0.0.1", Port: srv.tls, Transport: "tcp", Username: user, Password: pass},
			o: Options{RootCAs: srv.roots, MinValid: 400 * 24 * time.Hour}, stage: StageCert, says: "expires"},
		{name: "tls, nothing listens", s: Service{Type: "turns", Host: "127.0.0.1", Port: closed, Transport: "tcp", Username: user, Password: pass},
			stage: StageConnect, says: "connection refused"},
		{name: "udp, nothing listens", s: Service{Type: "turn", Host: "127.0.0.1", Port: closed, Username: user, Password: pass},
			stage: StageConnect, says: "port unreachable"},
		{name: "a name that resolves nowhere, with the host's address", s: Service{Type: "turn", Host: "turn.invalid", Port: srv.udp, Username: user, Password: pass},
			o: Options{Fallback: "127.0.0.1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := Allocate(context.Background(), c.s, c.o)
			if c.stage == "" {
				if err != nil {
					t.Fatalf("allocate: %v", err)
				}
				if a.Relayed == nil || !strings.HasPrefix(a.Relayed.String(), "127.0.0.1:") {
					t.Errorf("relayed address %v", a.Relayed)
				}
				if c.s.TLS() != (a.Cert != nil) {
					t.Errorf("certificate %v for %s", a.Cert, c.s.URI())
				}
				return
			}
			var f *Failure
			if !errors.As(err, &f) {
				t.Fatalf("allocate: %v, want a failure at %s", err, c.stage)
			}
			if f.Stage != c.stage || f.Code != c.code || f.TLS != c.s.TLS() || !strings.Contains(f.Answer, c.says) {
				t.Errorf("failure %s %d %q, want %s %d %q", f.Stage, f.Code, f.Answer, c.stage, c.code, c.says)
			}
			for _, s := range []string{user, pass, wrong} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("the failure shows a credential: %v", err)
				}
			}
		})
	}
}

func TestUDPPortOpen(t *testing.T) {
	// A socket that never answers, as the bridge's to a stranger.
	silent, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if err := UDPPortOpen(context.Background(), "127.0.0.1", silent.LocalAddr().(*net.UDPAddr).Port, "", time.Second); err != nil {
		t.Errorf("a silent open port: %v", err)
	}
	closed := loopback.Port(t)
	err = UDPPortOpen(context.Background(), "127.0.0.1", closed, "", time.Second)
	var f *Failure
	if !errors.As(err, &f) || f.Stage != StageConnect || f.Addr != "127.0.0.1:"+strconv.Itoa(closed) {
		t.Errorf("a closed port: %v, want a connect failure on it", err)
	}
}
