package jwks

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileName(t *testing.T) {
	// Prosody: hex.to(sha256(kid))..".pem"; sha256("abc") is the FIPS 180-2 vector.
	if got := KeyFileName("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.pem" {
		t.Errorf("KeyFileName(abc) = %s", got)
	}
}

func jwk(kid string, pub *rsa.PublicKey) string {
	enc := base64.RawURLEncoding.EncodeToString
	return fmt.Sprintf(`{"kty":"RSA","kid":%q,"use":"sig","alg":"RS256","n":%q,"e":%q}`,
		kid, enc(pub.N.Bytes()), enc(big.NewInt(int64(pub.E)).Bytes()))
}

func TestParseJWKSAndPEM(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"keys":[` + jwk("rsa-1", &key.PublicKey) + `,
		{"kty":"EC","kid":"ec-1","crv":"P-256","x":"AA","y":"AA"},
		{"kty":"RSA","n":"AQAB","e":"AQAB"},
		{"kty":"RSA","kid":"bad-e","n":"AQAB","e":"AAAAAAAA"}]}`
	set, err := ParseJWKS([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if got := set.Kids(); len(got) != 1 || got[0] != "rsa-1" {
		t.Fatalf("kids %v, want [rsa-1]", got)
	}
	if len(set.Skipped) != 3 {
		t.Errorf("skipped %q, want the EC key, the key without kid and the bad exponent", set.Skipped)
	}
	pub, err := set.PublicKey("rsa-1")
	if err != nil || !pub.Equal(&key.PublicKey) {
		t.Fatalf("PublicKey(rsa-1) = %v, %v", pub, err)
	}
	if _, err := set.PublicKey("ec-1"); !errors.Is(err, ErrUnknownKid) || !strings.Contains(err.Error(), "only RSA") {
		t.Errorf("EC kid: %v", err)
	}
	if _, err := set.PublicKey("gone"); !errors.Is(err, ErrUnknownKid) || !strings.Contains(err.Error(), `only "rsa-1"`) {
		t.Errorf("unknown kid: %v", err)
	}
	pem, err := PEM(pub)
	if err != nil || !strings.HasPrefix(string(pem), "-----BEGIN PUBLIC KEY-----\n") {
		t.Fatalf("PEM: %v\n%s", err, pem)
	}
	back, err := ParsePEM(pem)
	if err != nil || !back.Equal(pub) {
		t.Errorf("ParsePEM(PEM(k)) = %v, %v", back, err)
	}
	for _, bad := range []string{`{}`, `[1]`, `not json`} {
		if _, err := ParseJWKS([]byte(bad)); err == nil {
			t.Errorf("ParseJWKS(%s) succeeded", bad)
		}
	}
}

func TestNewClientCABundle(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{notPEM, filepath.Join(dir, "missing.pem")} {
		if _, err := NewClient(f); err == nil {
			t.Errorf("NewClient(%s) succeeded", f)
		}
	}
}
