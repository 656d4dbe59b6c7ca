// Package assets renders the configuration files the installer writes on a
// host: Prosody, Jicofo, the videobridge, the web client, nginx, coturn, the
// certbot deploy hook and the loopback key server for older Prosody token
// plugins. The templates follow the files the Jitsi packages ship, changed
// only where Janssen or the installer needs it (docs/seed-deviations.md).
//
// Every value is checked and quoted for the format it lands in; a value that
// cannot be written safely makes Render fail instead of producing a broken
// file.
package assets

import (
	"bytes"
	"embed"
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"strings"
	"text/template"
)

// Data is everything the templates need about one meeting server.
type Data struct {
	Domain string // meet.example.com

	// Janssen.
	Issuer, Audience, AppID, ClientID string
	JWKSURL                           string // jwks_uri from discovery, which the refresh job reads
	KeyServerURL                      string // asap_key_server base URL (loopback nginx); also serves the filtered JWKS
	KeyServerMode                     bool   // the token plugin cannot read a JWKS: no cache_keys_url
	AuthorizeURL, TokenURL            string
	EndSessionURL                     string // optional
	JanssenOrigin                     string // scheme://host[:port] of the issuer, for CORS; optional

	// XMPP and components.
	FocusPassword, JVBPassword, TURNSecret string // secrets
	JVBInstanceID                          string // stable across runs; bridge MUC nickname and colibri-ws server id

	// Web.
	ChannelLastN               int
	StunServers                []string // host:port
	Shard, Region, Environment string

	// TLS.
	CertFile, KeyFile string // what nginx serves, e.g. /etc/letsencrypt/live/DOMAIN/fullchain.pem
	TURN              bool   // coturn is installed
	// TURN443Host, when set, is a second name of the host whose TLS on port
	// 443 nginx passes to coturn (SNI routing): TURN for networks that
	// allow only 443. The web server then listens on WebLoopback.
	TURN443Host                   string
	TURNTCPRelay                  bool     // RFC 6062 TCP relay endpoints
	TURNUserQuota, TURNTotalQuota int      // coturn's allocation quotas; 0: no limit
	XMPPFrom                      []string // CIDRs of remote videobridges (noted in the Prosody config)

	// Scale out: videobridges on other hosts (see docs/scale-out.md).
	XMPPHost      string   // where the bridge reaches Prosody's 5222; empty: localhost (the core's own bridge)
	WSHost        string   // where the bridge's public HTTP server (colibri websockets) listens; empty: 127.0.0.1
	Relay         bool     // bridges in several regions: they relay to each other, Jicofo enables Octo
	NoLocalBridge bool     // the core runs no bridge of its own (jitsi.core_bridge false)
	Bridges       []Bridge // remote videobridges whose websockets the core's nginx proxies

	// Hardening choices that stay optional (docs/hardening.md).
	Federation     bool     // Prosody talks to other XMPP servers (s2s)
	FrameAncestors []string // extra https origins (or "*") that may frame the meeting

	// ProsodyModules names the optional Prosody modules present on the host, as
	// they appear in modules_enabled (mod_NAME.lua in Prosody's or Jitsi's
	// plugin directory). Features whose modules are missing are left out, so an
	// empty map gives a config that Prosody 0.12+ with Jitsi's token plugins
	// loads.
	ProsodyModules map[string]bool
}

// Bridge is a videobridge on another host, as the core's nginx reaches it.
type Bridge struct {
	ID       string // websockets.server-id and MUC nickname
	Upstream string // host:port of its public HTTP server
	Region   string
}

// Template names, which are also the names of the files under templates/.
const (
	Prosody           = "prosody.cfg.lua"
	Jicofo            = "jicofo.conf"
	JVB               = "jvb.conf"
	ConfigJS          = "config.js"
	Nginx             = "nginx.conf"
	TURN              = "turnserver.conf"
	CertbotDeployHook = "certbot-deploy-hook.sh"
	KeyServerSite     = "nginx-keyserver.conf"
	KeyRefresh        = "jwks-refresh.py"
	KeyRefreshService = "jwks-refresh.service"
	KeyRefreshTimer   = "jwks-refresh.timer"
	NginxStream       = "nginx-stream.conf"
)

