package standin

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// selfSigned writes NAME.crt and NAME.key for a self-signed certificate.
func selfSigned(t *testing.T, dir, name string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600))
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// start runs a process for the rest of the test, its output in log.
func start(t *testing.T, log string, name string, args ...string) {
	t.Helper()
	f, err := os.Create(log)
	must(t, err)
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = f, f
	must(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
	})
}

// eventually polls check every 200 ms until it returns "" or 30 s pass.
func eventually(t *testing.T, what string, check func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		if last = check(); last == "" {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: %s", what, last)
}

func health(port int) (int, string) {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/about/health", port))
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// prosodyHost is a Prosody run by startProsody.
type prosodyHost struct {
	root           string // the extracted packages
	dir, main, log string
	c2s, httpPort  int
}

// startProsody runs the host's real Prosody with the Prosody config and
// plugins of suite's jitsi-meet-prosody (and jicofo's daemon extracted too),
// switched to token auth with keyOption as the installer configures it, and
// an anonymous guest host.
func startProsody(t *testing.T, r *Repo, suite, keyOption string) *prosodyHost {
	t.Helper()
	for _, tool := range []string{"prosody", "prosodyctl", "python3", "hocon", "perl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install prosody python3 ruby-hocon)", tool)
		}
	}
	dir := t.TempDir()
	p := &prosodyHost{dir: dir, root: filepath.Join(dir, "root")}
	run(t, "dpkg-deb", "--extract", debOf(t, r, suite, "jitsi-meet-prosody"), p.root)
	run(t, "dpkg-deb", "--extract", debOf(t, r, suite, "jicofo"), p.root)
	certs := filepath.Join(dir, "certs")
	must(t, os.Mkdir(certs, 0o755))
	selfSigned(t, certs, prosodyDomain)
	selfSigned(t, certs, "auth."+prosodyDomain)

	// Render the template with the postinst's own function.
	lib, err := sources.ReadFile("pkgs/common/lib.sh")
	must(t, err)
	libPath := filepath.Join(dir, "lib.sh")
	must(t, os.WriteFile(libPath, lib, 0o644))
	hostCfg := filepath.Join(dir, "conf.d", prosodyDomain+".cfg.lua")
	must(t, os.MkdirAll(filepath.Dir(hostCfg), 0o755))
	render := exec.Command("bash", "-c", `. "$1"; standin_render "$2" "$3"`, "render", libPath,
		filepath.Join(p.root, "usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example"), hostCfg)
	render.Env = append(os.Environ(), "STANDIN_HOST="+prosodyDomain, "STANDIN_FOCUS_USER=focus", "STANDIN_TURN_SECRET=turn")
	if out, err := render.CombinedOutput(); err != nil {
		t.Fatalf("standin_render: %v\n%s", err, out)
	}
	b, err := os.ReadFile(hostCfg)
	must(t, err)
	cfg := strings.NewReplacer(
		`"/usr/share/jitsi-meet/prosody-plugins/"`, `"`+filepath.Join(p.root, "usr/share/jitsi-meet/prosody-plugins")+`/"`,
		"/etc/prosody/certs/", certs+"/",
		`authentication = "jitsi-anonymous" -- do not delete me`,
		"authentication = \"token\"\n    app_id = \"jitsi\"\n    "+keyOption,
		`--"token_verification";`, `"token_verification";`,
	).Replace(string(b))
	if strings.Contains(cfg, "__") {
		t.Fatalf("unrendered placeholder in:\n%s", cfg)
	}
	cfg += "\nVirtualHost \"guest." + prosodyDomain + "\"\n    authentication = \"jitsi-anonymous\"\n    modules_enabled = { \"bosh\"; }\n"
	must(t, os.WriteFile(hostCfg, []byte(cfg), 0o644))

	p.c2s, p.httpPort = freePort(t), freePort(t)
	p.log = filepath.Join(dir, "prosody.log")
	p.main = filepath.Join(dir, "prosody.cfg.lua")
	must(t, os.MkdirAll(filepath.Join(dir, "data"), 0o750))
	mainCfg := fmt.Sprintf(`run_as_root = true
daemonize = false
pidfile = %q
data_path = %q
interfaces = { "127.0.0.1" }
c2s_ports = { %d }
s2s_ports = { %d }
http_ports = { %d }
https_ports = { }
http_interfaces = { "127.0.0.1" }
admin_socket = %q
log = { debug = %q }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix"; }
Include %q
`, filepath.Join(dir, "prosody.pid"), filepath.Join(dir, "data"), p.c2s, freePort(t), p.httpPort,
		filepath.Join(dir, "admin.sock"), p.log, filepath.Join(dir, "conf.d", "*.cfg.lua"))
	must(t, os.WriteFile(p.main, []byte(mainCfg), 0o644))

	start(t, filepath.Join(dir, "prosody.out"), "prosody", "--config", p.main, "-F")
	eventually(t, "prosody listens", func() string {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(p.c2s))
		if err != nil {
			return err.Error()
		}
		c.Close()
		return ""
	})
	return p
}

