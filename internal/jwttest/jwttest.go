// Package jwttest makes JSON Web Tokens by hand, the good and the forged,
// and the keys that sign them as a JWKS or a key server publishes them, for
// tests of what accepts or refuses them (Prosody's token plugin, the
// installer's checks). The header is the caller's to the letter: a token
// may claim one algorithm and be signed with another.
package jwttest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

var b64 = base64.RawURLEncoding

// Encode is a token's signing input: header and claims as JSON, each in
// unpadded base64url, joined by a dot.
func Encode(header, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	return b64.EncodeToString(h) + "." + b64.EncodeToString(c)
}

// HS256 is the token signed with HMAC-SHA256 under key.
func HS256(key []byte, header, claims map[string]any) string {
	input := Encode(header, claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + b64.EncodeToString(m.Sum(nil))
}

// RS256 is the token signed with RSASSA-PKCS1-v1_5 and SHA-256 under key.
func RS256(key *rsa.PrivateKey, header, claims map[string]any) string {
	input := Encode(header, claims)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(fmt.Sprintf("jwttest: RS256 with a %d-bit key: %v", key.N.BitLen(), err))
	}
	return input + "." + b64.EncodeToString(sig)
}

// Decode reads a token's header and claims; it checks no signature.
func Decode(token string) (header, claims map[string]any, err error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil, fmt.Errorf("token has %d parts, want 3", len(parts))
	}
	for i, v := range []*map[string]any{&header, &claims} {
		raw, err := b64.DecodeString(parts[i])
		if err != nil {
			return nil, nil, fmt.Errorf("token part %d: %w", i+1, err)
		}
		if err := json.Unmarshal(raw, v); err != nil {
			return nil, nil, fmt.Errorf("token part %d: %w", i+1, err)
		}
	}
	return header, claims, nil
}

// Tamper is the token with its room claim set to room and its header and
// signature kept: a signature that no longer matches.
func Tamper(t testing.TB, token, room string) string {
	t.Helper()
	_, claims, err := Decode(token)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	claims["room"] = room
	parts := strings.Split(token, ".")
	c, _ := json.Marshal(claims)
	return parts[0] + "." + b64.EncodeToString(c) + "." + parts[2]
}
