package testca

import (
	"crypto/x509"
	"strings"
	"testing"
)

func TestServerCertificateVerifiesAgainstItsCA(t *testing.T) {
	f, err := New("example", "127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := f.TLS()
	if err != nil {
		t.Fatal(err)
	}
	if len(cert.Certificate) != 2 {
		t.Fatalf("chain has %d certificates, want the server's and the CA's", len(cert.Certificate))
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(f.CA) {
		t.Fatal("CA is not a PEM certificate")
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: x509.NewCertPool(), DNSName: "localhost"}); err == nil {
		t.Error("the certificate verifies without its CA")
	}
	if leaf.Subject.CommonName != "127.0.0.1" || !strings.HasPrefix(leaf.Issuer.CommonName, "example test CA ") {
		t.Errorf("subject %q, issuer %q", leaf.Subject.CommonName, leaf.Issuer.CommonName)
	}
	if len(leaf.AuthorityKeyId) == 0 {
		t.Error("no authority key id: strict verifiers refuse the certificate")
	}
}

func TestNoHost(t *testing.T) {
	if _, err := New("example"); err == nil {
		t.Error("a certificate for no host")
	}
}