// Fixed locations on the host that the templates refer to each other by.
const (
	// KeysDir holds hex(sha256(kid)).pem files in key-server mode. It is not
	// under the installer's own 0700 state directory: nginx must read it.
	KeysDir = "/var/lib/jitsi-installer-keys"
	// KeyRefreshUnit is the systemd unit name (without suffix) of the refresh job.
	KeyRefreshUnit = "jitsi-installer-jwks-refresh"
	// KeyRefreshUser is the system user the refresh job runs as: it owns
	// KeysDir and nothing else.
	KeyRefreshUser = "jitsi-keys"
	// DefaultKeyServerURL is a loopback address no Jitsi component uses.
	DefaultKeyServerURL = "http://127.0.0.1:8089/asap"
	// KeysJWKS is the JWKS of Janssen's RSA signing keys in KeysDir, served
	// beside the PEM files: what Prosody's cache_keys_url reads.
	KeysJWKS = "jwks.json"
	// WebLoopback is where the web server listens when nginx's stream
	// module owns port 443 (TURN443Host); TURNLoopback is the hop that
	// passes TLS for the TURN name on to coturn's TLS port.
	WebLoopback  = "127.0.0.1:4444"
	TURNLoopback = "127.0.0.1:4445"
	TURNTLSPort  = 5349
	// WebRoot is where jitsi-meet-web installs the web app: nginx's root,
	// and certbot's webroot for the HTTP challenge.
	WebRoot = "/usr/share/jitsi-meet"
	// PluginDir is where jitsi-meet-prosody installs Prosody's plugins:
	// the Prosody configuration's plugin_paths.
	PluginDir = WebRoot + "/prosody-plugins"
)

// PackageCert is where jitsi-meet-prosody's postinst made the certificate
// of the XMPP host: auth.DOMAIN's for good, the domain's until the
// installer's replaces it. ProsodyCert links or copies it.
func PackageCert(host string) string { return "/var/lib/prosody/" + host + ".crt" }

// Names lists every template in a stable order.
func Names() []string {
	return []string{Prosody, Jicofo, JVB, ConfigJS, Nginx, TURN, CertbotDeployHook,
		KeyServerSite, KeyRefresh, KeyRefreshService, KeyRefreshTimer, NginxStream}
}

// Dest is the path on the host where the rendered file belongs.
func Dest(name, domain string) string {
	switch name {
	case Prosody:
		return "/etc/prosody/conf.avail/" + domain + ".cfg.lua"
	case Jicofo:
		return "/etc/jitsi/jicofo/jicofo.conf"
	case JVB:
		return "/etc/jitsi/videobridge/jvb.conf"
	case ConfigJS:
		return "/etc/jitsi/meet/" + domain + "-config.js"
	case Nginx:
		return "/etc/nginx/sites-available/" + domain + ".conf"
	case TURN:
		return "/etc/turnserver.conf"
	case CertbotDeployHook:
		return "/etc/letsencrypt/renewal-hooks/deploy/jitsi-installer.sh"
	case KeyServerSite:
		return "/etc/nginx/sites-available/jitsi-installer-keyserver.conf"
	case KeyRefresh:
		return "/usr/local/lib/jitsi-installer/jwks-refresh.py"
	case KeyRefreshService:
		return "/etc/systemd/system/" + KeyRefreshUnit + ".service"
	case KeyRefreshTimer:
		return "/etc/systemd/system/" + KeyRefreshUnit + ".timer"
	case NginxStream:
		// Debian's nginx.conf includes modules-enabled/*.conf at the top
		// level, where a stream block belongs, after 50-mod-stream.conf
		// loads the module.
		return "/etc/nginx/modules-enabled/60-jitsi-installer-stream.conf"
	}
	return ""
}

