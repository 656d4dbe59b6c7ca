package jwks

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Key is one RSA public key of a JWKS.
type Key struct {
	Kid    string
	Use    string // "sig", "enc" or empty
	Alg    string // as the JWKS states it; may be empty
	Public *rsa.PublicKey
}

// Set is a parsed JWKS: the RSA keys Prosody can use, and what it cannot.
type Set struct {
	Keys []Key
	// Skipped says, per key left out, why: not RSA, no kid, a bad modulus.
	Skipped []string
	// Source names where the set came from, for messages.
	Source string
}

// ParseJWKS parses a JSON Web Key Set. Like Prosody's JWKS reader it keeps
// only RSA keys, found by kid.
func ParseJWKS(data []byte) (*Set, error) {
	var doc struct {
		Keys []struct {
			Kty string `json:"kty"`
			Kid string `json:"kid"`
			Use string `json:"use"`
			Alg string `json:"alg"`
			N   string `json:"n"`
			E   string `json:"e"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("JWKS is not JSON: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`JWKS has no "keys" list`)
	}
	s := &Set{}
	for i, k := range doc.Keys {
		name := fmt.Sprintf("key %d", i)
		if k.Kid != "" {
			name = fmt.Sprintf("kid %q", k.Kid)
		}
		switch {
		case k.Kty != "RSA":
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s: kty %q, and Prosody reads only RSA keys", name, k.Kty))
			continue
		case k.Kid == "":
			s.Skipped = append(s.Skipped, name+": no kid, so no token can name it")
			continue
		}
		pub, err := rsaKey(k.N, k.E)
		if err != nil {
			s.Skipped = append(s.Skipped, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		s.Keys = append(s.Keys, Key{Kid: k.Kid, Use: k.Use, Alg: k.Alg, Public: pub})
	}
	return s, nil
}

// rsaKey builds a public key from a JWK's base64url n and e.
func rsaKey(n64, e64 string) (*rsa.PublicKey, error) {
	n, err := b64url(n64)
	if err != nil || len(n) == 0 {
		return nil, errors.New("n is not base64url")
	}
	e, err := b64url(e64)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("e is not a base64url integer of at most 4 bytes")
	}
	exp := int(new(big.Int).SetBytes(e).Int64())
	if exp < 3 || exp%2 == 0 {
		return nil, fmt.Errorf("e = %d is not a usable RSA exponent", exp)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}, nil
}

// b64url decodes base64url with or without padding, as Prosody does.
func b64url(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Kids lists the kids of the set, sorted.
func (s *Set) Kids() []string {
	kids := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		kids[i] = k.Kid
	}
	sort.Strings(kids)
	return kids
}

// PublicKey returns the key named kid, or an error wrapping ErrUnknownKid.
func (s *Set) PublicKey(kid string) (*rsa.PublicKey, error) {
	for _, k := range s.Keys {
		if k.Kid == kid {
			return k.Public, nil
		}
	}
	for _, why := range s.Skipped {
		if strings.HasPrefix(why, fmt.Sprintf("kid %q:", kid)) {
			return nil, fmt.Errorf("%w: the JWKS has it, but unusable: %s", ErrUnknownKid, why)
		}
	}
	return nil, fmt.Errorf("%w: %s has %s", ErrUnknownKid, s.where(), listKids(s.Kids()))
}

func (s *Set) where() string {
	if s.Source == "" {
		return "the JWKS"
	}
	return s.Source
}

// String names the key source in check messages.
func (s *Set) String() string { return s.where() }

func listKids(kids []string) string {
	if len(kids) == 0 {
		return "no RSA key"
	}
	return "only " + quoted(kids)
}

// FetchJWKS fetches and parses the JWKS at url.
func FetchJWKS(ctx context.Context, c *http.Client, url string) (*Set, error) {
	body, err := get(ctx, c, url)
	if err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	s, err := ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	s.Source = "the JWKS at " + url
	return s, nil
}

// PEM encodes a public key as Prosody's key server serves it: a PEM
// "PUBLIC KEY" (SubjectPublicKeyInfo) block.
func PEM(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParsePEM reads an RSA public key from a PEM "PUBLIC KEY" or
// "RSA PUBLIC KEY" block.
func ParsePEM(data []byte) (*rsa.PublicKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	switch b.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, err
		}
		pub, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("a %T, not an RSA key", k)
		}
		return pub, nil
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(b.Bytes)
	}
	return nil, fmt.Errorf("PEM block %q, not a public key", b.Type)
}

// KeyFileName is the file Prosody's asap_key_server mode fetches for kid:
// the lowercase hex SHA-256 of the kid, then ".pem".
func KeyFileName(kid string) string {
	sum := sha256.Sum256([]byte(kid))
	return hex.EncodeToString(sum[:]) + ".pem"
}

// ErrUnknownKid means the key source has no key with the token's kid.
var ErrUnknownKid = errors.New("unknown kid")

// KeySource finds the public key a token names in its kid header.
// A kid the source does not have gives an error wrapping ErrUnknownKid;
// any other error means the source could not be read.
type KeySource interface {
	PublicKey(kid string) (*rsa.PublicKey, error)
	String() string
}

// KeyServer is Prosody's asap_key_server: BASE/hex(sha256(kid)).pem.
type KeyServer struct {
	Base   string
	Client *http.Client
	// Refresh is the command that refreshes the key server's files on the
	// host, named in the fix for an unknown kid; empty: none named.
	Refresh string
}

// URL is where Prosody fetches kid's key. Prosody joins with a slash; a base
// ending in one gives "//", which nginx merges, so it is dropped here.
func (k *KeyServer) URL(kid string) string {
	return strings.TrimRight(k.Base, "/") + "/" + KeyFileName(kid)
}

// PublicKey fetches kid's PEM; 404 means Prosody finds no key.
func (k *KeyServer) PublicKey(kid string) (*rsa.PublicKey, error) {
	u := k.URL(kid)
	body, err := get(context.Background(), k.Client, u)
	var se *statusError
	if errors.As(err, &se) && se.code == http.StatusNotFound {
		return nil, fmt.Errorf("%w: %s is not there (404)", ErrUnknownKid, u)
	}
	if err != nil {
		return nil, err
	}
	pub, err := ParsePEM(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	return pub, nil
}

func (k *KeyServer) String() string { return "the key server at " + k.Base }

// RemoteJWKS fetches the JWKS at URL on first use, as Prosody's
// cache_keys_url does.
type RemoteJWKS struct {
	URL    string
	Client *http.Client

	once sync.Once
	set  *Set
	err  error
}

// PublicKey fetches the JWKS once, then looks kid up in it.
func (r *RemoteJWKS) PublicKey(kid string) (*rsa.PublicKey, error) {
	r.once.Do(func() { r.set, r.err = FetchJWKS(context.Background(), r.Client, r.URL) })
	if r.err != nil {
		return nil, r.err
	}
	return r.set.PublicKey(kid)
}

func (r *RemoteJWKS) String() string { return "the JWKS at " + r.URL }
