// Package answers reads, checks and writes the answers file: everything the
// installer needs to know about one Jitsi Meet deployment.
//
// The struct tags below are the single description of the file. The loader,
// the validator, the JSON Schema and the template all read them:
//
//	yaml  key name
//	doc   one-line description (template comment, schema description)
//	kind  what a string holds; selects the check in validate.go
//	req   "true" when the key must be given
//	enum  comma-separated allowed values
//	min   smallest allowed integer
//	max   largest allowed integer
//	env   variable name Marshal uses to refer to a secret
package answers

import (
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// Host roles.
const (
	RoleCore        = "core"
	RoleVideobridge = "videobridge"
)

// TLS modes.
const (
	TLSLetsEncrypt = "letsencrypt"
	TLSOwn         = "own"
	TLSSelfSigned  = "self-signed"
)

// Config is a loaded answers file with every default filled in. Paths are
// absolute and references are resolved.
type Config struct {
	Version     int         `yaml:"version" req:"true" enum:"1" doc:"Format of this file; always 1."`
	Domain      string      `yaml:"domain" kind:"domain" req:"true" doc:"Public DNS name of the meeting server, lowercase."`
	Hosts       []Host      `yaml:"hosts" req:"true" doc:"Servers to set up over SSH; exactly one has the role core."`
	TLS         TLS         `yaml:"tls" doc:"Certificate of the web server."`
	LetsEncrypt LetsEncrypt `yaml:"letsencrypt" doc:"ACME account and server, used when tls.mode is letsencrypt."`
	Janssen     Janssen     `yaml:"janssen" doc:"Janssen IAM that issues the tokens Jitsi accepts."`
	Jitsi       Jitsi       `yaml:"jitsi" doc:"Jitsi Meet packages and settings."`
	TURN        TURN        `yaml:"turn" doc:"coturn, when jitsi.turn is true (docs/media.md)."`
	APT         APT         `yaml:"apt" doc:"Package manager on the hosts."`
	Firewall    Firewall    `yaml:"firewall" doc:"UFW on the hosts."`
	Backups     Backups     `yaml:"backups" doc:"Copies of the files each run replaces, kept on the hosts under /var/backups/jitsi-installer/RUN-ID."`

	src *source // where values came from; nil for a Config built in code
}

// Host is one server reached over SSH.
type Host struct {
	Address      string  `yaml:"address" kind:"host" req:"true" doc:"Hostname or IP address of the server, or a Host alias of ~/.ssh/config (its HostName, and its User, Port, IdentityFile and ProxyJump where this file leaves them out)."`
	Port         int     `yaml:"port" min:"1" max:"65535" doc:"SSH port."`
	User         string  `yaml:"user" kind:"user" doc:"SSH user; anyone but root runs privileged commands through sudo."`
	KeyFile      string  `yaml:"key_file" kind:"sshkey" doc:"Private SSH key on this machine, e.g. ~/.ssh/id_ed25519; empty: ~/.ssh/config's IdentityFile, else the SSH agent."`
	SudoPassword string  `yaml:"sudo_password" kind:"secret" env:"JITSI_SUDO_PASSWORD" doc:"Password sudo asks for, best as ${env:NAME}, ${file:PATH} or ${cmd:COMMAND}; empty: sudo needs none."`
	HostKey      string  `yaml:"host_key" kind:"hostkey" doc:"Pinned SSH host key, e.g. \"ssh-ed25519 AAAA...\"; empty: known_hosts decides."`
	Role         string  `yaml:"role" kind:"name" enum:"core,videobridge" doc:"What the host runs: core (everything) or videobridge (an extra bridge)."`
	Region       string  `yaml:"region" kind:"name" doc:"Region of the host's videobridge, for Jicofo's region-based selection; empty: jitsi.deployment.region."`
	Bastion      Bastion `yaml:"bastion" doc:"Jump host the server is reached through, like ssh -J; every SSH bound (keepalives, giving up on a dead link) holds through it. Empty address: ~/.ssh/config's ProxyJump, else none."`
}

// Bastion is a jump host, reached from this machine, that opens the SSH
// connection to a host on the operator's behalf (TCP forwarding); it runs
// nothing.
type Bastion struct {
	Address    string `yaml:"address" kind:"host" doc:"Hostname or IP address of the jump host, or a Host alias of ~/.ssh/config (whose own ProxyJump, if any, is gone through first); empty: no jump host."`
	Port       int    `yaml:"port" min:"0" max:"65535" doc:"SSH port of the jump host; 0: ~/.ssh/config's Port, else 22."`
	User       string `yaml:"user" kind:"user" doc:"SSH user on the jump host; empty: ~/.ssh/config's User, else root."`
	KeyFile    string `yaml:"key_file" kind:"sshkey" doc:"Private SSH key for the jump host on this machine; empty: ~/.ssh/config's IdentityFile, else the SSH agent."`
	HostKey    string `yaml:"host_key" kind:"hostkey" doc:"Pinned SSH host key of the jump host; empty: known_hosts decides, as for the hosts."`
	KnownHosts string `yaml:"known_hosts" kind:"path" doc:"known_hosts file on this machine for the jump host's key (new keys accepted are added to it); empty: the hosts' (--known-hosts, else ~/.ssh/known_hosts)."`
}

// TLS chooses where the web server's certificate comes from.
type TLS struct {
	Mode     string `yaml:"mode" kind:"name" enum:"letsencrypt,own,self-signed" doc:"letsencrypt (certbot), own (cert_file and key_file) or self-signed."`
	CertFile string `yaml:"cert_file" kind:"certs" doc:"With mode own: certificate chain (PEM) on this machine, uploaded to the host."`
	KeyFile  string `yaml:"key_file" kind:"privkey" doc:"With mode own: private key (PEM) on this machine, uploaded to the host."`
}

// LetsEncrypt is the ACME account used with TLS mode letsencrypt.
type LetsEncrypt struct {
	Email    string `yaml:"email" kind:"email" doc:"Contact address of the ACME account; required with tls.mode letsencrypt."`
	Server   string `yaml:"server" kind:"https" doc:"ACME directory URL: Let's Encrypt, its staging server or a private ACME CA."`
	CABundle string `yaml:"ca_bundle" kind:"certs" doc:"For a private ACME server: CA certificates (PEM) on this machine, both the CA of the server's own HTTPS certificate and the root of the certificates it issues; installed on the hosts."`
}

// Janssen is the identity provider whose tokens Prosody accepts.
type Janssen struct {
	Issuer       string     `yaml:"issuer" kind:"https" req:"true" doc:"Issuer URL exactly as in Janssen's discovery document, e.g. https://login.example.com."`
	DiscoveryURL string     `yaml:"discovery_url" kind:"https" doc:"OpenID discovery document; empty: ISSUER/jans-auth/.well-known/openid-configuration."`
	Audience     string     `yaml:"audience" kind:"name" doc:"Audience (aud) that tokens must carry."`
	AppID        string     `yaml:"app_id" kind:"name" doc:"Jitsi application id (Prosody's app_id); tokens are accepted from janssen.issuer only."`
	ClientID     string     `yaml:"client_id" kind:"name" doc:"OpenID client the web app signs in with."`
	CABundle     string     `yaml:"ca_bundle" kind:"certs" doc:"CA certificates (PEM) on this machine for a Janssen with a private CA; installed on the hosts."`
	TestClient   TestClient `yaml:"test_client" doc:"Optional confidential client that verify uses to get a real token."`
}

// TestClient is a confidential Janssen client used only by verify.
type TestClient struct {
	ClientID     string `yaml:"client_id" kind:"name" doc:"Client id of the test client."`
	ClientSecret string `yaml:"client_secret" kind:"secret" env:"JANSSEN_CLIENT_SECRET" doc:"Client secret of the test client, best as ${env:NAME}, ${file:PATH} or ${cmd:COMMAND}."`
}

// Jitsi holds the package sources and the settings written to Jitsi's files.
type Jitsi struct {
	Version      string     `yaml:"version" kind:"name" doc:"Release of the jitsi-meet package to hold every Jitsi package at, upstream (2.0.10184) or Debian (2.0.10184-1); latest: the newest at the first install, then what is installed. Changing it upgrades (or downgrades)."`
	Repo         Repo       `yaml:"repo" doc:"Jitsi's package repository; a suite ending in / is a flat repository."`
	ProsodyRepo  Repo       `yaml:"prosody_repo" doc:"Prosody's own repository, added only where the release's Prosody is older than 0.12; empty suite: the release codename."`
	Turn         bool       `yaml:"turn" doc:"Install the TURN server (jitsi-meet-turnserver)."`
	ChannelLastN int        `yaml:"channel_last_n" min:"-1" doc:"Most video streams a participant receives (config.js channelLastN); -1: no limit."`
	Deployment   Deployment `yaml:"deployment" doc:"deploymentInfo in config.js."`
	STUNServers  []string   `yaml:"stun_servers" kind:"hostport" doc:"STUN servers (host:port) for peer-to-peer calls; [] for none."`
	AppSecret    string     `yaml:"app_secret" kind:"appsecret" env:"JITSI_APP_SECRET" doc:"Secret of the Jitsi token app; empty: generated on the host and kept."`
	CoreBridge   bool       `yaml:"core_bridge" doc:"Run a videobridge on the core host too; false needs a host with role videobridge."`
	// What a stock install leaves open and this one closes; see docs/hardening.md.
	Federation     bool     `yaml:"federation" doc:"Let Prosody talk to other XMPP servers (server-to-server, 5269/tcp; open it in the firewall yourself); false: server-to-server is off."`
	FrameAncestors []string `yaml:"frame_ancestors" kind:"origin" doc:"Sites (https://host[:port]) whose pages may embed the meeting in a frame, besides the meeting's own and janssen.issuer's; [\"*\"]: any site."`
}

// TURN tunes coturn and adds TURN over TLS on port 443.
type TURN struct {
	TLS443Host string `yaml:"tls_443_host" kind:"domain" doc:"Second DNS name of the core host, e.g. turn.meet.example.com, for TURN over TLS on port 443 (nginx passes it to coturn by SNI); it needs its own DNS record and goes into the certificate; empty: off."`
	TCPRelay   bool   `yaml:"tcp_relay" doc:"Let clients open TCP relay connections to peers (RFC 6062); WebRTC never asks for them."`
	UserQuota  int    `yaml:"user_quota" min:"0" doc:"Most relay allocations at once per TURN user name (the sessions that signed in in the same second share one); 0: no limit."`
	TotalQuota int    `yaml:"total_quota" min:"0" doc:"Most relay allocations at once on the server; 0: no limit."`
}

// Repo is an APT repository with its signing key.
type Repo struct {
	URL            string `yaml:"url" kind:"url" doc:"Repository URL (http or https)."`
	Suite          string `yaml:"suite" kind:"name" doc:"Suite (distribution) of the repository."`
	KeyURL         string `yaml:"key_url" kind:"url" doc:"URL of the repository's signing key, fetched on the host."`
	KeyFingerprint string `yaml:"key_fingerprint" kind:"fingerprint" doc:"Expected fingerprint of the signing key (40 hex digits, spaces allowed); empty: shown in the plan, not checked."`
}

// Deployment is config.js deploymentInfo.
type Deployment struct {
	Shard       string `yaml:"shard" kind:"name" doc:"Shard name."`
	Region      string `yaml:"region" kind:"name" doc:"Region name; Jicofo's region-based bridge selection reads it."`
	Environment string `yaml:"environment" kind:"name" doc:"Environment name, e.g. production or staging."`
}

// APT configures the package manager on the hosts.
type APT struct {
	Proxy string `yaml:"proxy" kind:"url" doc:"HTTP proxy for apt on the hosts, e.g. http://proxy.example.com:3128; empty: none."`
}

// Firewall configures UFW on the hosts.
type Firewall struct {
	Enabled          bool     `yaml:"enabled" doc:"Manage UFW: allow SSH, 80/tcp, 443/tcp, 10000/udp (and TURN's ports), then enable it."`
	OpenGuidePorts   bool     `yaml:"open_guide_ports" doc:"Also open 4443/tcp, 5222/tcp and 5347/tcp to everyone, as older guides do; not needed and not advised."`
	XMPPFrom         []string `yaml:"xmpp_from" kind:"cidr" doc:"Addresses (IP or CIDR) allowed to reach XMPP on 5222/tcp, e.g. remote videobridges."`
	RemoveUndeclared bool     `yaml:"remove_undeclared" doc:"Delete UFW rules the installer does not declare (added by hand); when false they are kept and listed in the plan."`
}

// Backups says how many runs' backups the hosts keep.
type Backups struct {
	Keep int `yaml:"keep" min:"1" doc:"Keep the backups of this many most recent runs; older ones are deleted."`
}

// Defaults that the steps may want to compare against.
const (
	DefaultACMEServer   = "https://acme-v02.api.letsencrypt.org/directory"
	DefaultSTUNServer   = "meet-jit-si-turnrelay.jitsi.net:443"
	DefaultChannelLastN = 20
	DefaultBackupsKeep  = 10
	// Prosody's TURN user name is the credentials' expiry second, shared
	// by every session that signed in that second; a web client allocates
	// on each TURN URI for the bridge and for a peer-to-peer call (up to
	// six at once). 100 serves a burst of sign-ins, 1200 about 200 relayed
	// clients (docs/media.md).
	DefaultTURNUserQuota  = 100
	DefaultTURNTotalQuota = 1200
	// VersionLatest as jitsi.version: the newest release at the first
	// install, then the release installed.
	VersionLatest = "latest"
)

// applyDefaults fills what the file left out. given reports whether the file
// set a path to a non-null value; booleans, integers and lists need it, as
// their zero value can be meant, while an empty string always means "the
// default".
func applyDefaults(c *Config, given func(path string) bool) {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	for i := range c.Hosts {
		h := &c.Hosts[i]
		if !given(fmt.Sprintf("hosts[%d].port", i)) {
			h.Port = 22
		}
		def(&h.User, "root")
		def(&h.Role, RoleCore)
	}
	def(&c.TLS.Mode, TLSLetsEncrypt)
	def(&c.LetsEncrypt.Server, DefaultACMEServer)
	def(&c.Janssen.Audience, "jitsi")
	def(&c.Janssen.AppID, "jitsi")
	def(&c.Janssen.DiscoveryURL, jwks.DiscoveryURL(c.Janssen.Issuer))

	j := &c.Jitsi
	def(&j.Version, VersionLatest)
	def(&j.Repo.URL, "https://download.jitsi.org")
	def(&j.Repo.Suite, "stable/")
	def(&j.Repo.KeyURL, "https://download.jitsi.org/jitsi-key.gpg.key")
	// As in the Jitsi handbook's quick start.
	def(&j.ProsodyRepo.URL, "http://packages.prosody.im/debian")
	def(&j.ProsodyRepo.KeyURL, "https://prosody.im/files/prosody-debian-packages.key")
	if !given("jitsi.turn") {
		j.Turn = true
	}
	if !given("jitsi.channel_last_n") {
		j.ChannelLastN = DefaultChannelLastN
	}
	def(&j.Deployment.Shard, "shard-1")
	def(&j.Deployment.Region, "default")
	def(&j.Deployment.Environment, "production")
	if !given("jitsi.core_bridge") {
		j.CoreBridge = true
	}
	if !given("jitsi.stun_servers") {
		j.STUNServers = []string{DefaultSTUNServer}
	}

	if !given("turn.user_quota") {
		c.TURN.UserQuota = DefaultTURNUserQuota
	}
	if !given("turn.total_quota") {
		c.TURN.TotalQuota = DefaultTURNTotalQuota
	}

	if !given("firewall.enabled") {
		c.Firewall.Enabled = true
	}
	if !given("backups.keep") {
		c.Backups.Keep = DefaultBackupsKeep
	}
}

// Region is the region of h's videobridge.
func (c *Config) Region(h Host) string {
	if h.Region != "" {
		return h.Region
	}
	return c.Jitsi.Deployment.Region
}

// MeetingURL is where the meetings are held.
func (c *Config) MeetingURL() string { return "https://" + c.Domain + "/" }

// Core returns the host with role core.
func (c *Config) Core() (Host, bool) {
	for _, h := range c.Hosts {
		if h.Role == RoleCore {
			return h, true
		}
	}
	return Host{}, false
}

// Bridges returns the hosts with role videobridge, in file order.
func (c *Config) Bridges() []Host {
	var out []Host
	for _, h := range c.Hosts {
		if h.Role == RoleVideobridge {
			out = append(out, h)
		}
	}
	return out
}

// Regions returns the distinct regions of the deployment's videobridges
// (the core's when it runs one), in file order.
func (c *Config) Regions() []string {
	var out []string
	for _, h := range c.Hosts {
		if h.Role == RoleVideobridge || h.Role == RoleCore && c.Jitsi.CoreBridge {
			if r := c.Region(h); !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// Secrets returns every secret value in c: passwords, client secrets, the app
// secret, passwords inside URLs and whatever a ${cmd:...} printed, longest
// first, so that output can be redacted without leaving part of a secret
// behind.
func (c *Config) Secrets() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	walk(reflect.ValueOf(c).Elem(), func(f field, s string) {
		if !kinds[f.kind].secret {
			s = urlPassword(f.kind, s)
		}
		add(s)
	})
	if c.src != nil {
		for _, v := range c.src.cmd {
			add(v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// walk calls fn for every string under v, list items included.
func walk(v reflect.Value, fn func(f field, s string)) {
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		switch fv.Kind() {
		case reflect.Struct:
			walk(fv, fn)
		case reflect.Slice:
			for i := range fv.Len() {
				if fv.Index(i).Kind() == reflect.Struct {
					walk(fv.Index(i), fn)
				} else {
					fn(f, fv.Index(i).String())
				}
			}
		case reflect.String:
			fn(f, fv.String())
		}
	}
}

// urlPassword returns the password inside a URL value, if any.
func urlPassword(kind, s string) string {
	if kind != "url" && kind != "https" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return ""
	}
	p, _ := u.User.Password()
	return p
}

// field is one key of the file, read from a struct field's tags.
type field struct {
	index    int
	key      string
	doc      string
	kind     string
	required bool
	enum     []string
	min, max *int
	env      string
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists the keys of a struct type in declaration order.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		key := sf.Tag.Get("yaml")
		if key == "" || !sf.IsExported() {
			continue
		}
		f := field{
			index:    i,
			key:      key,
			doc:      sf.Tag.Get("doc"),
			kind:     sf.Tag.Get("kind"),
			required: sf.Tag.Get("req") == "true",
			env:      sf.Tag.Get("env"),
		}
		if e := sf.Tag.Get("enum"); e != "" {
			f.enum = strings.Split(e, ",")
		}
		f.min = intTag(sf.Tag.Get("min"))
		f.max = intTag(sf.Tag.Get("max"))
		fs = append(fs, f)
	}
	fieldCache.Store(t, fs)
	return fs
}

func intTag(s string) *int {
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(fmt.Sprintf("answers: bad integer tag %q", s))
	}
	return &n
}
