package oidc

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jitsi-installer/jitsi-installer/internal/testca"
)

//go:embed provider.mjs
var script []byte

// config is what provider.mjs reads.
type config struct {
	Module             string           `json:"module"`
	Issuer             string           `json:"issuer"`
	Host               string           `json:"host"`
	Port               int              `json:"port"`
	Cert               string           `json:"cert"`
	Key                string           `json:"key"`
	JWKS               []map[string]any `json:"jwks"`
	InitialAccessToken string           `json:"initialAccessToken"`
	TestClientID       string           `json:"testClientId"`
	TestClientSecret   string           `json:"testClientSecret"`
	Domain             string           `json:"domain"`
	Audience           string           `json:"audience"`
	Resource           string           `json:"resource"`
	WebClientID        string           `json:"webClientId,omitempty"`
	CORSOrigins        []string         `json:"corsOrigins,omitempty"`
}

// setUp writes what provider.mjs reads into p.dir: its TLS certificate and
// key, from a CA of its own, its signing keys and config.json, for a free
// port on its host.
func (p *Provider) setUp(o Options) error {
	host := o.Host
	if host == "" {
		host = "127.0.0.1"
	}
	port, err := freePort(host)
	if err != nil {
		return err
	}
	p.Issuer = "https://" + net.JoinHostPort(host, strconv.Itoa(port))
	tf, err := testca.New("oidc-provider", host, "127.0.0.1", "localhost")
	if err != nil {
		return err
	}
	p.CAFile = filepath.Join(p.dir, "ca.pem")
	files := map[string][]byte{"ca.pem": tf.CA, "cert.pem": tf.Cert, "key.pem": tf.Key, "provider.mjs": script}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(p.dir, name), data, 0o600); err != nil {
			return err
		}
	}
	keys, err := signingKeys()
	if err != nil {
		return err
	}
	cfg, _ := json.Marshal(config{
		Module: o.Module, Issuer: p.Issuer, Host: host, Port: port,
		Cert: filepath.Join(p.dir, "cert.pem"), Key: filepath.Join(p.dir, "key.pem"),
		JWKS: keys, InitialAccessToken: p.InitialAccessToken,
		TestClientID: p.clientID, TestClientSecret: p.clientSecret,
		Domain: o.Domain, Audience: o.Audience, Resource: p.Resource,
		WebClientID: o.WebClient, CORSOrigins: o.CORSOrigins,
	})
	return os.WriteFile(filepath.Join(p.dir, "config.json"), cfg, 0o600)
}

// freePort is a port free on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
