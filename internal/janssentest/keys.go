package janssentest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/testca"
)

// KeyLifetime is how long a generation of keys is published: the JWK's exp.
// Janssen regenerates its keys every 48 hours and publishes each for a
// while longer, so tokens signed just before a rotation still verify.
const KeyLifetime = 72 * time.Hour

// The keys of one generation, as a default Janssen publishes them: a
// signing key per algorithm and encryption keys, each with its own kid
// (UUID_use_alg).
var keySpecs = []struct {
	use, alg string
	curve    elliptic.Curve // nil: RSA-2048
}{
	{"sig", "RS256", nil},
	{"sig", "RS384", nil},
	{"sig", "RS512", nil},
	{"sig", "ES256", elliptic.P256()},
	{"sig", "ES384", elliptic.P384()},
	{"sig", "ES512", elliptic.P521()},
	{"enc", "RSA-OAEP", nil},
	{"enc", "ECDH-ES", elliptic.P256()},
}

// key is one key of the JWKS.
type key struct {
	kid, use, alg string
	priv          crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
	cert          []byte        // self-signed DER for the JWK's x5c
	exp           time.Time
}

// generation is the keys one rotation adds.
type generation []key

// signer is the generation's signing key for alg, or nil.
func (g generation) signer(alg string) *key {
	for i := range g {
		if g[i].use == "sig" && g[i].alg == alg {
			return &g[i]
		}
	}
	return nil
}

func newGeneration() (generation, error) {
	id := uuid()
	exp := time.Now().Add(KeyLifetime)
	var g generation
	for _, spec := range keySpecs {
		var priv crypto.Signer
		var err error
		if spec.curve == nil {
			priv, err = rsa.GenerateKey(rand.Reader, 2048)
		} else {
			priv, err = ecdsa.GenerateKey(spec.curve, rand.Reader)
		}
		if err != nil {
			return nil, fmt.Errorf("generate %s key: %w", spec.alg, err)
		}
		kid := id + "_" + spec.use + "_" + strings.ToLower(spec.alg)
		usage := x509.KeyUsageDigitalSignature
		if spec.use == "enc" {
			usage = x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement
		}
		tmpl := &x509.Certificate{
			SerialNumber: testca.Serial(),
			Subject:      pkix.Name{CommonName: "Janssen stand-in key " + kid},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     exp,
			KeyUsage:     usage,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, priv.Public(), priv)
		if err != nil {
			return nil, fmt.Errorf("certificate for key %s: %w", kid, err)
		}
		g = append(g, key{kid: kid, use: spec.use, alg: spec.alg, priv: priv, cert: der, exp: exp})
	}
	return g, nil
}

// Rotate adds a new generation of keys, whose RS256 key signs from now on,
// and returns that key's kid. The older generations stay in the JWKS until
// retired, as Janssen keeps publishing a key until it expires.
func (s *Server) Rotate() (string, error) {
	g, err := newGeneration()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gens = append(s.gens, g)
	return g.signer("RS256").kid, nil
}

// Retire removes the generation holding kid (any of its keys) from the
// JWKS. The newest remaining generation signs.
func (s *Server) Retire(kid string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, g := range s.gens {
		for _, k := range g {
			if k.kid != kid {
				continue
			}
			if len(s.gens) == 1 {
				return errors.New("janssen: cannot retire the only signing key")
			}
			s.gens = append(s.gens[:i:i], s.gens[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("janssen: no key %q", kid)
}

// Keys are the kids of the RS256 signing keys, one per generation, oldest
// first; the last one signs what the token endpoint issues.
func (s *Server) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	kids := make([]string, len(s.gens))
	for i, g := range s.gens {
		kids[i] = g.signer("RS256").kid
	}
	return kids
}

// SigningKey is the kid of the current generation's signing key for alg
// (RS256, RS384, RS512, ES256, ES384 or ES512).
func (s *Server) SigningKey(alg string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.gens[len(s.gens)-1].signer(alg)
	if k == nil {
		return "", fmt.Errorf("janssen: no signing key for %q", alg)
	}
	return k.kid, nil
}

// SetJWKSCacheControl sets the JWKS's Cache-Control header; "" (the
// default, as Janssen) sends none, and Prosody then fetches it every 6 h.
func (s *Server) SetJWKSCacheControl(v string) { store(s, &s.cacheControl, v) }

// find returns the key with kid; for "", the current generation's key for
// alg.
func (s *Server) find(kid, alg string) (key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kid != "" {
		for _, g := range s.gens {
			for _, k := range g {
				if k.kid == kid {
					return k, true
				}
			}
		}
		return key{}, false
	}
	if k := s.gens[len(s.gens)-1].signer(alg); k != nil {
		return *k, true
	}
	return key{}, false
}

// JWK is one key of the JWKS, as Janssen publishes it.
type JWK struct {
	Kty string   `json:"kty"`
	Kid string   `json:"kid"`
	Use string   `json:"use"`
	Alg string   `json:"alg"`
	Exp int64    `json:"exp"` // Janssen's own member: milliseconds since 1970
	N   string   `json:"n,omitempty"`
	E   string   `json:"e,omitempty"`
	Crv string   `json:"crv,omitempty"`
	X   string   `json:"x,omitempty"`
	Y   string   `json:"y,omitempty"`
	X5c []string `json:"x5c,omitempty"`
}

// JWKS is the key set document.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

func (s *Server) jwks() (JWKS, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := JWKS{Keys: []JWK{}}
	for _, g := range s.gens {
		for _, k := range g {
			j := JWK{Kid: k.kid, Use: k.use, Alg: k.alg, Exp: k.exp.UnixMilli(),
				X5c: []string{base64.StdEncoding.EncodeToString(k.cert)}}
			switch pub := k.priv.Public().(type) {
			case *rsa.PublicKey:
				j.Kty, j.N, j.E = "RSA", b64(pub.N.Bytes()), b64(big.NewInt(int64(pub.E)).Bytes())
			case *ecdsa.PublicKey:
				// The uncompressed point: 0x04, then X and Y at the curve's size.
				pt, err := pub.Bytes()
				if err != nil {
					continue
				}
				size := (len(pt) - 1) / 2
				j.Kty, j.Crv = "EC", pub.Curve.Params().Name
				j.X, j.Y = b64(pt[1:1+size]), b64(pt[1+size:])
			}
			set.Keys = append(set.Keys, j)
		}
	}
	return set, s.cacheControl
}

// uuid is a random (version 4) UUID, as Janssen's kids start with one.
func uuid() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
