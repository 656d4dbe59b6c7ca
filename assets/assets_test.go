package assets

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// allModules is what a current jitsi-meet-prosody installs.
var allModules = map[string]bool{
	"muc_meeting_id": true, "muc_domain_mapper": true, "muc_hide_all": true, "muc_rate_limit": true,
	"muc_password_whitelist": true, "polls": true, "polls_component": true, "limits_exception": true,
	"speakerstats": true, "speakerstats_component": true, "conference_duration": true,
	"end_conference": true, "muc_lobby_rooms": true, "muc_breakout_rooms": true,
	"av_moderation": true, "av_moderation_component": true, "room_metadata": true,
	"room_metadata_component": true, "token_verification": true, "client_proxy": true,
}

func testData() Data {
	return Data{
		Domain:         "meet.example.com",
		Issuer:         "https://jans.example.com",
		Audience:       "meet-client",
		AppID:          "jitsi",
		ClientID:       "2001.3f8a-client",
		JWKSURL:        "https://jans.example.com/jans-auth/restv1/jwks",
		KeyServerURL:   DefaultKeyServerURL,
		AuthorizeURL:   "https://jans.example.com/jans-auth/restv1/authorize",
		TokenURL:       "https://jans.example.com/jans-auth/restv1/token",
		EndSessionURL:  "https://jans.example.com/jans-auth/restv1/end_session",
		JanssenOrigin:  "https://jans.example.com",
		FocusPassword:  "focusSecret4Test7",
		JVBPassword:    "jvbSecret4Test9",
		TURNSecret:     "turnSecret4Test2",
		JVBInstanceID:  "3c1d2a7e-5b0f-4d2e-9a61-0f1e2d3c4b5a",
		ChannelLastN:   20,
		StunServers:    []string{"stun.example.net:3478", "192.0.2.10:443"},
		Shard:          "shard1",
		Region:         "eu-central",
		Environment:    "prod",
		CertFile:       "/etc/letsencrypt/live/meet.example.com/fullchain.pem",
		KeyFile:        "/etc/letsencrypt/live/meet.example.com/privkey.pem",
		TURN:           true,
		TURNUserQuota:  100,
		TURNTotalQuota: 1200,
		XMPPFrom:       []string{"10.20.0.0/24"},
		ProsodyModules: allModules,
	}
}

func keyServerData() Data {
	d := testData()
	d.KeyServerMode = true
	return d
}

// turn443Data adds TURN over TLS on port 443 under a name of its own, with
// TCP relay allowed and no quotas.
func turn443Data() Data {
	d := testData()
	d.TURN443Host = "turn.meet.example.com"
	d.TURNTCPRelay = true
	d.TURNUserQuota, d.TURNTotalQuota = 0, 0
	return d
}

// minimalData is a host whose Prosody has nothing but Jitsi's core token modules.
func minimalData() Data {
	d := testData()
	d.ProsodyModules = nil
	d.TURN = false
	d.StunServers = nil
	d.Shard, d.Region, d.Environment = "", "", ""
	d.EndSessionURL, d.JanssenOrigin = "", ""
	d.XMPPFrom = nil
	return d
}

// bridgeData is a videobridge on its own host, in one of several regions.
func bridgeData() Data {
	d := testData()
	d.XMPPHost, d.WSHost, d.Relay = "198.51.100.10", "0.0.0.0", true
	d.JVBInstanceID, d.Region = "jvb-198-51-100-21", "us-east"
	return d
}

// scaledData is a core without a bridge of its own and two remote ones in
// two regions.
func scaledData() Data {
	d := testData()
	d.NoLocalBridge, d.Relay = true, true
	d.Bridges = []Bridge{{ID: "jvb-198-51-100-21", Upstream: "198.51.100.21:9090", Region: "us-east"},
		{ID: "jvb-2001-db8--22", Upstream: "[2001:db8::22]:9090", Region: "eu-central"}}
	return d
}

type variant struct {
	file, name string
	data       Data
}

