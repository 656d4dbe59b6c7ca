package sandbox

import (
	"bytes"
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// The answers file the installer reads; field names are the installer's.
type answersFile struct {
	Version     int           `yaml:"version"`
	Domain      string        `yaml:"domain"`
	Hosts       []answersHost `yaml:"hosts"`
	LetsEncrypt answersACME   `yaml:"letsencrypt"`
	TLS         struct {
		Mode string `yaml:"mode"`
	} `yaml:"tls"`
	Janssen answersJanssen `yaml:"janssen"`
	Jitsi   struct {
		Repo answersRepo `yaml:"repo"`
	} `yaml:"jitsi"`
	Apt struct {
		Proxy string `yaml:"proxy"`
	} `yaml:"apt"`
	Firewall struct {
		Enabled bool `yaml:"enabled"`
	} `yaml:"firewall"`
}

type answersHost struct {
	Address      string          `yaml:"address"`
	Port         int             `yaml:"port"`
	User         string          `yaml:"user"`
	KeyFile      string          `yaml:"key_file"`
	HostKey      string          `yaml:"host_key"`
	SudoPassword string          `yaml:"sudo_password,omitempty"`
	Role         string          `yaml:"role"`
	Region       string          `yaml:"region,omitempty"`
	Bastion      *answersBastion `yaml:"bastion,omitempty"`
}

type answersBastion struct {
	Address string `yaml:"address"`
	Port    int    `yaml:"port"`
	User    string `yaml:"user"`
	KeyFile string `yaml:"key_file"`
	HostKey string `yaml:"host_key"`
}

type answersACME struct {
	Email    string `yaml:"email"`
	Server   string `yaml:"server"`
	CABundle string `yaml:"ca_bundle"`
}

type answersJanssen struct {
	Issuer     string `yaml:"issuer"`
	Audience   string `yaml:"audience"`
	AppID      string `yaml:"app_id"`
	ClientID   string `yaml:"client_id"`
	CABundle   string `yaml:"ca_bundle"`
	TestClient struct {
		ClientID     string `yaml:"client_id"`
		ClientSecret string `yaml:"client_secret"`
	} `yaml:"test_client"`
}

type answersRepo struct {
	URL            string `yaml:"url"`
	Suite          string `yaml:"suite"`
	KeyURL         string `yaml:"key_url"`
	KeyFingerprint string `yaml:"key_fingerprint"`
}

// renderAnswers makes the answers file for a target: its SSH access and the
// services its daemon runs. Secrets are referenced by file.
func renderAnswers(s *State) ([]byte, error) {
	a := answersFile{Version: 1, Domain: s.Domain}
	h := answersHost{Address: s.Address, Port: s.Port, User: s.User, KeyFile: s.KeyFile, HostKey: s.HostKey, Role: "core"}
	if s.SudoPasswordFile != "" {
		h.SudoPassword = "${file:" + s.SudoPasswordFile + "}"
	}
	if b := s.Bastion; b != nil {
		h.Bastion = &answersBastion{Address: b.Address, Port: b.Port, User: b.User, KeyFile: b.KeyFile, HostKey: b.HostKey}
	}
	a.Hosts = []answersHost{h}
	// Not the template's ops@example.com: answers a target is given are
	// edited answers, and load without the example-value warning.
	a.LetsEncrypt = answersACME{Email: "ops@example.net", Server: s.ACMEServer, CABundle: s.ACMECABundle}
	a.TLS.Mode = "letsencrypt"
	a.Janssen = answersJanssen{Issuer: s.JanssenIssuer, Audience: "jitsi", AppID: "jitsi", ClientID: WebClientID, CABundle: s.JanssenCA}
	a.Janssen.TestClient.ClientID = s.JanssenClientID
	if s.JanssenSecret != "" {
		a.Janssen.TestClient.ClientSecret = "${file:" + s.JanssenSecret + "}"
	}
	a.Jitsi.Repo = answersRepo{URL: s.RepoURL, Suite: s.RepoSuite, KeyURL: s.RepoKeyURL, KeyFingerprint: s.RepoFingerprint}
	a.Apt.Proxy = s.AptProxy
	a.Firewall.Enabled = true

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "# Answers for sandbox target %s (%s), made by `sandbox up`.\n", s.Name, s.Suite)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(a); err != nil {
		return nil, fmt.Errorf("render answers: %w", err)
	}
	return buf.Bytes(), nil
}

func (t *Target) writeAnswers() error {
	b, err := renderAnswers(&t.State)
	if err != nil {
		return err
	}
	t.AnswersFile = filepath.Join(t.dir, "answers.yaml")
	return writeFileAtomic(t.AnswersFile, b, 0o600)
}
