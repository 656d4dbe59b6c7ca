package jwks

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"math/big"
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
	if _, err := set.PublicKey("ec-1"); !errors.Is(err, ErrUnusableKey) || !strings.Contains(err.Error(), "cannot use: it reads RSA keys") {
		t.Errorf("EC kid: %v", err)
	}
	if _, err := set.PublicKey("gone"); !errors.Is(err, ErrUnknownKid) ||
		err.Error() != `the JWKS has no key "gone"; it has the RSA signing key "rsa-1", 1 EC key, 1 RSA key without kid and 1 unusable RSA key` {
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

// TestKidWording: what the JWKS has is said as it is, never "rotated" for a
// kid that is there, never "no RSA key" or "only" when there are others.
func TestKidWording(t *testing.T) {
	a, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	b, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := strings.Replace(jwk("k", &a.PublicKey), `"use":"sig","alg":"RS256"`, `"use":"enc","alg":"RSA-OAEP"`, 1)
	noKid := strings.Replace(jwk("", &a.PublicKey), `"kid":"",`, "", 1)
	ec := `{"kty":"EC","kid":"k-ec","use":"sig","alg":"ES256","crv":"P-256","x":"AA","y":"AA"}`
	cases := []struct {
		name, doc, kid string
		want           *rsa.PublicKey
		is             error
		msg            string
	}{
		{name: "enc key first, sig key last", doc: enc + "," + jwk("k", &b.PublicKey), kid: "k", want: &b.PublicKey},
		{name: "sig key first, enc key last", doc: jwk("k", &b.PublicKey) + "," + enc, kid: "k", is: ErrUnusableKey,
			msg: `lists kid "k" 2 times; Prosody keeps the last, an RSA encryption key (use enc), alg RSA-OAEP`},
		{name: "only an enc key", doc: enc, kid: "k", is: ErrUnusableKey, msg: "not a signing key"},
		{name: "EC key", doc: jwk("k", &b.PublicKey) + "," + ec, kid: "k-ec", is: ErrUnusableKey,
			msg: `kid "k-ec" names an EC key, alg ES256`},
		{name: "RSA key without kid", doc: noKid + "," + ec, kid: "x", is: ErrUnknownKid,
			msg: `no RSA signing key with a kid, 1 EC key and 1 RSA key without kid`},
		{name: "others besides", doc: jwk("k", &b.PublicKey) + "," + jwk("k2", &a.PublicKey) + "," + ec + "," + enc, kid: "x", is: ErrUnknownKid,
			msg: `the RSA signing keys "k", "k2", 1 EC key and 1 RSA encryption key`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			set, err := ParseJWKS([]byte(`{"keys":[` + tc.doc + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			pub, err := set.PublicKey(tc.kid)
			if tc.want != nil {
				if err != nil || !pub.Equal(tc.want) {
					t.Fatalf("PublicKey(%s) = %v, want the signing key", tc.kid, err)
				}
				return
			}
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("PublicKey(%s): %v; want %v with %q", tc.kid, err, tc.is, tc.msg)
			}
			for _, wrong := range []string{"rotated", "has only", "no RSA key"} {
				if strings.Contains(err.Error(), wrong) {
					t.Errorf("%q in %v", wrong, err)
				}
			}
			var ke *KeyError
			if errors.Is(err, ErrUnusableKey) && (!errors.As(err, &ke) || ke.Fix == "") {
				t.Errorf("no fix for %v", err)
			}
		})
	}
}