func variants() []variant {
	var vs []variant
	for _, n := range Names() {
		if n != NginxStream {
			vs = append(vs, variant{n, n, testData()})
		}
	}
	vs = append(vs, variant{NginxStream, NginxStream, turn443Data()})
	// Other answers, each rendered into the assets they change; the golden
	// file is named after the asset and the answers.
	for _, a := range []struct {
		suffix string
		data   func() Data
		names  []string
	}{
		{"-443", turn443Data, []string{TURN, Nginx, Prosody}},
		{"-keyserver", keyServerData, []string{Prosody}},
		{"-minimal", minimalData, []string{Prosody, ConfigJS, Nginx, JVB}},
		{"-noturn", minimalData, []string{CertbotDeployHook}},
		{"-bridge", bridgeData, []string{JVB}},
		{"-bridges", scaledData, []string{Nginx}},
		{"-relay", scaledData, []string{Jicofo}},
	} {
		for _, n := range a.names {
			vs = append(vs, variant{n + a.suffix, n, a.data()})
		}
	}
	return vs
}

func mustRender(t *testing.T, name string, d Data) []byte {
	t.Helper()
	b, err := Render(name, d)
	if err != nil {
		t.Fatalf("Render(%s): %v", name, err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, v := range variants() {
		t.Run(v.file, func(t *testing.T) {
			golden.Assert(t, filepath.Join("testdata", v.file+".golden"), mustRender(t, v.name, v.data))
		})
	}
}

func TestNamesAndDest(t *testing.T) {
	for _, n := range Names() {
		if templates.Lookup(n) == nil {
			t.Errorf("no template %s", n)
		}
		if !strings.HasPrefix(Dest(n, "meet.example.com"), "/") {
			t.Errorf("Dest(%s) = %q", n, Dest(n, "meet.example.com"))
		}
	}
	if _, err := Render("nope", testData()); err == nil {
		t.Error("unknown template rendered")
	}
}

func TestEnabled(t *testing.T) {
	for name, want := range map[string]string{
		Prosody:       "/etc/prosody/conf.d/meet.example.com.cfg.lua",
		Nginx:         "/etc/nginx/sites-enabled/meet.example.com.conf",
		KeyServerSite: "/etc/nginx/sites-enabled/jitsi-installer-keyserver.conf",
		Jicofo:        "",
	} {
		if got := Enabled(name, "meet.example.com"); got != want {
			t.Errorf("Enabled(%s) = %q, want %q", name, got, want)
		}
	}
}

// TestSecretsOnlyWhereIntended: each secret is in the files of the
// components that use it, once, and nowhere else.
func TestSecretsOnlyWhereIntended(t *testing.T) {
	d := turn443Data()
	if got := Secrets(d); len(got) != 3 {
		t.Fatalf("Secrets = %d values, want 3", len(got))
	}
	want := map[string]map[string]int{
		d.FocusPassword: {Jicofo: 1},
		d.JVBPassword:   {JVB: 1},
		d.TURNSecret:    {Prosody: 1, TURN: 1},
	}
	for _, n := range Names() {
		out := string(mustRender(t, n, d))
		for s, where := range want {
			if c := strings.Count(out, s); c != where[n] {
				t.Errorf("%s holds a secret %d times, want %d", n, c, where[n])
			}
		}
	}
	noTurn := d
	noTurn.TURN, noTurn.TURN443Host = false, ""
	if strings.Contains(string(mustRender(t, Prosody, noTurn)), d.TURNSecret) {
		t.Error("Prosody config holds the TURN secret without a TURN server")
	}
}

// TestBadValuesFail: a value that would break a file, or that is not what the
// field means, makes Render fail; the error never shows a secret.
func TestBadValuesFail(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(*Data)
		fails []string
	}{
		{"quote in domain", func(d *Data) { d.Domain = `meet".example.com` }, Names()},
		{"newline in domain", func(d *Data) { d.Domain = "meet.example.com\nVirtualHost \"x\"" }, []string{Prosody, Nginx, CertbotDeployHook}},
		{"uppercase domain", func(d *Data) { d.Domain = "Meet.example.com" }, []string{Prosody, Jicofo}},
		{"newline in focus password", func(d *Data) { d.FocusPassword = "a\nb" }, []string{Jicofo}},
		{"quote in bridge password", func(d *Data) { d.JVBPassword = `a"b` }, []string{JVB}},
		{"space in TURN secret", func(d *Data) { d.TURNSecret = "a b" }, []string{TURN, Prosody}},
		{"quote in issuer", func(d *Data) { d.Issuer = `https://jans.example.com/"x` }, []string{Prosody, ConfigJS}},
		{"issuer not a URL", func(d *Data) { d.Issuer = "jans.example.com" }, []string{Prosody}},
		{"newline in client id", func(d *Data) { d.ClientID = "a\nb" }, []string{ConfigJS}},
		{"token endpoint without /token", func(d *Data) { d.TokenURL = "https://jans.example.com/oauth2" }, []string{ConfigJS}},
		{"plain http token endpoint", func(d *Data) { d.TokenURL = "http://jans.example.com/token" }, []string{ConfigJS}},
		{"braces in authorize URL", func(d *Data) { d.AuthorizeURL = "https://jans.example.com/{x}" }, []string{ConfigJS}},
		{"semicolon in cert path", func(d *Data) { d.CertFile = "/etc/ssl/a.pem; include /etc/passwd" }, []string{Nginx, CertbotDeployHook}},
		{"relative key path", func(d *Data) { d.KeyFile = "privkey.pem" }, []string{Nginx}},
		{"origin with path", func(d *Data) { d.JanssenOrigin = "https://jans.example.com/x" }, []string{Nginx}},
		{"frame ancestor with a directive", func(d *Data) { d.FrameAncestors = []string{"https://a.example.com; script-src *"} }, []string{Nginx}},
		{"frame ancestor over http", func(d *Data) { d.FrameAncestors = []string{"http://a.example.com"} }, []string{Nginx}},
		{"key server not on loopback", func(d *Data) { d.KeyServerURL = "http://192.0.2.1:8089/asap" }, []string{KeyServerSite}},
		{"key server over https", func(d *Data) { d.KeyServerURL = "https://127.0.0.1:8089/asap" }, []string{KeyServerSite}},
		{"slash in instance id", func(d *Data) { d.JVBInstanceID = "a/b" }, []string{JVB, Nginx}},
		{"bad STUN server", func(d *Data) { d.StunServers = []string{"stun.example.net"} }, []string{ConfigJS, JVB}},
		{"bad CIDR", func(d *Data) { d.XMPPFrom = []string{"10.0.0.0"} }, []string{Prosody}},
		{"quote in region", func(d *Data) { d.Region = `eu"` }, []string{ConfigJS, JVB}},
		{"last-n below -1", func(d *Data) { d.ChannelLastN = -2 }, []string{ConfigJS}},
		{"uppercase TURN name", func(d *Data) { d.TURN443Host = "Turn.meet.example.com" }, Names()},
		{"TURN name is the domain", func(d *Data) { d.TURN443Host = d.Domain }, Names()},
		{"TURN name without TURN", func(d *Data) { d.TURN = false }, Names()},
		{"negative quota", func(d *Data) { d.TURNUserQuota = -1 }, []string{TURN}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := turn443Data()
			c.edit(&d)
			for _, n := range c.fails {
				_, err := Render(n, d)
				if err == nil {
					t.Errorf("%s rendered", n)
					continue
				}
				for _, s := range Secrets(d) {
					if strings.Contains(err.Error(), s) {
						t.Errorf("%s: error shows a secret: %v", n, err)
					}
				}
			}
		})
	}
}

