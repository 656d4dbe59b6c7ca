package jwttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"testing"
)

// Key is an RSA signing key named by a kid, as an identity provider
// publishes its RS256 key.
type Key struct {
	Kid     string
	Private *rsa.PrivateKey
}

// NewKey makes a 2048-bit RSA key named kid.
func NewKey(t testing.TB, kid string) Key {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return Key{Kid: kid, Private: k}
}

// Public is the key's public half.
func (k Key) Public() *rsa.PublicKey { return &k.Private.PublicKey }

// JWK is the public key as a JWKS lists an RS256 signing key.
func (k Key) JWK() map[string]any {
	return map[string]any{"kty": "RSA", "kid": k.Kid, "use": "sig", "alg": "RS256",
		"n": b64.EncodeToString(k.Private.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(k.Private.E)).Bytes())}
}

// PEM is the public key as a "PUBLIC KEY" block, the way Prosody's
// asap_key_server serves it.
func (k Key) PEM() string {
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		panic("jwttest: " + err.Error()) // an RSA public key always encodes
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// Sign is the RS256 token of claims with the header {alg RS256, typ JWT,
// kid} changed by hdr: its entries are added or replace these, and a nil
// value removes one.
func (k Key) Sign(claims, hdr map[string]any) string {
	h := map[string]any{"alg": "RS256", "typ": "JWT", "kid": k.Kid}
	for n, v := range hdr {
		if v == nil {
			delete(h, n)
		} else {
			h[n] = v
		}
	}
	return RS256(k.Private, h, claims)
}

// ECJWK is a new P-256 ES256 signing key as Janssen's JWKS lists one: the
// kind of key Prosody's token plugin cannot read.
func ECJWK(t testing.TB, kid string) map[string]any {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := k.PublicKey.Bytes() // 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256",
		"x": b64.EncodeToString(pt[1:33]), "y": b64.EncodeToString(pt[33:])}
}
