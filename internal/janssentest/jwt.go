package janssentest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha256" // the hashes tokens are signed with
	_ "crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MintOptions shape a token's header and signature.
type MintOptions struct {
	// Kid names the signing key; "" is the current generation's key for
	// Alg. A kid the server does not have is put in the header of a token
	// signed with the current key (for "unknown kid" tests).
	Kid string
	// Alg is "RS256" (the default), "RS384", "RS512", "ES256", "ES384",
	// "ES512", "PS256" (RSA-PSS with the RS256 key), "HS256", "HS384" or
	// "HS512" (HMAC keyed with the signing key's public key in PEM, the
	// classic algorithm-confusion token) or "none" (no signature).
	Alg string
	// Header entries are added to the header or replace alg, typ and kid;
	// a nil value removes the entry.
	Header map[string]any
}

// keyFor says which current signing key signs alg.
func keyFor(alg string) string {
	switch alg {
	case "PS256", "HS256", "HS384", "HS512", "none":
		return "RS256"
	}
	return alg
}

// Mint signs exactly the claims given: nothing is added, so tests can make
// tokens with any claim wrong or missing.
func (s *Server) Mint(claims map[string]any, opt MintOptions) (string, error) {
	alg := opt.Alg
	if alg == "" {
		alg = "RS256"
	}
	k, ok := s.find(opt.Kid, keyFor(alg))
	if !ok {
		// An unknown kid: sign with the current key all the same.
		if k, ok = s.find("", keyFor(alg)); !ok {
			return "", fmt.Errorf("janssen: cannot sign with alg %q", alg)
		}
	}
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
	sig, err := sign(k, alg, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

var hashes = map[string]crypto.Hash{
	"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512,
}

// sign signs input with k as alg says.
func sign(k key, alg string, input []byte) ([]byte, error) {
	if alg == "none" {
		return nil, nil
	}
	h, ok := hashes[strings.TrimLeft(alg, "RSPEH")]
	if !ok || len(alg) != 5 {
		return nil, fmt.Errorf("janssen: cannot sign with alg %q", alg)
	}
	d := h.New()
	d.Write(input)
	sum := d.Sum(nil)
	switch priv := k.priv.(type) {
	case *rsa.PrivateKey:
		switch alg[:2] {
		case "RS":
			return rsa.SignPKCS1v15(rand.Reader, priv, h, sum)
		case "PS":
			return rsa.SignPSS(rand.Reader, priv, h, sum, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		case "HS":
			mac := hmac.New(h.New, publicPEM(k))
			mac.Write(input)
			return mac.Sum(nil), nil
		}
	case *ecdsa.PrivateKey:
		if alg[:2] == "ES" {
			r, s, err := ecdsa.Sign(rand.Reader, priv, sum)
			if err != nil {
				return nil, fmt.Errorf("sign token: %w", err)
			}
			size := (priv.Curve.Params().BitSize + 7) / 8
			return append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...), nil
		}
	}
	return nil, fmt.Errorf("janssen: key %s cannot sign %s", k.kid, alg)
}

// Verify checks an RS256, RS384 or RS512 token's signature against the
// JWKS keys and returns its claims; it checks no claim.
func (s *Server) Verify(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	var header struct{ Alg, Kid string }
	if err := decodePart(parts[0], &header); err != nil {
		return nil, fmt.Errorf("token header: %w", err)
	}
	h, ok := hashes[strings.TrimPrefix(header.Alg, "RS")]
	if !ok || !strings.HasPrefix(header.Alg, "RS") {
		return nil, fmt.Errorf("alg %q is not RS256, RS384 or RS512", header.Alg)
	}
	k, ok := s.find(header.Kid, "")
	pub, isRSA := k.priv.(*rsa.PrivateKey)
	if !ok || header.Kid == "" || !isRSA || k.use != "sig" {
		return nil, fmt.Errorf("no RSA signing key %q", header.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("token signature: %w", err)
	}
	d := h.New()
	d.Write([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&pub.PublicKey, h, d.Sum(nil), sig); err != nil {
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

func publicPEM(k key) []byte {
	der, _ := x509.MarshalPKIXPublicKey(k.priv.Public())
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
