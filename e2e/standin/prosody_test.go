package standin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
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
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
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

// TestProsodyRunsTheConfigAndDaemonsLogIn runs the host's real Prosody with
// the stand-in's Prosody config and plugins, switched to token auth with a
// JWKS URL as the installer configures it, then the daemon stand-ins
// against it.
func TestProsodyRunsTheConfigAndDaemonsLogIn(t *testing.T) {
	r := testRepo(t)
	for _, tool := range []string{"prosody", "prosodyctl", "python3", "hocon", "perl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (apt-get install prosody python3 ruby-hocon)", tool)
		}
	}
	const host = "meet.test"
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	run(t, "dpkg-deb", "--extract", deb(t, r, "jitsi-meet-prosody"), root)
	run(t, "dpkg-deb", "--extract", deb(t, r, "jicofo"), root)
	certs := filepath.Join(dir, "certs")
	must(t, os.Mkdir(certs, 0o755))
	selfSigned(t, certs, host)
	selfSigned(t, certs, "auth."+host)

	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		fmt.Fprint(w, `{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256","n":"sXch","e":"AQAB"}]}`)
	}))
	defer jwks.Close()

	// Render the template with the postinst's own function.
	lib, err := sources.ReadFile("pkgs/common/lib.sh")
	must(t, err)
	libPath := filepath.Join(dir, "lib.sh")
	must(t, os.WriteFile(libPath, lib, 0o644))
	hostCfg := filepath.Join(dir, "conf.d", host+".cfg.lua")
	must(t, os.MkdirAll(filepath.Dir(hostCfg), 0o755))
	render := exec.Command("bash", "-c", `. "$1"; standin_render "$2" "$3"`, "render", libPath,
		filepath.Join(root, "usr/share/jitsi-meet-prosody/prosody.cfg.lua-jvb.example"), hostCfg)
	render.Env = append(os.Environ(), "STANDIN_HOST="+host, "STANDIN_FOCUS_USER=focus", "STANDIN_TURN_SECRET=turn")
	if out, err := render.CombinedOutput(); err != nil {
		t.Fatalf("standin_render: %v\n%s", err, out)
	}
	b, err := os.ReadFile(hostCfg)
	must(t, err)
	cfg := strings.NewReplacer(
		`"/usr/share/jitsi-meet/prosody-plugins/"`, `"`+filepath.Join(root, "usr/share/jitsi-meet/prosody-plugins")+`/"`,
		"/etc/prosody/certs/", certs+"/",
		`authentication = "jitsi-anonymous" -- do not delete me`,
		"authentication = \"token\"\n    app_id = \"jitsi\"\n    cache_keys_url = \""+jwks.URL+"/jwks\"",
		`--"token_verification";`, `"token_verification";`,
	).Replace(string(b))
	if strings.Contains(cfg, "__") {
		t.Fatalf("unrendered placeholder in:\n%s", cfg)
	}
	cfg += "\nVirtualHost \"guest." + host + "\"\n    authentication = \"jitsi-anonymous\"\n    modules_enabled = { \"bosh\"; }\n"
	must(t, os.WriteFile(hostCfg, []byte(cfg), 0o644))

	c2s, httpPort := freePort(t), freePort(t)
	logFile := filepath.Join(dir, "prosody.log")
	main := filepath.Join(dir, "prosody.cfg.lua")
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
`, filepath.Join(dir, "prosody.pid"), filepath.Join(dir, "data"), c2s, freePort(t), httpPort,
		filepath.Join(dir, "admin.sock"), logFile, filepath.Join(dir, "conf.d", "*.cfg.lua"))
	must(t, os.WriteFile(main, []byte(mainCfg), 0o644))

	start(t, filepath.Join(dir, "prosody.out"), "prosody", "--config", main, "-F")
	eventually(t, "prosody listens", func() string {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(c2s))
		if err != nil {
			return err.Error()
		}
		c.Close()
		return ""
	})
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
	b, err = os.ReadFile(logFile)
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "\terror\t") || strings.Contains(line, "Unable to load") {
			t.Errorf("prosody.log: %s", line)
		}
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
	u := fmt.Sprintf("http://127.0.0.1:%d/http-bind", port)
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	post := func(body string) string {
		req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		// Prosody routes HTTP by the Host header, as nginx passes it.
		req.Host = host
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	const ns = `xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'`
	rid := 1000
	open := post(fmt.Sprintf(`<body rid='%d' to='%s' wait='10' hold='1' ver='1.6' xmpp:version='1.0' %s/>`, rid, host, ns))
	m := regexp.MustCompile(`sid='([^']+)'`).FindStringSubmatch(open)
	if m == nil {
		t.Fatalf("no BOSH session: %s", open)
	}
	for i := 0; i < 3 && !strings.Contains(open, "<mechanism>ANONYMOUS</mechanism>"); i++ {
		rid++
		open = post(fmt.Sprintf(`<body rid='%d' sid='%s' %s/>`, rid, m[1], ns))
	}
	if !strings.Contains(open, "<mechanism>ANONYMOUS</mechanism>") {
		t.Fatalf("%s does not offer SASL ANONYMOUS over BOSH: %s", host, open)
	}
	rid++
	reply := post(fmt.Sprintf(`<body rid='%d' sid='%s' %s><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/></body>`, rid, m[1], ns))
	switch {
	case strings.Contains(reply, "<success"):
		return "success"
	case strings.Contains(reply, "<failure"):
		return "failure"
	}
	return "no answer: " + reply
}
