package assets

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestCoturnAcceptsConfig starts Debian's coturn on loopback with the
// rendered file: it knows every option, and its TLS port speaks TLS 1.2
// and 1.3 only.
func TestCoturnAcceptsConfig(t *testing.T) {
	testenv.Tools(t, "apt-get install coturn openssl", "turnserver", "openssl")
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	run(t, exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
		"-subj", "/CN=meet.example.com", "-keyout", key, "-out", crt))
	for _, c := range []struct {
		name     string
		d        Data
		tcpRelay bool
	}{
		{"default", testData(), false},
		{"443", turn443Data(), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conf := loopbackCoturn(t, mustRender(t, TURN, c.d), crt, key)
			log, port := startCoturn(t, conf, dir)
			if bad := regexp.MustCompile(`(?m)^.*(Bad configuration format|CONFIG ERROR|[Uu]nknown option).*$`).FindAllString(log.String(), -1); len(bad) > 0 {
				t.Errorf("coturn refuses lines of the file:\n%s", strings.Join(bad, "\n"))
			}
			if got := strings.Contains(log.String(), "TCP relay endpoints are not allowed"); got == c.tcpRelay {
				t.Errorf("TCP relay refused: %v, want %v", got, !c.tcpRelay)
			}
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			// coturn sends no alert for a hello it refuses: the handshake
			// gets no answer and times out, while 1.2 and 1.3 complete at once.
			for _, v := range []struct {
				name   string
				max    uint16
				accept bool
			}{
				{"TLS 1.0", tls.VersionTLS10, false},
				{"TLS 1.1", tls.VersionTLS11, false},
				{"TLS 1.2", tls.VersionTLS12, true},
				{"TLS 1.3", tls.VersionTLS13, true},
			} {
				err := handshake(addr, v.max)
				if (err == nil) != v.accept {
					t.Errorf("%s on coturn's TLS port: error %v, want accepted %v", v.name, err, v.accept)
				}
			}
		})
	}
}

// TestTLS11ProbeWorks: the probe above does speak TLS 1.1 to a server that
// allows it, so a refusal is coturn's.
func TestTLS11ProbeWorks(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10}
	srv.StartTLS()
	defer srv.Close()
	if err := handshake(srv.Listener.Addr().String(), tls.VersionTLS11); err != nil {
		t.Fatalf("TLS 1.1 to a server that allows it: %v", err)
	}
}

// handshake completes a TLS handshake at max or below, down to TLS 1.0,
// with every cipher suite Go has.
func handshake(addr string, max uint16) error {
	var suites []uint16
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		suites = append(suites, s.ID)
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: &tls.Config{
		InsecureSkipVerify: true, // the protocol is under test, not the certificate
		MinVersion:         tls.VersionTLS10, MaxVersion: max, CipherSuites: suites,
	}}
	c, err := d.DialContext(context.Background(), "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// loopbackCoturn is the rendered file with the test's certificate and
// logging to stdout instead of syslog; every other line stays.
func loopbackCoturn(t *testing.T, conf []byte, crt, key string) []byte {
	t.Helper()
	var out []string
	for _, l := range strings.Split(string(conf), "\n") {
		switch {
		case strings.HasPrefix(l, "cert="):
			l = "cert=" + crt
		case strings.HasPrefix(l, "pkey="):
			l = "pkey=" + key
		case l == "syslog":
			continue
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n"))
}

// startCoturn runs turnserver with conf on loopback ports of its own until
// the test ends and returns its log and TLS port once that port accepts.
func startCoturn(t *testing.T, conf []byte, dir string) (*syncBuffer, int) {
	t.Helper()
	plain, tlsPort := loopback.Port(t), loopback.Port(t)
	p := writeTemp(t, t.TempDir(), "turnserver.conf", conf)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "turnserver", "-c", p, "--log-file=stdout",
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
		"--listening-port="+strconv.Itoa(plain), "--tls-listening-port="+strconv.Itoa(tlsPort),
		"--pidfile="+filepath.Join(t.TempDir(), "turnserver.pid"), "--db="+filepath.Join(t.TempDir(), "turndb"))
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("turnserver: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(tlsPort)), time.Second)
		if err == nil {
			c.Close()
			return log, tlsPort
		}
		if time.Now().After(deadline) {
			t.Fatalf("coturn does not listen on its TLS port %d:\n%s", tlsPort, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// syncBuffer is a log that a process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