// logErrors returns Prosody's error lines and failed module loads.
func (p *prosodyHost) logErrors(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(p.log)
	must(t, err)
	var bad []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "\terror\t") || strings.Contains(line, "Unable to load") {
			bad = append(bad, line)
		}
	}
	return bad
}

const prosodyDomain = "meet.test"

// TestProsodyRunsTheConfigAndDaemonsLogIn runs the host's real Prosody with
// the stand-in's Prosody config and plugins, switched to token auth with a
// JWKS URL as the installer configures it, then the daemon stand-ins
// against it.
func TestProsodyRunsTheConfigAndDaemonsLogIn(t *testing.T) {
	r := testRepo(t)
	const host = prosodyDomain
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		fmt.Fprint(w, `{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"sXch","e":"AQAB"}]}`)
	}))
	defer jwks.Close()
	p := startProsody(t, r, Suite, `cache_keys_url = "`+jwks.URL+`/jwks"`)
	dir, root, main, c2s, httpPort, logFile := p.dir, p.root, p.main, p.c2s, p.httpPort, p.log
	certs := filepath.Join(dir, "certs")

	run(t, "prosodyctl", "--config", main, "register", "focus", "auth."+host, "focus-pass")
	run(t, "prosodyctl", "--config", main, "register", "jvb", "auth."+host, "jvb-pass")

	daemon := filepath.Join(root, "usr/share/jicofo/jicofo.py")
	jvbConf := filepath.Join(dir, "jvb.conf")
	must(t, os.WriteFile(jvbConf, []byte(fmt.Sprintf(`videobridge {
    apis { xmpp-client { configs { shard {
        hostname = "127.0.0.1"
        port = %d
        domain = "auth.%s"
        username = "jvb"
        password = "jvb-pass"
    } } } }
}
`, c2s, host)), 0o644))
	jicofoConf := filepath.Join(dir, "jicofo.conf")
	must(t, os.WriteFile(jicofoConf, []byte(fmt.Sprintf(`jicofo {
  xmpp: { client: { hostname: "127.0.0.1", port: %d, domain: "auth.%s", username: "focus", password: "rotated" } }
}
`, c2s, host)), 0o644))
	cafile := filepath.Join(certs, "auth."+host+".crt")
	jvbPort, jicofoPort := freePort(t), freePort(t)
	start(t, filepath.Join(dir, "jvb.log"), "python3", daemon, "--role", "jvb", "--config", jvbConf,
		"--port", strconv.Itoa(jvbPort), "--udp-port", "0", "--cafile", cafile)
	start(t, filepath.Join(dir, "jicofo.log"), "python3", daemon, "--role", "jicofo", "--config", jicofoConf,
		"--port", strconv.Itoa(jicofoPort), "--cafile", cafile)

	eventually(t, "bridge health", func() string {
		if code, body := health(jvbPort); code != http.StatusOK {
			return fmt.Sprintf("%d %s", code, body)
		}
		return ""
	})
	// A password Prosody does not know: unhealthy, with Jitsi's error.
	eventually(t, "jicofo health with a wrong password", func() string {
		code, body := health(jicofoPort)
		if code == http.StatusInternalServerError && strings.Contains(body, "SASLError using PLAIN: not-authorized") {
			return ""
		}
		return fmt.Sprintf("%d %s", code, body)
	})
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/colibri/stats", jvbPort))
	must(t, err)
	stats, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(stats), `"healthy": true`) {
		t.Errorf("/colibri/stats: %s", stats)
	}

	eventually(t, "prosody fetches the JWKS", func() string {
		b, _ := os.ReadFile(logFile)
		if strings.Contains(string(b), "fetched JWKS "+jwks.URL) {
			return ""
		}
		return "no 'fetched JWKS' in prosody.log"
	})

	now := time.Now().Unix()
	good := map[string]any{"iss": "jitsi", "aud": "jitsi", "sub": host, "room": "*", "exp": now + 600, "nbf": now - 10}
	expired := map[string]any{"iss": "jitsi", "aud": "jitsi", "sub": host, "room": "*", "exp": now - 10}
	noRoom := map[string]any{"iss": "jitsi", "aud": "jitsi", "sub": host, "exp": now + 600}
	for _, tt := range []struct {
		name, token, want string
	}{
		{"valid claims and a published kid", jwt("k1", good), "success"},
		{"expired", jwt("k1", expired), "failure"},
		{"unknown kid", jwt("k2", good), "failure"},
		{"no room claim", jwt("k1", noRoom), "failure"},
		{"no token", "", "failure"},
	} {
		if got := boshAuth(t, httpPort, host, tt.token); got != tt.want {
			t.Errorf("BOSH sign-in with a token, %s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := boshAuth(t, httpPort, "guest."+host, ""); got != "success" {
		t.Errorf("anonymous BOSH sign-in on the guest host: %s", got)
	}
	for _, line := range p.logErrors(t) {
		t.Errorf("prosody.log: %s", line)
	}
}

// jwt makes an RS256-shaped token; the stand-in plugin does not check the
// signature, so it is random.
func jwt(kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "RS256", "typ": "JWT", "kid": kid})
	c, _ := json.Marshal(claims)
	sig := make([]byte, 256)
	rand.Read(sig)
	enc := base64.RawURLEncoding.EncodeToString
	return enc(h) + "." + enc(c) + "." + enc(sig)
}