// Enabled is where the link that turns on the rendered file goes (nginx's
// sites-enabled, Prosody's conf.d); "" for a file read where Dest puts it.
func Enabled(name, domain string) string {
	switch name {
	case Prosody:
		return "/etc/prosody/conf.d/" + path.Base(Dest(name, domain))
	case Nginx, KeyServerSite:
		return "/etc/nginx/sites-enabled/" + path.Base(Dest(name, domain))
	}
	return ""
}

// KeyPair is where a service reads a certificate and its key.
type KeyPair struct{ Cert, Key string }

// ProsodyCert is where Prosody reads the certificate of the XMPP host (the
// domain, whose copy the deploy hook keeps current, or auth.DOMAIN, which
// the package made).
func ProsodyCert(host string) KeyPair {
	base := "/etc/prosody/certs/" + host
	return KeyPair{Cert: base + ".crt", Key: base + ".key"}
}

// TURNCert is where coturn reads the domain's certificate: a copy the
// deploy hook keeps, readable by the turnserver user.
func TURNCert(domain string) KeyPair {
	base := "/etc/coturn/certs/" + domain
	return KeyPair{Cert: base + ".fullchain.pem", Key: base + ".privkey.pem"}
}

// paths give the templates the locations above, so each is written once.
var paths = template.FuncMap{"prosodyCert": ProsodyCert, "turnCert": TURNCert}

