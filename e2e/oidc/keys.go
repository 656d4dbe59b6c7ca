package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
)

// signingKeys are the provider's private JWKs, as Janssen has them: RSA
// and EC signing keys and an RSA encryption key, each with a kid.
func signingKeys() ([]map[string]any, error) {
	var keys []map[string]any
	for _, k := range []struct{ kid, use, kty string }{
		{"rsa-sig-1", "sig", "RSA"}, {"ec-sig-1", "sig", "EC"}, {"rsa-enc-1", "enc", "RSA"},
	} {
		var priv crypto.Signer
		var err error
		if k.kty == "RSA" {
			priv, err = rsa.GenerateKey(rand.Reader, 2048)
		} else {
			priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		}
		if err != nil {
			return nil, fmt.Errorf("generate key: %w", err)
		}
		keys = append(keys, privateJWK(priv, k.kid, k.use))
	}
	return keys, nil
}

func privateJWK(priv crypto.Signer, kid, use string) map[string]any {
	b := func(i *big.Int) string { return base64.RawURLEncoding.EncodeToString(i.Bytes()) }
	j := map[string]any{"kid": kid, "use": use}
	switch k := priv.(type) {
	case *rsa.PrivateKey:
		k.Precompute()
		j["kty"], j["n"], j["e"], j["d"] = "RSA", b(k.N), b(big.NewInt(int64(k.E))), b(k.D)
		j["p"], j["q"], j["dp"], j["dq"], j["qi"] = b(k.Primes[0]), b(k.Primes[1]), b(k.Precomputed.Dp), b(k.Precomputed.Dq), b(k.Precomputed.Qinv)
	case *ecdsa.PrivateKey:
		enc := base64.RawURLEncoding.EncodeToString
		pt, _ := k.PublicKey.Bytes() // 0x04 || X || Y, 32 bytes each on P-256
		d, _ := k.Bytes()
		j["kty"], j["crv"], j["x"], j["y"], j["d"] = "EC", "P-256", enc(pt[1:33]), enc(pt[33:]), enc(d)
	}
	return j
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