// boshAuth opens a BOSH session to host (with ?token= when token is set),
// tries SASL ANONYMOUS and returns "success" or "failure".
func boshAuth(t *testing.T, port int, host, token string) string {
	t.Helper()
	got, err := SignIn(context.Background(), http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/http-bind", port), host, token)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestOldProsodyReadsKeysFromTheKeyServer runs the token plugin of OldSuite:
// a kid counts once BASE/hex(sha256(kid)).pem answers with a public key, and
// cache_keys_url is not an option it knows.
func TestOldProsodyReadsKeysFromTheKeyServer(t *testing.T) {
	r := testRepo(t)
	var mu sync.Mutex
	var asked []string
	known := fmt.Sprintf("/asap/%x.pem", sha256.Sum256([]byte("k1")))
	keys := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		asked = append(asked, req.URL.Path)
		mu.Unlock()
		if req.URL.Path != known {
			http.NotFound(w, req)
			return
		}
		fmt.Fprint(w, "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----\n")
	}))
	defer keys.Close()
	p := startProsody(t, r, OldSuite, `asap_key_server = "`+keys.URL+`/asap"`)

	now := time.Now().Unix()
	good := map[string]any{"iss": "jitsi", "aud": "jitsi", "sub": prosodyDomain, "room": "*", "exp": now + 600, "nbf": now - 10}
	// The first token with a kid not fetched yet is refused; later ones pass.
	eventually(t, "a token with a kid the key server has", func() string {
		if got := boshAuth(t, p.httpPort, prosodyDomain, jwt("k1", good)); got != "success" {
			return got
		}
		return ""
	})
	for range 2 {
		if got := boshAuth(t, p.httpPort, prosodyDomain, jwt("k2", good)); got != "failure" {
			t.Errorf("a token with a kid the key server lacks: %s", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	if len(asked) == 0 || asked[0] != known {
		t.Errorf("key server asked for %v, want %s first", asked, known)
	}
	mu.Unlock()
	for _, line := range p.logErrors(t) {
		if !strings.Contains(line, "key server "+keys.URL+"/asap/") {
			t.Errorf("prosody.log: %s", line)
		}
	}

	// A JWKS URL alone leaves this release without a key source.
	q := startProsody(t, r, OldSuite, `cache_keys_url = "`+keys.URL+`/jwks"`)
	eventually(t, "the old plugin refuses cache_keys_url", func() string {
		b, _ := os.ReadFile(q.log)
		if strings.Contains(string(b), "'app_secret' or 'asap_key_server' must be specified") {
			return ""
		}
		return "prosody.log does not say the key source is missing"
	})
}
