// Package testca makes throw-away certificate authorities and the server
// certificates they sign, for the test servers that speak HTTPS: the
// Janssen stand-in, oidc-provider and Pebble.
package testca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Files are a CA's certificate and a server certificate it signed, with
// the server's private key, PEM encoded.
type Files struct {
	CA, Cert, Key []byte
}

// New makes a CA named "NAME test CA <random>" and a server certificate it
// signed for hosts (IP addresses or DNS names; the first is also its
// common name).
func New(name string, hosts ...string) (Files, error) {
	if len(hosts) == 0 {
		return Files{}, fmt.Errorf("%s certificate: no host", name)
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Files{}, fmt.Errorf("generate %s CA key: %w", name, err)
	}
	now := time.Now().Add(-time.Hour)
	ca := &x509.Certificate{
		SerialNumber:          Serial(),
		Subject:               pkix.Name{CommonName: name + " test CA " + rand.Text()[:8]},
		NotBefore:             now,
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return Files{}, fmt.Errorf("create %s CA: %w", name, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Files{}, fmt.Errorf("generate %s key: %w", name, err)
	}
	leaf := &x509.Certificate{
		SerialNumber: Serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now,
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	// Signed by the parsed CA, not its template: the parsed one has the
	// subject key id Go generated, which becomes the server certificate's
	// authority key id. Strict verifiers (Python 3.13's default) require it,
	// and every certificate a real CA issues has it.
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return Files{}, fmt.Errorf("parse %s CA: %w", name, err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return Files{}, fmt.Errorf("create %s certificate: %w", name, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Files{}, fmt.Errorf("encode %s key: %w", name, err)
	}
	return Files{
		CA:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// TLS is the server certificate for a tls.Config, the CA's certificate
// after it in the chain it sends.
func (f Files) TLS() (tls.Certificate, error) {
	cert, err := tls.X509KeyPair(append(append([]byte(nil), f.Cert...), f.CA...), f.Key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("server certificate: %w", err)
	}
	return cert, nil
}

// Serial is a random serial number for a certificate.
func Serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126)) // crypto/rand does not fail
	return n
}