// Secrets returns the secret values in d, for redaction.
func Secrets(d Data) []string {
	var out []string
	for _, s := range []string{d.FocusPassword, d.JVBPassword, d.TURNSecret} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

//go:embed templates/*
var files embed.FS

//go:embed scripts/*
var scripts embed.FS

// MeetingLogin is verify's script that signs in to a meeting through nginx
// as the web client does (scripts/meeting-login.py).
const MeetingLogin = "meeting-login.py"

// Script returns an embedded script that the installer runs on hosts as it
// is: no template, no values of the answers in it.
func Script(name string) (string, error) {
	b, err := scripts.ReadFile("scripts/" + name)
	if err != nil {
		return "", fmt.Errorf("script %s: %w", name, err)
	}
	return string(b), nil
}

var templates = template.Must(template.New("").Option("missingkey=error").Funcs(funcs).Funcs(paths).ParseFS(files, "templates/*"))

// view is what templates see: the data plus values derived from it.
type view struct {
	Data
	KeysDir, KeyRefreshUnit, RefreshScript string
	KeyRefreshUser                         string
	KeyServerBase                          string // asap_key_server without a trailing slash
	JWKSFile                               string // KeysJWKS
	KeyServerListen, KeyServerPath         string // nginx listen address and location prefix
	TokenAuthURL, TokenLogoutURL           string
	TokenService                           string
	WebLoopback, TURNLoopback              string
	TURNTLSPort                            int
	NginxStreamFile                        string // Dest(NginxStream)
	// FrameAncestorsCSP is the meeting's own origin, Janssen's and
	// Data.FrameAncestors as a CSP source list; * when one of them is *.
	FrameAncestorsCSP string
}

// Has reports whether the optional Prosody module is present on the host.
func (v view) Has(module string) bool { return v.ProsodyModules[module] }

// Present keeps the optional modules the host has, in the order given: a
// modules_enabled list.
func (v view) Present(modules ...string) []string {
	var out []string
	for _, m := range modules {
		if v.Has(m) {
			out = append(out, m)
		}
	}
	return out
}

// mucComponent is a Prosody component on SUBDOMAIN.DOMAIN that serves the
// conference MUC.
type mucComponent struct{ Subdomain, Module string }

// mucComponents are the optional ones, in the order Jitsi's configuration
// lists them.
var mucComponents = []mucComponent{
	{"speakerstats", "speakerstats_component"},
	{"endconference", "end_conference"},
	{"avmoderation", "av_moderation_component"},
	{"filesharing", "filesharing_component"},
}

// MUCComponents are the optional conference components whose modules the
// host has.
func (v view) MUCComponents() []mucComponent {
	var out []mucComponent
	for _, c := range mucComponents {
		if v.Has(c.Module) {
			out = append(out, c)
		}
	}
	return out
}

// Render renders the named template for d.
func Render(name string, d Data) ([]byte, error) {
	t := templates.Lookup(name)
	if t == nil {
		return nil, fmt.Errorf("render %s: no such template", name)
	}
	v, err := prepare(name, d)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// required lists the fields each template cannot do without.
var required = map[string][]string{
	Prosody:           {"Domain", "AppID", "Issuer", "Audience"},
	Jicofo:            {"Domain", "FocusPassword"},
	JVB:               {"Domain", "JVBPassword", "JVBInstanceID"},
	ConfigJS:          {"Domain", "ClientID", "AuthorizeURL", "TokenURL"},
	Nginx:             {"Domain", "CertFile", "KeyFile", "JVBInstanceID"},
	TURN:              {"Domain", "TURNSecret"},
	CertbotDeployHook: {"Domain", "CertFile", "KeyFile"},
	KeyServerSite:     {"KeyServerURL"},
	KeyRefresh:        {"JWKSURL", "KeyServerURL"},
	NginxStream:       {"Domain", "TURN443Host"},
}

func prepare(name string, d Data) (view, error) {
	v := view{Data: d, KeysDir: KeysDir, KeyRefreshUnit: KeyRefreshUnit, KeyRefreshUser: KeyRefreshUser,
		RefreshScript: Dest(KeyRefresh, ""), JWKSFile: KeysJWKS,
		WebLoopback: WebLoopback, TURNLoopback: TURNLoopback, TURNTLSPort: TURNTLSPort, NginxStreamFile: Dest(NginxStream, "")}
	if err := validate(d); err != nil {
		return v, err
	}
	fields := map[string]string{
		"Domain": d.Domain, "AppID": d.AppID, "Issuer": d.Issuer, "Audience": d.Audience,
		"FocusPassword": d.FocusPassword, "JVBPassword": d.JVBPassword, "TURNSecret": d.TURNSecret,
		"JVBInstanceID": d.JVBInstanceID, "ClientID": d.ClientID, "AuthorizeURL": d.AuthorizeURL,
		"TokenURL": d.TokenURL, "CertFile": d.CertFile, "KeyFile": d.KeyFile,
		"KeyServerURL": d.KeyServerURL, "JWKSURL": d.JWKSURL, "TURN443Host": d.TURN443Host,
	}
	need := append([]string(nil), required[name]...)
	if name == Prosody {
		need = append(need, "KeyServerURL")
		if d.TURN {
			need = append(need, "TURNSecret")
		}
	}
	for _, f := range need {
		if fields[f] == "" {
			return v, fmt.Errorf("%s is required", f)
		}
	}
	if d.KeyServerURL != "" {
		u, _ := url.Parse(d.KeyServerURL) // validated
		v.KeyServerBase = strings.TrimRight(d.KeyServerURL, "/")
		v.KeyServerListen = u.Host
		v.KeyServerPath = strings.Trim(u.Path, "/")
		if v.KeyServerPath != "" {
			v.KeyServerPath = "/" + v.KeyServerPath
		}
	}
	v.FrameAncestorsCSP = frameAncestors(d)
	if name == ConfigJS {
		if err := signIn(&v); err != nil {
			return v, err
		}
	}
	return v, nil
}

// frameAncestors lists who may embed the meeting: the meeting itself,
// Janssen's pages (the IFrame API from its portal) and the extra origins.
func frameAncestors(d Data) string {
	src := []string{"'self'"}
	if d.JanssenOrigin != "" {
		src = append(src, d.JanssenOrigin)
	}
	for _, o := range d.FrameAncestors {
		if o == "*" {
			return "*"
		}
		src = append(src, o)
	}
	return strings.Join(src, " ")
}

// signIn derives the web client's sign-in settings. Jitsi's static/sso.html
// posts the code to "https://" + sso.tokenService + "/token", so the token
// endpoint must be an https URL ending in /token.
func signIn(v *view) error {
	redirect := "https://" + v.Domain + "/static/sso.html"
	sep := "?"
	if strings.Contains(v.AuthorizeURL, "?") {
		sep = "&"
	}
	// {state} and {code_challenge} stay literal: the web client fills them in.
	v.TokenAuthURL = v.AuthorizeURL + sep + "client_id=" + url.QueryEscape(v.ClientID) +
		"&response_type=code&scope=openid&redirect_uri=" + url.QueryEscape(redirect) +
		"&state={state}&code_challenge_method=S256&code_challenge={code_challenge}"
	if v.EndSessionURL != "" {
		sep = "?"
		if strings.Contains(v.EndSessionURL, "?") {
			sep = "&"
		}
		v.TokenLogoutURL = v.EndSessionURL + sep + "client_id=" + url.QueryEscape(v.ClientID) +
			"&post_logout_redirect_uri=" + url.QueryEscape("https://"+v.Domain+"/static/logout.html")
	}
	tok, err := url.Parse(v.TokenURL)
	if err != nil || tok.Scheme != "https" || tok.RawQuery != "" || !strings.HasSuffix(tok.Path, "/token") {
		return fmt.Errorf("TokenURL %q: Jitsi's sso.html needs an https token endpoint ending in /token", v.TokenURL)
	}
	v.TokenService = tok.Host + strings.TrimSuffix(tok.Path, "/token")
	return nil
}

var (
	hostnameRE = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	idRE       = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	labelRE    = regexp.MustCompile(`^[A-Za-z0-9._-]*$`)
	pathRE     = regexp.MustCompile(`^/[A-Za-z0-9._/+@-]+$`)
	urlPathRE  = regexp.MustCompile(`^[A-Za-z0-9/_-]*$`)
)

// validate checks the shape of every value that is set. Messages name the
// field and never echo a secret.
func validate(d Data) error {
	if d.Domain != "" && (len(d.Domain) > 253 || !hostnameRE.MatchString(d.Domain)) {
		return fmt.Errorf("field Domain %q is not a lowercase DNS name", d.Domain)
	}
	if d.TURN443Host != "" {
		if len(d.TURN443Host) > 253 || !hostnameRE.MatchString(d.TURN443Host) {
			return fmt.Errorf("TURN443Host %q is not a lowercase DNS name", d.TURN443Host)
		}
		if d.TURN443Host == d.Domain || !d.TURN {
			return fmt.Errorf("TURN443Host %q needs TURN and a name other than Domain", d.TURN443Host)
		}
	}
	if d.TURNUserQuota < 0 || d.TURNTotalQuota < 0 {
		return fmt.Errorf("TURNUserQuota %d, TURNTotalQuota %d: use 0 (no limit) or more", d.TURNUserQuota, d.TURNTotalQuota)
	}
	for _, f := range []struct{ name, val string }{
		{"AppID", d.AppID}, {"Audience", d.Audience}, {"ClientID", d.ClientID},
	} {
		if err := plain(f.val); err != nil {
			return fmt.Errorf("%s %q: %w", f.name, f.val, err)
		}
	}
	for _, f := range []struct{ name, val string }{
		{"Issuer", d.Issuer}, {"JWKSURL", d.JWKSURL}, {"AuthorizeURL", d.AuthorizeURL},
		{"TokenURL", d.TokenURL}, {"EndSessionURL", d.EndSessionURL},
	} {
		if f.val == "" {
			continue
		}
		if _, err := webURL(f.val); err != nil {
			return fmt.Errorf("%s %q: %w", f.name, f.val, err)
		}
	}
	if d.JanssenOrigin != "" {
		u, err := webURL(d.JanssenOrigin)
		if err == nil && (u.Path != "" || u.RawQuery != "") {
			err = fmt.Errorf("must be scheme://host[:port] only")
		}
		if err != nil {
			return fmt.Errorf("JanssenOrigin %q: %w", d.JanssenOrigin, err)
		}
	}
	for _, o := range d.FrameAncestors {
		if o == "*" {
			continue
		}
		u, err := webURL(o)
		if err == nil && (u.Scheme != "https" || u.Path != "" || u.RawQuery != "") {
			err = fmt.Errorf("must be https://host[:port] only")
		}
		if err != nil {
			return fmt.Errorf("FrameAncestors %q: %w", o, err)
		}
	}
	if d.KeyServerURL != "" {
		if err := keyServer(d.KeyServerURL); err != nil {
			return fmt.Errorf("KeyServerURL %q: %w", d.KeyServerURL, err)
		}
	}
	for _, f := range []struct{ name, val string }{
		{"FocusPassword", d.FocusPassword}, {"JVBPassword", d.JVBPassword}, {"TURNSecret", d.TURNSecret},
	} {
		if err := secret(f.val); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if d.JVBInstanceID != "" && !idRE.MatchString(d.JVBInstanceID) {
		return fmt.Errorf("JVBInstanceID %q: use letters, digits, - and _ only", d.JVBInstanceID)
	}
	for _, f := range []struct{ name, val string }{{"Shard", d.Shard}, {"Region", d.Region}, {"Environment", d.Environment}} {
		if !labelRE.MatchString(f.val) {
			return fmt.Errorf("%s %q: use letters, digits, ., - and _ only", f.name, f.val)
		}
	}
	for _, f := range []struct{ name, val string }{{"CertFile", d.CertFile}, {"KeyFile", d.KeyFile}} {
		if f.val != "" && (!pathRE.MatchString(f.val) || strings.Contains(f.val, "/../")) {
			return fmt.Errorf("%s %q is not a plain absolute path", f.name, f.val)
		}
	}
	if d.ChannelLastN < -1 {
		return fmt.Errorf("ChannelLastN %d: use -1 (no limit) or more", d.ChannelLastN)
	}
	for _, s := range d.StunServers {
		if err := hostPort(s); err != nil {
			return fmt.Errorf("StunServers %q: %w", s, err)
		}
	}
	for _, c := range d.XMPPFrom {
		if _, _, err := net.ParseCIDR(c); err != nil {
			return fmt.Errorf("XMPPFrom %q is not a CIDR", c)
		}
	}
	return nil
}

// plain accepts identifiers such as client ids: printable ASCII without
// spaces, quotes or backslashes.
func plain(s string) error {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune("\"'`\\", r) {
			return fmt.Errorf("has a space, quote, backslash or non-printable character")
		}
	}
	return nil
}

// secret applies plain's rule without showing the value. The secrets land in
// Lua, HOCON, coturn's format and debconf; generated ones are alphanumeric.
func secret(s string) error {
	if plain(s) != nil {
		return fmt.Errorf("has a space, quote, backslash or non-printable character")
	}
	return nil
}

func webURL(s string) (*url.URL, error) {
	if err := plain(s); err != nil {
		return nil, err
	}
	if strings.ContainsAny(s, "<>{}|^") {
		return nil, fmt.Errorf("has a character that must be percent-encoded")
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, fmt.Errorf("must be an absolute http(s) URL without credentials or fragment")
	}
	return u, nil
}

// keyServer requires a loopback http URL: nginx serves it on that address.
func keyServer(s string) error {
	u, err := webURL(s)
	if err != nil {
		return err
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme != "http" || ip == nil || ip.To4() == nil || !ip.IsLoopback() || u.Port() == "" ||
		u.RawQuery != "" || !urlPathRE.MatchString(u.Path) {
		return fmt.Errorf("must be http://127.x.y.z:PORT[/path] on loopback")
	}
	return nil
}

func hostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if net.ParseIP(host) == nil && !hostnameRE.MatchString(host) {
		return fmt.Errorf("bad host")
	}
	var n int
	if _, err := fmt.Sscanf(port, "%d", &n); err != nil || n < 1 || n > 65535 || fmt.Sprint(n) != port {
		return fmt.Errorf("bad port")
	}
	return nil
}
