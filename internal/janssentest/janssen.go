// Package janssentest is a stand-in for the public endpoints of a Janssen IAM
// server (OIDC discovery, JWKS, token and dynamic client registration),
// served over HTTPS with its own test CA. Tests mint tokens with it and
// rotate its signing keys; README.md lists what it checks. It is the one
// Janssen of every test: the unit tests of pkg/jwks and the CLI, and the
// sandbox targets of the e2e suite. It shares no code with pkg/jwks, so a
// bug in the code under test cannot hide in it too.
package janssentest

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/testca"
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
	corsOrigins   []string       // corsAllowedOrigins; "*" allows any
	users         map[string]User
	pending       map[string]*authRequest // by id, until the code is issued
	codes         map[string]*authRequest // by authorization code, used once
	sessions      map[string]*session     // by session_id cookie
}

type client struct {
	secret string
	claims map[string]any
	// public clients (token_endpoint_auth_method none) sign users in with
	// PKCE and no secret.
	public bool
	// meta is the client's registered metadata: redirect_uris,
	// post_logout_redirect_uris, authorized_origins.
	meta map[string]any
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
	files, err := testca.New("Janssen stand-in", hosts...)
	if err != nil {
		return nil, err
	}
	cert, err := files.TLS()
	if err != nil {
		return nil, err
	}
	s := &Server{
		issuer:      "https://" + net.JoinHostPort(hosts[0], strconv.Itoa(port)),
		caPEM:       files.CA,
		cert:        cert,
		clients:     map[string]client{},
		corsOrigins: []string{"*"},
		users:       map[string]User{},
		pending:     map[string]*authRequest{},
		codes:       map[string]*authRequest{},
		sessions:    map[string]*session{},
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

// lookupClient finds a configured or registered client.
func (s *Server) lookupClient(id string) (client, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	return c, ok
}

// SetRegistrationToken sets the initial access token that dynamic client
// registration requires as "Authorization: Bearer"; "" leaves registration
// open to anyone.
func (s *Server) SetRegistrationToken(token string) { store(s, &s.regToken, token) }

// SetRegistrationEndpoint makes discovery advertise u as the registration
// endpoint, for tests of a discovery document that points elsewhere; ""
// restores the server's own.
func (s *Server) SetRegistrationEndpoint(u string) { store(s, &s.regEndpoint, u) }

// DropClientFields makes registration ignore these client metadata fields,
// as a provider that does not know them does: they are neither kept nor
// returned.
func (s *Server) DropClientFields(names ...string) { store(s, &s.dropFields, names) }

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

// store sets one of s's settings under its lock.
func store[T any](s *Server, field *T, v T) {
	s.mu.Lock()
	defer s.mu.Unlock()
	*field = v
}

// load reads one of s's settings under its lock.
func load[T any](s *Server, field *T) T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *field
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
