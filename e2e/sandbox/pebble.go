package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testca"
)

const (
	pebblePort       = 14000
	pebbleMgmtPort   = 15000
	challtestDNSPort = 8053
)

// pebble is Let's Encrypt's test CA with its mock DNS, which resolves every
// name to the target, so HTTP-01 validation reaches the target's port 80.
type pebble struct {
	Dir       string // config, certificates
	CAFile    string // CA of Pebble's own listener (for ACME clients)
	RootFile  string // root that signs issued certificates (for verifying them)
	Server    string // directory URL
	PIDs      []int
	procs     []*exec.Cmd
	done      []chan struct{}
	host      string
	challMgmt string
}

// startPebble runs pebble-challtestsrv and pebble on host (the host side of the
// veth) until stop; both also die with this process.
func startPebble(ctx context.Context, dir, host, target string, logw io.Writer) (*pebble, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pebble dir: %w", err)
	}
	p := &pebble{
		Dir:      dir,
		CAFile:   filepath.Join(dir, "ca.pem"),
		RootFile: filepath.Join(dir, "root.pem"),
		Server:   fmt.Sprintf("https://%s:%d/dir", host, pebblePort),
		host:     host,
	}
	tf, err := testca.New("pebble", host)
	if err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  net.JoinHostPort(host, strconv.Itoa(pebblePort)),
		"managementListenAddress":        net.JoinHostPort(host, strconv.Itoa(pebbleMgmtPort)),
		"certificate":                    certFile,
		"privateKey":                     keyFile,
		"httpPort":                       80,
		"tlsPort":                        443,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}}
	cfgJSON, _ := json.MarshalIndent(cfg, "", "  ")
	for name, data := range map[string][]byte{"ca.pem": tf.CA, "cert.pem": tf.Cert, "key.pem": tf.Key, "config.json": cfgJSON} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("write pebble %s: %w", name, err)
		}
	}
	os.Chmod(p.CAFile, 0o644)
	mgmt, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	p.challMgmt = net.JoinHostPort("127.0.0.1", strconv.Itoa(mgmt))
	dns := net.JoinHostPort(host, strconv.Itoa(challtestDNSPort))
	chall := exec.Command("pebble-challtestsrv", "-dns01", dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
		"-management", p.challMgmt, "-defaultIPv4", target, "-defaultIPv6", "")
	peb := exec.Command("pebble", "-config", filepath.Join(dir, "config.json"), "-dnsserver", dns)
	// No random sleeps before validation and no random nonce rejections: fast
	// and deterministic for tests.
	peb.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
	for _, c := range []*exec.Cmd{chall, peb} {
		c.Stdout, c.Stderr = logw, logw
		c.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("start %s: %w", c.Path, err)
		}
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		p.PIDs, p.procs, p.done = append(p.PIDs, c.Process.Pid), append(p.procs, c), append(p.done, done)
	}
	if err := p.fetchRoot(ctx, tf.CA); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// stop ends Pebble and its DNS and waits for them, so none is left behind.
func (p *pebble) stop() {
	for i, c := range p.procs {
		c.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done[i]:
		case <-time.After(3 * time.Second):
			c.Process.Kill()
			<-p.done[i]
		}
	}
}

// fetchRoot waits for Pebble's management API and saves the root it issues
// certificates under; it is made fresh at every start.
func (p *pebble) fetchRoot(ctx context.Context, ca []byte) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool},
		Proxy:           nil,
	}}
	url := fmt.Sprintf("https://%s/roots/0", net.JoinHostPort(p.host, strconv.Itoa(pebbleMgmtPort)))
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		resp, err := client.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && rerr == nil && len(body) > 0 {
				// Also wait for the ACME directory itself.
				if dresp, derr := client.Get(p.Server); derr == nil {
					dresp.Body.Close()
					if dresp.StatusCode == http.StatusOK {
						if err := os.WriteFile(p.RootFile, body, 0o644); err != nil {
							return err
						}
						// What an operator of a private ACME CA gives the
						// installer: the CA of its API and the root it issues under.
						return os.WriteFile(bundleFile(p.CAFile), append(append([]byte{}, ca...), body...), 0o644)
					}
				}
			}
			last = fmt.Errorf("GET %s: %s", url, resp.Status)
		} else {
			last = err
		}
		if err := sleep(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("pebble not ready after 30s: %v", last)
}

// bundleFile is the ACME CA bundle of the answers file, beside Pebble's CA.
func bundleFile(caFile string) string { return filepath.Join(filepath.Dir(caFile), "bundle.pem") }

// ACMERoots is a pool with the root of the certificates the target's ACME
// server issues: what a client trusts to reach the target's nginx.
func (t *Target) ACMERoots() (*x509.CertPool, error) {
	root, err := os.ReadFile(t.ACMERoot)
	if err != nil {
		return nil, fmt.Errorf("ACME root: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(root) {
		return nil, fmt.Errorf("no certificate in %s", t.ACMERoot)
	}
	return pool, nil
}