func TestRequiredFields(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Data)
	}{
		{Prosody, func(d *Data) { d.KeyServerURL = "" }},
		{Prosody, func(d *Data) { d.KeyServerMode, d.KeyServerURL = true, "" }},
		{Prosody, func(d *Data) { d.Issuer = "" }},
		{Jicofo, func(d *Data) { d.FocusPassword = "" }},
		{JVB, func(d *Data) { d.JVBInstanceID = "" }},
		{ConfigJS, func(d *Data) { d.TokenURL = "" }},
		{Nginx, func(d *Data) { d.CertFile = "" }},
		{TURN, func(d *Data) { d.TURNSecret = "" }},
		{KeyRefresh, func(d *Data) { d.JWKSURL = "" }},
		{NginxStream, func(d *Data) { d.TURN443Host = "" }},
	}
	for _, c := range cases {
		d := turn443Data()
		c.edit(&d)
		if _, err := Render(c.name, d); err == nil {
			t.Errorf("%s rendered with a required field missing", c.name)
		}
	}
}

// TestPackageUpgradeKeepsOurFiles: jitsi-meet-prosody's and
// jitsi-meet-turnserver's postinst scripts rewrite a config that lacks what
// they grep for. Ours has it, so an upgrade leaves the files alone.
func TestPackageUpgradeKeepsOurFiles(t *testing.T) {
	for _, d := range []Data{testData(), minimalData()} {
		cfg := string(mustRender(t, Prosody, d))
		muc := regexp.MustCompile(`Component "conference\.meet\.example\.com" "muc"\n(.*\n){0,1}.*restrict_room_creation`)
		for what, ok := range map[string]bool{
			"restrict_room_creation within 2 lines of the conference MUC": muc.MatchString(cfg),
			"unlimited_jids":          strings.Contains(cfg, "unlimited_jids"),
			"internal.auth component": strings.Contains(cfg, `Component "internal.auth.meet.example.com" "muc"`),
			"focus client_proxy":      strings.Contains(cfg, `Component "focus.meet.example.com" "client_proxy"`),
			"plugin_paths":            strings.Contains(cfg, "\nplugin_paths = {"),
		} {
			if !ok {
				t.Errorf("Prosody config lacks %s", what)
			}
		}
	}
	if !strings.HasPrefix(string(mustRender(t, TURN, testData())), "# jitsi-meet coturn config. Do not modify this line\n") {
		t.Error("turnserver.conf lacks jitsi-meet-turnserver's marker line")
	}
}

