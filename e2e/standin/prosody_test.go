package standin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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

	"github.com/jitsi-installer/jitsi-installer/internal/jwttest"
	"github.com/jitsi-installer/jitsi-installer/internal/loopback"
	"github.com/jitsi-installer/jitsi-installer/internal/testca"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// certificate writes NAME.crt and NAME.key, a certificate for name from a
// throw-away CA. NAME.crt is the full chain, so it also serves as the CA
// file of a client that must trust the server.
func certificate(t *testing.T, dir, name string) {
	t.Helper()
	f, err := testca.New(name, name)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, name+".crt"), append(f.Cert, f.CA...), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, name+".key"), f.Key, 0o600))
}

// start runs a process for the rest of the test, its output in log.
func start(t *testing.T, log string, name string, args ...string) {
	t.Helper()
	startEnv(t, log, nil, name, args...)
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

// luaLibsFor54 makes Debian 12's lua-basexx and lua-inspect, which ship
// files for Lua 5.1-5.3 only, loadable by Prosody's Lua 5.4, the way an
// installer must: a directory of links put on LUA_PATH. It fails when the
// Debian packages are not installed.
func luaLibsFor54(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, lib := range []string{"basexx", "inspect"} {
		var found string
		for _, v := range []string{"5.4", "5.3", "5.2", "5.1"} {
			p := "/usr/share/lua/" + v + "/" + lib + ".lua"
			if _, err := os.Stat(p); err == nil {
				found = p
				break
			}
		}
		if found == "" {
			testenv.Skip(t, "lua-"+lib+" is not installed (apt-get install prosody lua-luaossl lua-basexx lua-cjson lua-inspect lua-sec)")
		}
		must(t, os.Symlink(found, filepath.Join(dir, lib+".lua")))
	}
	return dir + "/?.lua;;"
}

// prosodyOpts say how startProsody configures the host.
type prosodyOpts struct {
	suite   string // Suite when empty
	version string // the suite's newest release when empty
	// keys: the key source lines, as the installer writes them.
	keys string
	// audiences: asap_accepted_audiences as a Lua list; unset when empty.
	audiences string
	// noLuaPath: leave basexx and inspect unloadable (Debian 12 as is).
	noLuaPath bool
}

// prosodyHost is a Prosody run by startProsody.
type prosodyHost struct {
	root           string // the extracted packages
	dir, main, log string
	c2s, httpPort  int
	env            []string // for prosodyctl
}

// startProsody runs the host's real Prosody with the Prosody config and
// plugins of a release's jitsi-meet-prosody (and jicofo's daemon extracted
// too), switched to token auth as jitsi-meet-tokens' postinst does, with the
// key source of o, and an anonymous guest host. focus and jvb are
// registered and the focus component is in focus's roster, as the postinst
// leaves them.
func startProsody(t *testing.T, r *Repo, o prosodyOpts) *prosodyHost {
	t.Helper()
	testenv.Tools(t, "apt-get install prosody lua-luaossl lua-basexx lua-cjson lua-inspect lua-sec python3 ruby-hocon",
		"prosody", "prosodyctl", "python3", "hocon", "perl")
	if o.suite == "" {
		o.suite = Suite
	}
	dir := t.TempDir()
	p := &prosodyHost{dir: dir, root: filepath.Join(dir, "root")}
	run(t, "dpkg-deb", "--extract", debVersion(t, r, o.suite, o.version, "jitsi-meet-prosody"), p.root)
	run(t, "dpkg-deb", "--extract", debVersion(t, r, o.suite, o.version, "jicofo"), p.root)
	certs := filepath.Join(dir, "certs")
	must(t, os.Mkdir(certs, 0o755))
	certificate(t, certs, prosodyDomain)
	certificate(t, certs, "auth."+prosodyDomain)

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
	token := "authentication = \"token\" -- do not delete me\n    app_id = \"jitsi\"\n    " + o.keys
	if o.audiences != "" {
		token += "\n    asap_accepted_audiences = " + o.audiences
	}
	cfg := strings.NewReplacer(
		`"/usr/share/jitsi-meet/prosody-plugins/"`, `"`+filepath.Join(p.root, "usr/share/jitsi-meet/prosody-plugins")+`/"`,
		"/etc/prosody/certs/", certs+"/",
		`authentication = "jitsi-anonymous" -- do not delete me`, token,
		`--"token_verification";`, `"token_verification";`,
		// What jitsi-meet-prosody's postinst does to the template.
		`"polls";`, `--"polls";`,
		// The auth host's certificate, which the postinst adds.
		`VirtualHost "auth.`+prosodyDomain+`"`, `VirtualHost "auth.`+prosodyDomain+`"`+"\n    ssl = { key = \""+certs+"/auth."+prosodyDomain+".key\"; certificate = \""+certs+"/auth."+prosodyDomain+".crt\"; }",
	).Replace(string(b))
	if strings.Contains(cfg, "__") {
		t.Fatalf("unrendered placeholder in:\n%s", cfg)
	}
	cfg += "\nVirtualHost \"guest." + prosodyDomain + "\"\n    authentication = \"jitsi-anonymous\"\n    modules_enabled = { \"bosh\"; }\n"
	must(t, os.WriteFile(hostCfg, []byte(cfg), 0o644))

	p.c2s, p.httpPort = loopback.Port(t), loopback.Port(t)
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
component_ports = { }
http_ports = { %d }
https_ports = { }
http_interfaces = { "127.0.0.1" }
admin_socket = %q
log = { debug = %q }
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; "posix"; }
Include %q
`, filepath.Join(dir, "prosody.pid"), filepath.Join(dir, "data"), p.c2s, loopback.Port(t), p.httpPort,
		filepath.Join(dir, "admin.sock"), p.log, filepath.Join(dir, "conf.d", "*.cfg.lua"))
	must(t, os.WriteFile(p.main, []byte(mainCfg), 0o644))

	p.env = os.Environ()
	if !o.noLuaPath {
		p.env = append(p.env, "LUA_PATH="+luaLibsFor54(t))
	}
	p.ctl(t, "register", "focus", "auth."+prosodyDomain, "focus-pass")
	p.ctl(t, "register", "jvb", "auth."+prosodyDomain, "jvb-pass")
	p.ctl(t, "mod_roster_command", "subscribe", "focus."+prosodyDomain, "focus@auth."+prosodyDomain)

	startEnv(t, filepath.Join(dir, "prosody.out"), p.env, "prosody", "--config", p.main, "-F")
	eventually(t, "prosody listens", func() string {
		for _, port := range []int{p.c2s, p.httpPort} {
			c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
			if err != nil {
				return err.Error()
			}
			c.Close()
		}
		return ""
	})
	return p
}

// ctl runs prosodyctl with the test's config.
func (p *prosodyHost) ctl(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("prosodyctl", append([]string{"--config", p.main}, args...)...)
	cmd.Env = p.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("prosodyctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// startEnv is start with an environment; nil is the test's own.
func startEnv(t *testing.T, log string, env []string, name string, args ...string) {
	t.Helper()
	f, err := os.Create(log)
	must(t, err)
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr, cmd.Env = f, f, env
	must(t, cmd.Start())
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		f.Close()
	})
}

// logText is prosody.log so far.
func (p *prosodyHost) logText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.log)
	must(t, err)
	return string(b)
}

// logErrors returns Prosody's error lines and failed module loads.
func (p *prosodyHost) logErrors(t *testing.T) []string {
	t.Helper()
	var bad []string
	for _, line := range strings.Split(p.logText(t), "\n") {
		if strings.Contains(line, "\terror\t") || strings.Contains(line, "Unable to load") {
			bad = append(bad, line)
		}
	}
	return bad
}

const prosodyDomain = "meet.test"

// jwksServer serves {"keys": keys} with Cache-Control max-age and counts
// the fetches.
type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	fetches int
}

func newJWKSServer(t *testing.T, maxAge int, keys ...map[string]any) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	body, err := json.Marshal(map[string]any{"keys": keys})
	must(t, err)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		s.fetches++
		s.mu.Unlock()
		w.Header().Set("Cache-Control", fmt.Sprintf("max-age=%d", maxAge))
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// signIn opens a BOSH session with token on host and signs in; wait is the
// BOSH wait, which bounds a sign-in that gets no answer.
func (p *prosodyHost) signIn(t *testing.T, host, token string, wait int) (*BOSH, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(wait+20)*time.Second)
	defer cancel()
	b, got, err := OpenBOSH(ctx, http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/http-bind", p.httpPort), host, token, wait)
	if errors.Is(err, ErrNoAnswer) {
		return nil, "no answer"
	}
	if err != nil {
		t.Fatal(err)
	}
	return b, got
}

// claims are valid claims for a token for room on prosodyDomain.
func claims(room string) map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": "jitsi", "aud": "jitsi", "sub": prosodyDomain, "room": room,
		"exp": now + 600, "nbf": now - 10, "context": map[string]any{"user": map[string]any{"name": "Test"}}}
}

// with returns c with the changes (nil deletes a claim).
func with(c map[string]any, changes map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// TestTokenPluginChecksTokensAsUpstream runs the host's real Prosody with
// the stand-in token plugin and a JWKS, as the installer configures it, and
// signs in over BOSH with tokens upstream accepts or refuses.
func TestTokenPluginChecksTokensAsUpstream(t *testing.T) {
	r := testRepo(t)
	k1 := jwttest.NewKey(t, "k1")
	foreign := jwttest.NewKey(t, "k1") // same kid, another key
	jwks := newJWKSServer(t, 300, k1.JWK())
	p := startProsody(t, r, prosodyOpts{
		keys:      `cache_keys_url = "` + jwks.URL + `/jwks"`,
		audiences: `{ "jitsi" }`,
	})
	eventually(t, "prosody fetches the JWKS", func() string {
		if jwks.count() > 0 {
			return ""
		}
		return "the JWKS was not fetched"
	})

	good := claims("*")
	now := time.Now().Unix()
	for _, tt := range []struct {
		name, token, want string
	}{
		{"valid token", k1.Sign(good, nil), "success"},
		{"no exp (optional upstream)", k1.Sign(with(good, map[string]any{"exp": nil}), nil), "success"},
		{"RS384", k1.Sign(good, map[string]any{"alg": "RS384"}), "failure"}, // signature_algorithm is RS256
		{"foreign signature with a known kid", foreign.Sign(good, nil), "failure"},
		{"aud as an array", k1.Sign(with(good, map[string]any{"aud": []string{"jitsi"}}), nil), "failure"},
		{"aud not accepted", k1.Sign(with(good, map[string]any{"aud": "other"}), nil), "failure"},
		{"typ not JWT", k1.Sign(good, map[string]any{"typ": "at+jwt"}), "failure"},
		{"no typ", k1.Sign(good, map[string]any{"typ": nil}), "failure"},
		{"alg HS256 with a kid", k1.Sign(good, map[string]any{"alg": "HS256"}), "failure"},
		{"no kid", k1.Sign(good, map[string]any{"kid": nil}), "failure"},
		{"iss not accepted", k1.Sign(with(good, map[string]any{"iss": "https://elsewhere"}), nil), "failure"},
		{"exp as a string", k1.Sign(with(good, map[string]any{"exp": strconv.FormatInt(now+600, 10)}), nil), "failure"},
		{"expired", k1.Sign(with(good, map[string]any{"exp": now - 10}), nil), "failure"},
		{"nbf in the future", k1.Sign(with(good, map[string]any{"nbf": now + 600}), nil), "failure"},
		{"nbf as a string", k1.Sign(with(good, map[string]any{"nbf": "0"}), nil), "failure"},
		{"no room claim", k1.Sign(with(good, map[string]any{"room": nil}), nil), "failure"},
		{"no sub claim", k1.Sign(with(good, map[string]any{"sub": nil}), nil), "failure"},
		{"another sub (checked at room join)", k1.Sign(with(good, map[string]any{"sub": "other.example"}), nil), "success"},
		{"tampered payload", jwttest.Tamper(t, k1.Sign(good, nil), "other"), "failure"},
		{"no token", "", "failure"},
	} {
		if _, got := p.signIn(t, prosodyDomain, tt.token, 10); got != tt.want {
			t.Errorf("BOSH sign-in, %s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if _, got := p.signIn(t, "guest."+prosodyDomain, "", 10); got != "success" {
		t.Errorf("anonymous BOSH sign-in on the guest host: %s", got)
	}
	// A kid the JWKS lacks, with no asap_key_server: upstream raises a Lua
	// error and the sign-in gets no answer.
	start := time.Now()
	if _, got := p.signIn(t, prosodyDomain, jwttest.NewKey(t, "k2").Sign(good, nil), 3); got != "no answer" {
		t.Errorf("BOSH sign-in with a kid the JWKS lacks: %s, want no answer", got)
	}
	if d := time.Since(start); d < 2*time.Second {
		t.Errorf("the sign-in with an unknown kid was answered after %s", d)
	}
	if testing.Verbose() {
		for _, line := range strings.Split(p.logText(t), "\n") {
			if strings.Contains(line, "Error verifying token") {
				t.Log(line)
			}
		}
	}
	if !strings.Contains(p.logText(t), "attempt to concatenate a nil value") {
		t.Errorf("prosody.log has no Lua error for the unknown kid")
	}
	for _, line := range p.logErrors(t) {
		if !strings.Contains(line, "Traceback[bosh]") && !strings.Contains(line, "not allowed to join") {
			t.Errorf("prosody.log: %s", line)
		}
	}
}

// TestJWKSRefreshAndECKeys: the JWKS is fetched again after its max-age
// (minus 60 s); an EC key in it raises a Lua error in the refresh, which
// stops every later refresh and leaves the keys after it unknown.
func TestJWKSRefreshAndECKeys(t *testing.T) {
	r := testRepo(t)
	k1 := jwttest.NewKey(t, "k1")
	for _, tt := range []struct {
		name      string
		keys      []map[string]any
		refreshes bool
		k1        string // sign-in with a k1 token
	}{
		{"RSA keys only", []map[string]any{k1.JWK()}, true, "success"},
		{"EC key before the RSA key", []map[string]any{jwttest.ECJWK(t, "ec1"), k1.JWK()}, false, "no answer"},
		{"EC key after the RSA key", []map[string]any{k1.JWK(), jwttest.ECJWK(t, "ec1")}, false, "success"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// max-age=62: the next refresh is due after 2 s.
			jwks := newJWKSServer(t, 62, tt.keys...)
			p := startProsody(t, r, prosodyOpts{keys: `cache_keys_url = "` + jwks.URL + `/jwks"`})
			// Two readers: mod_auth_token's and mod_token_verification's.
			eventually(t, "prosody fetches the JWKS", func() string {
				if jwks.count() >= 2 {
					return ""
				}
				return "the JWKS was not fetched twice"
			})
			n0 := jwks.count()
			time.Sleep(5 * time.Second)
			if n := jwks.count(); (n > n0) != tt.refreshes {
				t.Errorf("JWKS fetched %d times in 5 s after the first fetches, want refreshes: %v", n-n0, tt.refreshes)
			}
			if _, got := p.signIn(t, prosodyDomain, k1.Sign(claims("*"), nil), 3); got != tt.k1 {
				t.Errorf("sign-in with the RSA key's token: %s, want %s", got, tt.k1)
			}
			if ec := strings.Contains(p.logText(t), "attempt to index a nil value"); ec == tt.refreshes {
				t.Errorf("Lua error for the EC key in prosody.log: %v", ec)
			}
		})
	}
}

// TestTokenPluginNeedsTheLuaLibraries: on Debian 12 (Lua 5.4) basexx and
// inspect are not loadable as installed; the plugin then fails to load, as
// upstream's does, and the host offers no way to sign in.
func TestTokenPluginNeedsTheLuaLibraries(t *testing.T) {
	r := testRepo(t)
	jwks := newJWKSServer(t, 300, jwttest.NewKey(t, "k1").JWK())
	if _, err := os.Stat("/usr/share/lua/5.4/basexx.lua"); err == nil {
		t.Skip("basexx is installed for Lua 5.4 on this host")
	}
	p := startProsody(t, r, prosodyOpts{keys: `cache_keys_url = "` + jwks.URL + `/jwks"`, noLuaPath: true})
	eventually(t, "the token plugin fails to load", func() string {
		if strings.Contains(p.logText(t), "module 'basexx' not found") {
			return ""
		}
		return "no \"module 'basexx' not found\" in prosody.log"
	})
	_, _, err := OpenBOSH(context.Background(), http.DefaultClient, fmt.Sprintf("http://127.0.0.1:%d/http-bind", p.httpPort), prosodyDomain, "x.y.z", 1)
	if err == nil || !strings.Contains(err.Error(), "does not offer SASL ANONYMOUS") {
		t.Errorf("sign-in without the Lua libraries: %v, want no SASL ANONYMOUS offered\n%s", err, p.logText(t))
	}
}

// TestJicofoCreatesTheRoomAndTokensAreCheckedAtJoin runs both daemon
// stand-ins against the real Prosody: the bridge joins the brewery, Jicofo
// counts it, answers the web app's conference request through the focus
// component by creating the room, and mod_token_verification checks room
// and sub at join.
func TestJicofoCreatesTheRoomAndTokensAreCheckedAtJoin(t *testing.T) {
	r := testRepo(t)
	k1 := jwttest.NewKey(t, "k1")
	jwks := newJWKSServer(t, 300, k1.JWK())
	p := startProsody(t, r, prosodyOpts{keys: `cache_keys_url = "` + jwks.URL + `/jwks"`})
	host, dir := prosodyDomain, p.dir

	daemon := filepath.Join(p.root, "usr/share/jicofo/jicofo.py")
	if b, err := os.ReadFile(daemon); err != nil || strings.Contains(string(b), versionMarker) {
		t.Fatalf("jicofo.py lacks its version: %v", err)
	}
	jvbConf := filepath.Join(dir, "jvb.conf")
	jicofoConf := filepath.Join(dir, "jicofo.conf")
	writeJicofo := func(password string) {
		must(t, os.WriteFile(jicofoConf, []byte(fmt.Sprintf(`jicofo {
  xmpp: { client: { hostname: "127.0.0.1", port: %d, domain: "auth.%s", username: "focus", password: %q, client-proxy: "focus.%s" } }
  bridge: { brewery-jid: "JvbBrewery@internal.auth.%s" }
}
`, p.c2s, host, password, host, host)), 0o644))
	}
	writeJicofo("rotated")
	must(t, os.WriteFile(jvbConf, []byte(fmt.Sprintf(`videobridge {
    apis { xmpp-client { configs { shard {
        HOSTNAME = "127.0.0.1"
        PORT = %d
        DOMAIN = "auth.%s"
        USERNAME = "jvb"
        PASSWORD = "jvb-pass"
        MUC_JIDS = "JvbBrewery@internal.auth.%s"
        MUC_NICKNAME = "bridge-1"
    } } } }
}
`, p.c2s, host, host)), 0o644))
	cafile := filepath.Join(dir, "certs", "auth."+host+".crt")
	jvbPort, jicofoPort := loopback.Port(t), loopback.Port(t)
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
	writeJicofo("focus-pass")
	eventually(t, "jicofo health with the bridge in the brewery", func() string {
		if code, body := health(jicofoPort); code != http.StatusOK {
			return fmt.Sprintf("%d %s", code, body)
		}
		return ""
	})
	if stats := getJSON(t, jvbPort, "/colibri/stats"); stats["healthy"] != true {
		t.Errorf("/colibri/stats: %v", stats)
	}
	stats := getJSON(t, jicofoPort, "/stats")
	if bs, _ := stats["bridge_selector"].(map[string]any); bs["bridge_count"] != 1.0 || stats["conferences"] != 0.0 {
		t.Errorf("jicofo /stats before a conference: %v", stats)
	}

	ctx := context.Background()
	room := "room1@conference." + host
	signedIn := func(token string) *BOSH {
		t.Helper()
		b, got := p.signIn(t, host, token, 10)
		if got != "success" {
			t.Fatalf("sign-in: %s", got)
		}
		if _, err := b.Bind(ctx); err != nil {
			t.Fatal(err)
		}
		return b
	}

	// Before Jicofo created it, the room does not exist: a user may not
	// create it (upstream: room-does-not-exist).
	early := signedIn(k1.Sign(claims("room1"), nil))
	if got, err := early.Join(ctx, room, "early"); err != nil || !strings.Contains(got, "not-allowed") {
		t.Errorf("join before the conference request: %v %s", err, got)
	}

	// The web app's conference request, through focus.HOST.
	got, err := early.Conference(ctx, room)
	if err != nil || !strings.Contains(got, "ready='true'") && !strings.Contains(got, `ready="true"`) {
		jl, _ := os.ReadFile(filepath.Join(dir, "jicofo.log"))
		var pl []string
		for _, line := range strings.Split(p.logText(t), "\n") {
			if strings.Contains(line, "focus") || strings.Contains(line, "error") {
				pl = append(pl, line)
			}
		}
		t.Fatalf("conference request: %v %s\njicofo.log:\n%s\nprosody.log:\n%s", err, got, jl, strings.Join(pl, "\n"))
	}
	for _, tt := range []struct {
		name, token, nick string
		ok                bool
	}{
		{"token for this room", k1.Sign(claims("room1"), nil), "alice", true},
		{"token for any room", k1.Sign(claims("*"), nil), "bob", true},
		{"token for another room", k1.Sign(claims("room2"), nil), "carol", false},
		{"token with another sub", k1.Sign(with(claims("*"), map[string]any{"sub": "other.example"}), nil), "dave", false},
		{"token with sub *", k1.Sign(with(claims("*"), map[string]any{"sub": "*"}), nil), "erin", true},
	} {
		b := signedIn(tt.token)
		got, err := b.Join(ctx, room, tt.nick)
		if err != nil {
			t.Errorf("%s: join: %v", tt.name, err)
			continue
		}
		if joined := !strings.Contains(got, "type='error'") && !strings.Contains(got, `type="error"`); joined != tt.ok {
			t.Errorf("%s: join answered %s, want joined %v", tt.name, got, tt.ok)
		}
	}
	eventually(t, "jicofo counts the conference and its participants", func() string {
		stats := getJSON(t, jicofoPort, "/stats")
		if stats["conferences"] != 1.0 || stats["participants"] != 3.0 {
			return fmt.Sprint(stats)
		}
		return ""
	})
}

func getJSON(t *testing.T, port int, path string) map[string]any {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d%s", port, path))
	must(t, err)
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return v
}

// TestOldProsodyReadsKeysFromTheKeyServer runs the token plugin of OldSuite:
// keys come from BASE/hex(sha256(kid)).pem, and cache_keys_url is not an
// option it knows.
func TestOldProsodyReadsKeysFromTheKeyServer(t *testing.T) {
	r := testRepo(t)
	k1 := jwttest.NewKey(t, "k1")
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
		fmt.Fprint(w, k1.PEM())
	}))
	defer keys.Close()
	p := startProsody(t, r, prosodyOpts{suite: OldSuite, keys: `asap_key_server = "` + keys.URL + `/asap"`})

	if _, got := p.signIn(t, prosodyDomain, k1.Sign(claims("*"), nil), 10); got != "success" {
		t.Errorf("a token whose kid the key server has: %s", got)
	}
	if _, got := p.signIn(t, prosodyDomain, jwttest.NewKey(t, "k2").Sign(claims("*"), nil), 10); got != "failure" {
		t.Errorf("a token whose kid the key server lacks: %s", got)
	}
	mu.Lock()
	if len(asked) == 0 || asked[0] != known {
		t.Errorf("key server asked for %v, want %s first", asked, known)
	}
	mu.Unlock()

	// A JWKS URL alone leaves this release without a key source.
	q := startProsody(t, r, prosodyOpts{suite: OldSuite, keys: `cache_keys_url = "` + keys.URL + `/jwks"`})
	eventually(t, "the old plugin refuses cache_keys_url", func() string {
		if strings.Contains(q.logText(t), "'app_secret' or 'asap_key_server' must be specified") {
			return ""
		}
		return "prosody.log does not say the key source is missing"
	})
}
