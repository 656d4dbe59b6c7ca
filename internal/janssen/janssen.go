// Package janssen is a stand-in for the public endpoints of a Janssen IAM
// server (OIDC discovery, JWKS, token and dynamic client registration),
// served over HTTPS with its own test CA. Tests mint tokens with it and
// rotate its signing keys; README.md lists what it checks. It is the one
// Janssen of every test: the unit tests of pkg/jwks and the CLI, and the
// sandbox targets of the e2e suite. It shares no code with pkg/jwks, so a
// bug in the code under test cannot hide in it too.
package janssen

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Paths of the endpoints, under the issuer.
const (
	DiscoveryPath    = "/jans-auth/.well-known/openid-configuration"
	RootDiscoverPath = "/.well-known/openid-configuration"
	AuthorizePath    = "/jans-auth/restv1/authorize"
	TokenPath        = "/jans-auth/restv1/token"
	UserinfoPath     = "/jans-auth/restv1/userinfo"
	EndSessionPath   = "/jans-auth/restv1/end_session"
	JWKSPath         = "/jans-auth/restv1/jwks"
	RegisterPath     = "/jans-auth/restv1/register"
)

// ShortJWKSCache is a Cache-Control for the JWKS that makes Prosody fetch
// it again within a minute; tests that rotate keys set it with
// SetJWKSCacheControl. Janssen's own JWKS endpoint sends no Cache-Control.
const ShortJWKSCache = "max-age=60"

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	issuer string
	caPEM  []byte
	cert   tls.Certificate

	mu            sync.Mutex
	gens          []generation // oldest first; the last one signs
	cacheControl  string       // of the JWKS; "" sends none
	clients       map[string]client
	regToken      string
	registrations []Registration // one per client, oldest first
	regEndpoint   string         // advertised instead of RegisterPath; "" none
	dropFields    []string       // client metadata the registration ignores
}

type client struct {
	secret string
	claims map[string]any
}

// Registration is one dynamic client registration the server accepted.
type Registration struct {
	// Request is the registration request's JSON body.
	Request map[string]any `json:"request"`
	// ClientID is the client id the server returned.
	ClientID string `json:"client_id"`
	// Updates counts the RFC 7592 updates of the client since.
	Updates int `json:"updates"`
	// Deleted says the client was deleted (RFC 7592 DELETE).
	Deleted bool `json:"deleted,omitempty"`

	token string // the registration access token
}

// New makes a server whose certificate, signed by a new test CA, is valid
// for hosts (IP addresses or DNS names) and whose issuer is
// https://hosts[0]:port. Its JWKS holds one generation of keys, as a
// default Janssen's does (see Rotate).
func New(hosts []string, port int) (*Server, error) {
	if len(hosts) == 0 {
		return nil, errors.New("janssen: no host for the certificate")
	}
	caPEM, cert, err := newCertificate(hosts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		issuer:  "https://" + net.JoinHostPort(hosts[0], strconv.Itoa(port)),
		caPEM:   caPEM,
		cert:    cert,
		clients: map[string]client{},
	}
	if _, err := s.Rotate(); err != nil {
		return nil, err
	}
	return s, nil
}

// Issuer is https://HOST:PORT, without a trailing slash.
func (s *Server) Issuer() string { return s.issuer }

// CAPEM is the PEM certificate of the CA that signed the server's
// certificate: a client that trusts it alone can reach the server.
func (s *Server) CAPEM() []byte { return append([]byte(nil), s.caPEM...) }

// TLSConfig serves the server's certificate.
func (s *Server) TLSConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: tls.VersionTLS12}
}

// Serve serves Handler over TLS on l until l is closed.
func (s *Server) Serve(l net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(tls.NewListener(l, s.TLSConfig()))
}

// AddClient configures a confidential client for the client_credentials
// grant; claims are added to (and override) the access token's defaults.
func (s *Server) AddClient(id, secret string, claims map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[id] = client{secret: secret, claims: claims}
}

// SetRegistrationToken sets the initial access token that dynamic client
// registration requires as "Authorization: Bearer"; "" leaves registration
// open to anyone.
func (s *Server) SetRegistrationToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.regToken = token
}

// SetRegistrationEndpoint makes discovery advertise u as the registration
// endpoint, for tests of a discovery document that points elsewhere; ""
// restores the server's own.
func (s *Server) SetRegistrationEndpoint(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.regEndpoint = u
}

// DropClientFields makes registration ignore these client metadata fields,
// as a provider that does not know them does: they are neither kept nor
// returned.
func (s *Server) DropClientFields(names ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropFields = names
}

// DeleteClient deletes a registered client, as an administrator would.
func (s *Server) DeleteClient(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.registrations {
		if s.registrations[i].ClientID == id {
			s.registrations[i].Deleted = true
		}
	}
}

// Registrations are the registered clients, oldest first, each with its
// latest metadata.
func (s *Server) Registrations() []Registration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Registration(nil), s.registrations...)
}

func newCertificate(hosts []string) ([]byte, tls.Certificate, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("generate CA key: %w", err)
	}
	ca := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "Janssen stand-in test CA " + randomHex(4)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("create CA certificate: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("generate server key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	// Signed by the parsed CA, not its template: the parsed one has the
	// subject key id Go generated, which becomes the server certificate's
	// authority key id. Strict verifiers (Python 3.13's default) require it,
	// and every certificate a real CA issues has it.
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("parse CA certificate: %w", err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, fmt.Errorf("create server certificate: %w", err)
	}
	cert := tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: leafKey}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), cert, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