// tool finds the first of names on PATH or skips the test.
func tool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skipf("none of %v installed", names)
	return ""
}

func writeTemp(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return string(out)
}

func TestConfigJSIsJavaScript(t *testing.T) {
	node := tool(t, "node", "nodejs")
	dir := t.TempDir()
	for _, d := range []Data{testData(), minimalData()} {
		js := mustRender(t, ConfigJS, d)
		p := writeTemp(t, dir, "config.js", js)
		run(t, exec.Command(node, "--check", p))
		// What the web client reads, evaluated.
		out := run(t, exec.Command(node, "-e", string(js)+"\nconsole.log(JSON.stringify(config));"))
		var cfg struct {
			Hosts        struct{ Domain, Muc string }
			Bosh         string
			ChannelLastN int
			TokenAuthURL string                                              `json:"tokenAuthUrl"`
			SSO          struct{ SSOService, TokenService, ClientID string } `json:"sso"`
			P2P          struct {
				StunServers []struct{ URLs string } `json:"stunServers"`
			} `json:"p2p"`
		}
		if err := json.Unmarshal([]byte(out), &cfg); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if cfg.Hosts.Domain != d.Domain || cfg.Hosts.Muc != "conference."+d.Domain || cfg.ChannelLastN != d.ChannelLastN {
			t.Errorf("hosts/lastN: %+v", cfg)
		}
		for _, part := range []string{d.AuthorizeURL + "?client_id=2001.3f8a-client&", "response_type=code",
			"redirect_uri=https%3A%2F%2Fmeet.example.com%2Fstatic%2Fsso.html", "state={state}",
			"code_challenge_method=S256", "code_challenge={code_challenge}"} {
			if !strings.Contains(cfg.TokenAuthURL, part) {
				t.Errorf("tokenAuthUrl %q lacks %q", cfg.TokenAuthURL, part)
			}
		}
		// sso.html posts to "https://" + tokenService + "/token".
		if "https://"+cfg.SSO.TokenService+"/token" != d.TokenURL || cfg.SSO.ClientID != d.ClientID {
			t.Errorf("sso = %+v", cfg.SSO)
		}
		if len(cfg.P2P.StunServers) != len(d.StunServers) {
			t.Errorf("stunServers = %+v", cfg.P2P.StunServers)
		}
	}
}

