package tui

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// Choices of the form that the answers file spells differently.
const (
	authAgent = "agent"
	authFile  = "file"

	acmeProduction = "production"
	acmeStaging    = "staging"
	acmeCustom     = "custom"

	// StagingACMEServer is Let's Encrypt's staging directory: real
	// validation, certificates no browser trusts, generous rate limits.
	StagingACMEServer = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// values is what the form edits, as typed. The form's fields are bound to
// these strings by pointer; config turns them back into answers.
type values struct {
	Address, Port, User string
	Auth                string // authAgent or authFile
	KeyFile             string
	SudoPassword        string

	Domain       string
	TLSMode      string
	Email        string
	ACME         string // acmeProduction, acmeStaging or acmeCustom
	ACMEServer   string
	ACMECABundle string
	CertFile     string
	CertKeyFile  string

	Issuer    string
	JanssenCA string
	Audience  string
	AppID     string
	ClientID  string

	Firewall   bool
	GuidePorts bool

	Advanced         bool // show the pages of the keys most installs keep as they are
	Version          string
	RepoURL          string
	RepoSuite        string
	RepoKeyURL       string
	RepoFingerprint  string
	AptProxy         string
	TestClientID     string
	TestClientSecret string

	base       *answers.Config // what the form started from; keeps every key it does not ask
	core       int             // index of the host the form edits
	discovery  string          // a discovery_url the answers set on purpose
	defaultKey string          // key file offered when there is none
}

// blank is a Config with every default and nothing the operator must give.
func blank() *answers.Config {
	const doc = "version: 1\ndomain: meet.example.com\nhosts: [{address: 192.0.2.1}]\n" +
		"janssen: {issuer: https://login.example.com}\nletsencrypt: {email: ops@example.com}\n"
	cfg, err := answers.Parse("answers.yaml", []byte(doc), answers.Options{
		Dir: ".", LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		panic("tui: the built-in defaults do not parse: " + err.Error())
	}
	cfg.Domain, cfg.Hosts[0].Address, cfg.LetsEncrypt.Email = "", "", ""
	cfg.Janssen.Issuer, cfg.Janssen.DiscoveryURL = "", ""
	return cfg
}

// newValues starts the form from cfg, or from the defaults when cfg is nil.
func newValues(cfg *answers.Config) *values {
	if cfg == nil {
		cfg = blank()
	}
	c := *cfg
	c.Hosts = append([]answers.Host(nil), cfg.Hosts...)
	if len(c.Hosts) == 0 {
		c.Hosts = blank().Hosts
	}
	v := &values{base: &c, defaultKey: defaultKeyFile()}
	for i, h := range c.Hosts {
		if h.Role == answers.RoleCore {
			v.core = i
			break
		}
	}
	h := c.Hosts[v.core]
	v.Address, v.Port, v.User = h.Address, strconv.Itoa(h.Port), h.User
	v.Auth, v.KeyFile, v.SudoPassword = authAgent, h.KeyFile, h.SudoPassword
	if h.KeyFile != "" || os.Getenv("SSH_AUTH_SOCK") == "" {
		v.Auth = authFile
	}
	if v.KeyFile == "" {
		v.KeyFile = v.defaultKey
	}

	v.Domain, v.TLSMode = c.Domain, c.TLS.Mode
	v.Email, v.ACMEServer, v.ACMECABundle = c.LetsEncrypt.Email, c.LetsEncrypt.Server, c.LetsEncrypt.CABundle
	switch c.LetsEncrypt.Server {
	case answers.DefaultACMEServer, "":
		v.ACME, v.ACMEServer = acmeProduction, ""
	case StagingACMEServer:
		v.ACME, v.ACMEServer = acmeStaging, ""
	default:
		v.ACME = acmeCustom
	}
	v.CertFile, v.CertKeyFile = c.TLS.CertFile, c.TLS.KeyFile

	j := c.Janssen
	v.Issuer, v.JanssenCA = j.Issuer, j.CABundle
	v.Audience, v.AppID, v.ClientID = j.Audience, j.AppID, j.ClientID
	if j.DiscoveryURL != "" && j.DiscoveryURL != jwks.DiscoveryURL(j.Issuer) {
		v.discovery = j.DiscoveryURL
	}

	v.Firewall, v.GuidePorts = c.Firewall.Enabled, c.Firewall.OpenGuidePorts

	r := c.Jitsi.Repo
	v.Version, v.RepoURL, v.RepoSuite, v.RepoKeyURL, v.RepoFingerprint = c.Jitsi.Version, r.URL, r.Suite, r.KeyURL, r.KeyFingerprint
	v.AptProxy = c.APT.Proxy
	v.TestClientID, v.TestClientSecret = j.TestClient.ClientID, j.TestClient.ClientSecret
	return v
}

// defaultKeyFile is the first usual private key that exists, as ~/ path.
func defaultKeyFile() string {
	home, err := os.UserHomeDir()
	if err == nil {
		for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			if _, err := os.Stat(filepath.Join(home, ".ssh", name)); err == nil {
				return "~/.ssh/" + name
			}
		}
	}
	return "~/.ssh/id_ed25519"
}

// discoveryURL is where the Janssen check and the host look for the document.
func (v *values) discoveryURL() string {
	if v.discovery != "" {
		return v.discovery
	}
	return jwks.DiscoveryURL(v.Issuer)
}

func (v *values) root() bool { return v.User == "root" || v.User == "" }

// config is the answers as the form has them. Keys the form does not ask
// keep what the answers file (or the defaults) had.
func (v *values) config() *answers.Config {
	c := *v.base
	c.Hosts = append([]answers.Host(nil), v.base.Hosts...)
	h := &c.Hosts[v.core]
	h.Address, h.User = v.Address, v.User
	h.Port, _ = strconv.Atoi(v.Port)
	h.KeyFile, h.SudoPassword = "", ""
	if v.Auth == authFile {
		h.KeyFile = v.KeyFile
	}
	if !v.root() {
		h.SudoPassword = v.SudoPassword
	}

	c.Domain = v.Domain
	c.TLS = answers.TLS{Mode: v.TLSMode}
	if v.TLSMode == answers.TLSOwn {
		c.TLS.CertFile, c.TLS.KeyFile = v.CertFile, v.CertKeyFile
	}
	if v.TLSMode == answers.TLSLetsEncrypt {
		c.LetsEncrypt = answers.LetsEncrypt{Email: v.Email, Server: answers.DefaultACMEServer}
		switch v.ACME {
		case acmeStaging:
			c.LetsEncrypt.Server = StagingACMEServer
		case acmeCustom:
			c.LetsEncrypt.Server, c.LetsEncrypt.CABundle = v.ACMEServer, v.ACMECABundle
		}
	}

	c.Janssen.Issuer, c.Janssen.CABundle = v.Issuer, v.JanssenCA
	c.Janssen.DiscoveryURL = v.discovery
	c.Janssen.Audience, c.Janssen.AppID, c.Janssen.ClientID = v.Audience, v.AppID, v.ClientID

	c.Firewall.Enabled, c.Firewall.OpenGuidePorts = v.Firewall, v.Firewall && v.GuidePorts

	c.Jitsi.Version = v.Version
	c.Jitsi.Repo = answers.Repo{URL: v.RepoURL, Suite: v.RepoSuite, KeyURL: v.RepoKeyURL, KeyFingerprint: v.RepoFingerprint}
	c.APT.Proxy = v.AptProxy
	c.Janssen.TestClient = answers.TestClient{ClientID: v.TestClientID, ClientSecret: v.TestClientSecret}
	return &c
}

// field returns the value bound to an answers path, for the checks that
// need the whole file.
func (v *values) field(path string) *string {
	switch path {
	case v.hostPath("address"):
		return &v.Address
	case v.hostPath("port"):
		return &v.Port
	case v.hostPath("user"):
		return &v.User
	case v.hostPath("key_file"):
		return &v.KeyFile
	case v.hostPath("sudo_password"):
		return &v.SudoPassword
	case "domain":
		return &v.Domain
	case "letsencrypt.email":
		return &v.Email
	case "letsencrypt.server":
		return &v.ACMEServer
	case "letsencrypt.ca_bundle":
		return &v.ACMECABundle
	case "tls.cert_file":
		return &v.CertFile
	case "tls.key_file":
		return &v.CertKeyFile
	case "janssen.issuer":
		return &v.Issuer
	case "janssen.ca_bundle":
		return &v.JanssenCA
	case "janssen.audience":
		return &v.Audience
	case "janssen.app_id":
		return &v.AppID
	case "janssen.client_id":
		return &v.ClientID
	case "jitsi.version":
		return &v.Version
	case "jitsi.repo.url":
		return &v.RepoURL
	case "jitsi.repo.suite":
		return &v.RepoSuite
	case "jitsi.repo.key_url":
		return &v.RepoKeyURL
	case "jitsi.repo.key_fingerprint":
		return &v.RepoFingerprint
	case "apt.proxy":
		return &v.AptProxy
	case "janssen.test_client.client_id":
		return &v.TestClientID
	case "janssen.test_client.client_secret":
		return &v.TestClientSecret
	}
	return nil
}

func (v *values) hostPath(key string) string { return fmt.Sprintf("hosts[%d].%s", v.core, key) }

// answersFile is what Marshal writes for the form's answers, and the
// environment its ${env:...} references need.
func (v *values) answersFile() ([]byte, map[string]string, error) {
	cfg := v.config()
	data, err := answers.Marshal(cfg)
	if err != nil {
		return nil, nil, err
	}
	return data, answers.SecretEnv(cfg), nil
}

// load reads the answers back as the unattended mode would: every default
// filled in, every rule that spans keys checked. name places relative paths.
func (v *values) load(name string, skipFiles bool) (*answers.Config, error) {
	data, env, err := v.answersFile()
	if err != nil {
		return nil, err
	}
	return answers.Parse(name, data, answers.Options{
		Dir:            filepath.Dir(name),
		SkipFileChecks: skipFiles,
		LookupEnv: func(k string) (string, bool) {
			if s, ok := env[k]; ok {
				return s, true
			}
			return os.LookupEnv(k)
		},
	})
}

// check validates the value s typed for path: first as answers validate
// checks that key alone, then with the rest of the answers for the rules
// that span keys. The message is the one answers validate prints.
func (v *values) check(name, path, s string) error {
	if err := answers.ValidateField(path, s); err != nil {
		return err
	}
	w := *v
	if p := w.field(path); p != nil {
		*p = s
	}
	_, err := w.load(name, false)
	probs, ok := err.(*answers.Problems)
	if !ok {
		return nil
	}
	for _, p := range probs.List {
		if p.Path == path {
			return fmt.Errorf("%s", p.Msg)
		}
	}
	return nil
}
