package janssen

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// MintOptions shape a token's header and signature.
type MintOptions struct {
	// Kid names the signing key; "" is the current key. A kid the server
	// does not have is put in the header of a token signed with the current
	// key (for "unknown kid" tests).
	Kid string
	// Alg is "RS256" (the default), "HS256" (keyed with the signing key's
	// public key in PEM, the classic algorithm-confusion token) or "none"
	// (no signature).
	Alg string
	// Header entries are added to the header or replace alg, typ and kid;
	// a nil value removes the entry.
	Header map[string]any
}

// Mint signs exactly the claims given: nothing is added, so tests can make
// tokens with any claim wrong or missing.
func (s *Server) Mint(claims map[string]any, opt MintOptions) (string, error) {
	alg := opt.Alg
	if alg == "" {
		alg = "RS256"
	}
	k, _ := s.key(opt.Kid)
	kid := opt.Kid
	if kid == "" {
		kid = k.kid
	}
	header := map[string]any{"alg": alg, "typ": "JWT", "kid": kid}
	for name, v := range opt.Header {
		if v == nil {
			delete(header, name)
		} else {
			header[name] = v
		}
	}
	h, err := json.Marshal(header)
	if err != nil {
		return "", fmt.Errorf("token header: %w", err)
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("token claims: %w", err)
	}
	input := b64(h) + "." + b64(c)
	var sig []byte
	switch alg {
	case "RS256":
		sum := sha256.Sum256([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, k.key, crypto.SHA256, sum[:])
		if err != nil {
			return "", fmt.Errorf("sign token: %w", err)
		}
	case "HS256":
		mac := hmac.New(sha256.New, publicPEM(k))
		mac.Write([]byte(input))
		sig = mac.Sum(nil)
	case "none":
	default:
		return "", fmt.Errorf("janssen: cannot sign with alg %q", alg)
	}
	return input + "." + b64(sig), nil
}

// Verify checks an RS256 token's signature against the JWKS keys and
// returns its claims; it checks no claim.
func (s *Server) Verify(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	var header struct{ Alg, Kid string }
	if err := decodePart(parts[0], &header); err != nil {
		return nil, fmt.Errorf("token header: %w", err)
	}
	if header.Alg != "RS256" {
		return nil, fmt.Errorf("alg %q is not RS256", header.Alg)
	}
	k, ok := s.key(header.Kid)
	if !ok || header.Kid == "" {
		return nil, fmt.Errorf("no key %q", header.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("token signature: %w", err)
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&k.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, fmt.Errorf("token signature: %w", err)
	}
	var claims map[string]any
	if err := decodePart(parts[1], &claims); err != nil {
		return nil, fmt.Errorf("token claims: %w", err)
	}
	return claims, nil
}

func decodePart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func publicPEM(k signingKey) []byte {
	der, _ := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// JWK is one key of the JWKS, as Janssen publishes it.
type JWK struct {
	Kty string   `json:"kty"`
	Kid string   `json:"kid"`
	Use string   `json:"use"`
	Alg string   `json:"alg"`
	N   string   `json:"n"`
	E   string   `json:"e"`
	X5c []string `json:"x5c,omitempty"`
}

// JWKS is the key set document.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

func (s *Server) jwks() JWKS {
	s.mu.Lock()
	defer s.mu.Unlock()
	set := JWKS{Keys: []JWK{}}
	for _, k := range s.keys {
		pub := k.key.PublicKey
		set.Keys = append(set.Keys, JWK{
			Kty: "RSA", Kid: k.kid, Use: "sig", Alg: "RS256",
			N:   b64(pub.N.Bytes()),
			E:   b64(big.NewInt(int64(pub.E)).Bytes()),
			X5c: []string{base64.StdEncoding.EncodeToString(k.cert)},
		})
	}
	return set
}