func TestNginxAcceptsSites(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Skip(t, "nginx -t binds the site's ports (80, 443) and opens its logs: run as root")
	}
	nginx := tool(t, "nginx")
	openssl := tool(t, "openssl")
	dir := t.TempDir()
	crt, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	run(t, exec.Command(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
		"-subj", "/CN=meet.example.com", "-keyout", key, "-out", crt))
	for i, d := range []Data{testData(), minimalData(), turn443Data()} {
		d.CertFile, d.KeyFile = crt, key
		site := writeTemp(t, dir, "site.conf", mustRender(t, Nginx, d))
		keys := writeTemp(t, dir, "keyserver.conf", mustRender(t, KeyServerSite, d))
		// As Debian's nginx.conf includes modules-enabled/*.conf: the
		// stream module's load_module line, then the stream block.
		var top []string
		if d.TURN443Host != "" {
			top = append(top, "load_module "+streamModule(t)+";",
				"include "+writeTemp(t, dir, "stream.conf", mustRender(t, NginxStream, d))+";")
		}
		conf := writeTemp(t, dir, "nginx.conf", []byte(strings.Join(append(top,
			"pid "+dir+"/nginx.pid;",
			"error_log "+dir+"/error.log;",
			"events {}",
			"http {",
			"    default_type application/octet-stream;",
			"    access_log off;",
			"    server_tokens off; # as trixie's nginx.conf has it",
			"    client_body_temp_path "+dir+"/body;",
			"    proxy_temp_path "+dir+"/proxy;",
			"    include "+site+";",
			"    include "+keys+";",
			"}", ""), "\n")))
		out := run(t, exec.Command(nginx, "-t", "-p", dir, "-c", conf, "-e", dir+"/error.log"))
		if !strings.Contains(out, "test is successful") {
			t.Errorf("variant %d: nginx -t: %s", i, out)
		}
	}
}

// streamModule is Debian's nginx stream module (libnginx-mod-stream).
func streamModule(t *testing.T) string {
	t.Helper()
	const so = "/usr/lib/nginx/modules/ngx_stream_module.so"
	if _, err := os.Stat(so); err != nil {
		testenv.Skip(t, "nginx's stream module is not installed (apt-get install libnginx-mod-stream)")
	}
	return so
}

func TestProsodyConfigIsLua(t *testing.T) {
	luac := tool(t, "luac5.4", "luac5.3", "luac5.2", "luac", "luac5.1")
	dir := t.TempDir()
	for _, v := range variants() {
		if v.name == Prosody {
			run(t, exec.Command(luac, "-p", writeTemp(t, dir, v.file, mustRender(t, Prosody, v.data))))
		}
	}
}

// prosodyDump loads a config the way Prosody does (VirtualHost and Component
// open sections, assignments land in the open section) and prints every
// option as "section<TAB>key<TAB>value".
const prosodyDump = `
local src = io.read("*a")
local sections, order = {}, {}
local function open(name) local s = {}; sections[name] = s; order[#order + 1] = name; return s end
local cur = open("global")
local env = setmetatable({}, {
    __index = function(_, k)
        if k == "VirtualHost" then return function(h) cur = open("VirtualHost " .. h) end end
        if k == "Component" then
            return function(h) cur = open("Component " .. h); local s = cur
                return function(kind) s.component_type = kind end end
        end
    end,
    __newindex = function(_, k, v) cur[k] = v end,
})
assert(load(src, "config", "t", env))()
local function dump(section, prefix, v)
    if type(v) ~= "table" then print(section .. "\t" .. prefix .. "\t" .. tostring(v)); return end
    if #v > 0 and type(v[1]) ~= "table" then
        local parts = {}
        for _, x in ipairs(v) do parts[#parts + 1] = tostring(x) end
        print(section .. "\t" .. prefix .. "\t" .. table.concat(parts, ","))
        return
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do dump(section, prefix .. "." .. tostring(k), v[k]) end
end
for _, name in ipairs(order) do
    local keys = {}
    for k in pairs(sections[name]) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do dump(name, k, sections[name][k]) end
end
`

