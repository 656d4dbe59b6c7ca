package jwttest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
)

func TestSignaturesVerify(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claims := map[string]any{"room": "*", "exp": 1700000000}
	// The header is kept as given, even when it names another algorithm.
	header := map[string]any{"alg": "RS384", "kid": "k1"}
	for _, tt := range []struct {
		name   string
		token  string
		verify func(input string, sig []byte) bool
	}{
		{"HS256", HS256([]byte("secret"), header, claims), func(input string, sig []byte) bool {
			m := hmac.New(sha256.New, []byte("secret"))
			m.Write([]byte(input))
			return hmac.Equal(sig, m.Sum(nil))
		}},
		{"RS256", RS256(key, header, claims), func(input string, sig []byte) bool {
			sum := sha256.Sum256([]byte(input))
			return rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig) == nil
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			i := strings.LastIndex(tt.token, ".")
			sig, err := b64.DecodeString(tt.token[i+1:])
			if err != nil || !tt.verify(tt.token[:i], sig) {
				t.Fatalf("signature does not verify (%v)", err)
			}
			h, c, err := Decode(tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if h["alg"] != "RS384" || h["kid"] != "k1" || c["room"] != "*" || c["exp"] != float64(1700000000) {
				t.Errorf("decoded %v %v", h, c)
			}
			tampered := Tamper(t, tt.token, "other")
			if _, c, _ := Decode(tampered); c["room"] != "other" {
				t.Errorf("tampered claims %v", c)
			}
			if j := strings.LastIndex(tampered, "."); tampered[j:] != tt.token[i:] || tt.verify(tampered[:j], sig) {
				t.Error("tampering changed the signature or kept it valid")
			}
		})
	}
}

func TestDecodeRefusesNonTokens(t *testing.T) {
	for _, tok := range []string{"", "a.b", "a.b.c.d", "!!.e30.", "e30.bm90IGpzb24.sig"} {
		if _, _, err := Decode(tok); err == nil {
			t.Errorf("Decode(%q) accepts it", tok)
		}
	}
}

func TestKeyPublishesTheKeyItSignsWith(t *testing.T) {
	k := NewKey(t, "k1")
	tok := k.Sign(map[string]any{"room": "*"}, map[string]any{"typ": nil, "x5t": "t"})
	h, _, err := Decode(tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, typ := h["typ"]; h["alg"] != "RS256" || h["kid"] != "k1" || h["x5t"] != "t" || typ {
		t.Errorf("header %v, want alg RS256, kid k1, x5t and no typ", h)
	}
	jwk := k.JWK()
	n, errN := b64.DecodeString(jwk["n"].(string))
	e, errE := b64.DecodeString(jwk["e"].(string))
	if errN != nil || errE != nil || jwk["kid"] != "k1" || jwk["kty"] != "RSA" {
		t.Fatalf("JWK %v: %v %v", jwk, errN, errE)
	}
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	i := strings.LastIndex(tok, ".")
	sig, _ := b64.DecodeString(tok[i+1:])
	sum := sha256.Sum256([]byte(tok[:i]))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("the token does not verify with the JWK: %v", err)
	}
	b, _ := pem.Decode([]byte(k.PEM()))
	if b == nil || b.Type != "PUBLIC KEY" {
		t.Fatalf("PEM %q", k.PEM())
	}
	if got, err := x509.ParsePKIXPublicKey(b.Bytes); err != nil || !pub.Equal(got) {
		t.Errorf("the PEM is not the JWK's key: %v", err)
	}
	ec := ECJWK(t, "ec1")
	x, _ := b64.DecodeString(ec["x"].(string))
	y, _ := b64.DecodeString(ec["y"].(string))
	if ec["kty"] != "EC" || ec["crv"] != "P-256" || len(x) != 32 || len(y) != 32 {
		t.Errorf("EC JWK %v", ec)
	}
}
