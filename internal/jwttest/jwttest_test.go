package jwttest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
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