func loadProsody(t *testing.T, lua string, d Data) map[string]string {
	t.Helper()
	cmd := exec.Command(lua, "-e", prosodyDump)
	cmd.Stdin = bytes.NewReader(mustRender(t, Prosody, d))
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(run(t, cmd)), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) == 3 {
			m[f[0]+"|"+f[1]] = f[2]
		}
	}
	return m
}

func TestProsodyConfigAsProsodyReadsIt(t *testing.T) {
	lua := tool(t, "lua5.4", "lua5.3", "lua5.2")
	const vh, muc = "VirtualHost meet.example.com|", "Component conference.meet.example.com|"
	d := testData()
	full := loadProsody(t, lua, d)
	want := map[string]string{
		vh + "authentication":                    "token",
		vh + "admins":                            "focus@auth.meet.example.com",
		"global|component_admins_as_room_owners": "true",
		vh + "app_id":                            d.AppID,
		vh + "asap_accepted_issuers":             d.Issuer,
		vh + "asap_accepted_audiences":           d.Audience,
		vh + "cache_keys_url":                    "http://127.0.0.1:8089/asap/jwks.json",
		vh + "asap_key_server":                   "http://127.0.0.1:8089/asap",
		vh + "allow_empty_token":                 "false",
		vh + "ssl.key":                           "/etc/prosody/certs/meet.example.com.key",
		vh + "lobby_muc":                         "lobby.meet.example.com",
		vh + "main_muc":                          "conference.meet.example.com",
		muc + "component_type":                   "muc",
		muc + "admins":                           "focus@auth.meet.example.com",
		"VirtualHost auth.meet.example.com|ssl.certificate": "/etc/prosody/certs/auth.meet.example.com.crt",
		"VirtualHost auth.meet.example.com|authentication":  "internal_hashed",
		"Component internal.auth.meet.example.com|admins":   "focus@auth.meet.example.com,jvb@auth.meet.example.com",
		"Component focus.meet.example.com|component_type":   "client_proxy",
		"Component focus.meet.example.com|target_address":   "focus@auth.meet.example.com",
		"Component lobby.meet.example.com|component_type":   "muc",
		"global|external_service_secret":                    d.TURNSecret,
		"global|external_services.3.port":                   "5349",
		"global|muc_mapper_domain_base":                     d.Domain,
		// Hardened: nothing listens but c2s and loopback HTTP.
		"global|modules_disabled":                                  "s2s,dialback,register,invites,invites_adhoc,invites_register,admin_adhoc",
		"global|http_interfaces":                                   "127.0.0.1",
		"global|consider_bosh_secure":                              "",
		"global|consider_websocket_secure":                         "",
		"VirtualHost localhost|enabled":                            "false",
		"VirtualHost auth.meet.example.com|c2s_require_encryption": "true",
		vh + "c2s_require_encryption":                              "false",
	}
	for k, v := range want {
		if full[k] != v {
			t.Errorf("%s = %q, want %q", k, full[k], v)
		}
	}
	// Current jitsi-meet-prosody ships only the *_component modules of these
	// features: each is a component of its own, as in upstream's template.
	for _, c := range []string{"speakerstats", "avmoderation", "metadata", "polls", "endconference"} {
		if full["Component "+c+".meet.example.com|component_type"] == "" {
			t.Errorf("no component %s.meet.example.com", c)
		}
	}
	if !strings.Contains(full[muc+"modules_enabled"], "token_verification") ||
		strings.Contains(full[vh+"modules_enabled"], "token_verification") {
		t.Errorf("token_verification belongs on the conference MUC only: vhost %q, muc %q",
			full[vh+"modules_enabled"], full[muc+"modules_enabled"])
	}

	if _, ok := full["global|https_ports"]; ok {
		t.Errorf("https_ports = %q, want an empty list", full["global|https_ports"])
	}
	fed := d
	fed.Federation = true
	if got := loadProsody(t, lua, fed)["global|modules_disabled"]; got != "register,invites,invites_adhoc,invites_register,admin_adhoc" {
		t.Errorf("with federation, modules_disabled = %q", got)
	}

	ks := loadProsody(t, lua, keyServerData())
	if ks[vh+"asap_key_server"] != "http://127.0.0.1:8089/asap" || ks[vh+"cache_keys_url"] != "" {
		t.Errorf("key-server mode: asap_key_server %q, cache_keys_url %q", ks[vh+"asap_key_server"], ks[vh+"cache_keys_url"])
	}

	min := loadProsody(t, lua, minimalData())
	if got := min[vh+"modules_enabled"]; got != "bosh,websocket,smacks,ping,pubsub" {
		t.Errorf("minimal vhost modules = %q", got)
	}
	if got := min[muc+"modules_enabled"]; got != "token_verification" {
		// "--polls" is a comment: jitsi-meet-prosody's postinst looks for it.
		t.Errorf("minimal conference modules = %q", got)
	}
	for k := range min {
		if strings.HasPrefix(k, "Component lobby.") || strings.HasPrefix(k, "global|external_service") {
			t.Errorf("minimal config has %s", k)
		}
	}
}

func TestHOCONParses(t *testing.T) {
	hocon := tool(t, "hocon")
	dir := t.TempDir()
	d := testData()
	cases := []struct{ name, path, want string }{
		{Jicofo, "jicofo.xmpp.client.password", d.FocusPassword},
		{Jicofo, "jicofo.xmpp.client.domain", "auth.meet.example.com"},
		{Jicofo, "jicofo.bridge.brewery-jid", "JvbBrewery@internal.auth.meet.example.com"},
		{Jicofo, "jicofo.bridge.selection-strategy", "RegionBasedBridgeSelectionStrategy"},
		{Jicofo, "jicofo.conference.max-video-senders", "50"},
		{Jicofo, "jicofo.authentication.enabled", "false"},
		{JVB, "videobridge.apis.xmpp-client.configs.shard.PASSWORD", d.JVBPassword},
		{JVB, "videobridge.apis.xmpp-client.configs.shard.MUC_NICKNAME", d.JVBInstanceID},
		{JVB, "videobridge.ice.udp.port", "10000"},
		{JVB, "videobridge.websockets.server-id", d.JVBInstanceID},
		{JVB, "videobridge.websockets.domains", `["meet.example.com:443"]`},
		{JVB, "ice4j.harvest.mapping.stun.addresses", `["stun.example.net:3478","192.0.2.10:443"]`},
	}
	for _, c := range cases {
		p := writeTemp(t, dir, c.name, mustRender(t, c.name, d))
		out := run(t, exec.Command(hocon, "-j", "-i", p, "get", c.path))
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("%s %s: %v: %s", c.name, c.path, err, out)
		}
		got := ""
		if s, ok := v.(string); ok {
			got = s
		} else {
			b, _ := json.Marshal(v)
			got = string(b)
		}
		if got != c.want {
			t.Errorf("%s %s = %s, want %s", c.name, c.path, got, c.want)
		}
	}
	// The minimal bridge config parses too.
	run(t, exec.Command(hocon, "-i", writeTemp(t, dir, "jvb-min", mustRender(t, JVB, minimalData())), "get", "videobridge"))
}

// Who may frame the meeting: itself and Janssen by default, more origins
// or any site as the answers say.
func TestFrameAncestors(t *testing.T) {
	for _, c := range []struct {
		extra []string
		want  string
	}{
		{nil, "frame-ancestors 'self' https://jans.example.com"},
		{[]string{"https://portal.example.com:8443"}, "frame-ancestors 'self' https://jans.example.com https://portal.example.com:8443"},
		{[]string{"https://portal.example.com", "*"}, "frame-ancestors *"},
	} {
		d := testData()
		d.FrameAncestors = c.extra
		site := string(mustRender(t, Nginx, d))
		// The server and each location that adds headers of its own.
		if n := strings.Count(site, `add_header Content-Security-Policy "`+c.want+`" always;`); n != 4 {
			t.Errorf("%v: %d headers %q, want 4", c.extra, n, c.want)
		}
	}
}
