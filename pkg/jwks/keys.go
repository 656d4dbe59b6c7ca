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
	"regexp"
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
	// Keys are the RSA keys with a kid, signing or not: what Prosody turns
	// into public keys.
	Keys []Key
	// Skipped says, per key left out, why: not RSA, no kid, a bad modulus.
	Skipped []string
	// Source names where the set came from, for messages.
	Source string
	// CacheControl is the Cache-Control header the JWKS came with; Prosody
	// rereads the JWKS after its max-age, or every 6 hours without one.
	CacheControl string

	all []entry // every key of the document, in its order
}

// entry is one key of the document as Prosody sees it.
type entry struct {
	kid, kty, use, alg string
	pub                *rsa.PublicKey // nil: Prosody gets no usable key from it
	problem            string         // why pub is nil
}

func (e entry) name() string {
	what := "an " + e.kty + " key"
	switch {
	case e.kty == "":
		what = "a key without kty"
	case e.use == "enc":
		what = "an " + e.kty + " encryption key (use enc)"
	}
	if e.alg != "" {
		what += ", alg " + e.alg
	}
	return what
}

// signing reports whether Prosody can verify signatures with e and it is
// not an encryption key.
func (e entry) signing() bool { return e.pub != nil && e.use != "enc" }

// ParseJWKS parses a JSON Web Key Set. Like Prosody's JWKS reader it makes
// public keys of the RSA keys (n and e) with a kid, and finds them by kid.
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
		e := entry{kid: k.Kid, kty: k.Kty, use: k.Use, alg: k.Alg}
		name := fmt.Sprintf("key %d", i)
		if k.Kid != "" {
			name = fmt.Sprintf("kid %q", k.Kid)
		}
		switch {
		case k.Kty != "RSA":
			e.problem = fmt.Sprintf("kty %q, and Prosody reads only RSA keys", k.Kty)
		case k.Kid == "":
			e.problem = "an RSA key without kid, so no token can name it"
		default:
			pub, err := rsaKey(k.N, k.E)
			if err != nil {
				e.problem = err.Error()
			}
			e.pub = pub
		}
		s.all = append(s.all, e)
		if e.problem != "" {
			s.Skipped = append(s.Skipped, name+": "+e.problem)
			continue
		}
		s.Keys = append(s.Keys, Key{Kid: k.Kid, Use: k.Use, Alg: k.Alg, Public: e.pub})
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

// Kids lists the kids of the RSA keys of the set, sorted.
func (s *Set) Kids() []string {
	kids := make([]string, len(s.Keys))
	for i, k := range s.Keys {
		kids[i] = k.Kid
	}
	sort.Strings(kids)
	return kids
}

// PublicKey returns the signing key named kid. A kid the set lacks gives a
// *KeyError wrapping ErrUnknownKid; one that names a key Prosody cannot
// verify this token with (an EC key, an encryption key, a kid shared with
// another key), a *KeyError wrapping ErrUnusableKey.
func (s *Set) PublicKey(kid string) (*rsa.PublicKey, error) {
	var same []entry
	for _, e := range s.all {
		if e.kid == kid && kid != "" {
			same = append(same, e)
		}
	}
	if len(same) == 0 {
		return nil, &KeyError{Kid: kid, unknown: true,
			Problem: fmt.Sprintf("%s has no key %q; it has %s", s.where(), kid, s.describe())}
	}
	// The signing key a token names: an encryption key sharing its kid is
	// not the one it was signed with.
	var sig *entry
	for i := range same {
		if same[i].signing() {
			sig = &same[i]
		}
	}
	// Prosody keeps the last key of a kid, whatever its use.
	last := same[len(same)-1]
	switch {
	case sig == nil && last.kty != "RSA":
		return nil, &KeyError{Kid: kid,
			Problem: fmt.Sprintf("kid %q names %s in %s, which Prosody's token plugin cannot use: it reads RSA keys", kid, last.name(), s.where()),
			Fix:     "have Janssen sign the tokens for Jitsi with RS256: set the client's access_token_signing_alg and id_token_signed_response_alg to RS256 (Janssen then names its RSA key)"}
	case sig == nil && last.pub != nil:
		return nil, &KeyError{Kid: kid,
			Problem: fmt.Sprintf("kid %q names %s in %s, not a signing key", kid, last.name(), s.where()),
			Fix:     "a token Janssen signed names a signing key (use sig): get a new token from Janssen, and check that the client gets signed, not encrypted, tokens"}
	case sig == nil:
		return nil, &KeyError{Kid: kid,
			Problem: fmt.Sprintf("kid %q in %s is unusable: %s", kid, s.where(), last.problem),
			Fix:     "Janssen's JWKS must publish the RSA signing key with a valid modulus n and exponent e"}
	case last.pub == nil || !last.pub.Equal(sig.pub):
		return nil, &KeyError{Kid: kid,
			Problem: fmt.Sprintf("%s lists kid %q %d times; Prosody keeps the last, %s, and cannot verify the token with it", s.where(), kid, len(same), last.name()),
			Fix:     "each key of Janssen's JWKS needs its own kid: give the signing key a kid no other key has"}
	}
	return sig.pub, nil
}

// describe says what keys the set has, for a kid it lacks.
func (s *Set) describe() string {
	var sig []string
	other := map[string]int{}
	for _, e := range s.all {
		switch {
		case e.signing():
			sig = append(sig, fmt.Sprintf("%q", e.kid))
		case e.kty == "RSA" && e.kid == "":
			other["RSA key without kid"]++
		case e.use == "enc":
			other[e.kty+" encryption key"]++
		case e.kty == "RSA":
			other["unusable RSA key"]++
		default:
			other[e.kty+" key"]++
		}
	}
	var parts []string
	switch len(sig) {
	case 0:
		parts = append(parts, "no RSA signing key with a kid")
	case 1:
		parts = append(parts, "the RSA signing key "+sig[0])
	default:
		parts = append(parts, "the RSA signing keys "+strings.Join(sig, ", "))
	}
	kinds := make([]string, 0, len(other))
	for k := range other {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		n := other[k]
		if n == 1 {
			parts = append(parts, "1 "+k)
		} else {
			parts = append(parts, fmt.Sprintf("%d %ss", n, k))
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func (s *Set) where() string {
	if s.Source == "" {
		return "the JWKS"
	}
	return s.Source
}

// String names the key source in check messages.
func (s *Set) String() string { return s.where() }

// FetchJWKS fetches and parses the JWKS at url.
func FetchJWKS(ctx context.Context, c *http.Client, url string) (*Set, error) {
	body, h, err := getWithHeader(ctx, c, url)
	if err != nil {
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	s, err := ParseJWKS(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", url, err)
	}
	s.Source = "the JWKS at " + url
	s.CacheControl = h.Get("Cache-Control")
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

// ErrUnusableKey means the key source has the token's kid, but not as an
// RSA signing key Prosody can verify the token with.
var ErrUnusableKey = errors.New("unusable key")

// KeyError is a kid a key source cannot give a signing key for.
type KeyError struct {
	Kid     string
	Problem string
	// Fix says what to do; empty for an unknown kid, whose fix depends on
	// the key source.
	Fix     string
	unknown bool
}

func (e *KeyError) Error() string { return e.Problem }

// Is makes a KeyError match ErrUnknownKid or ErrUnusableKey.
func (e *KeyError) Is(target error) bool {
	return target == ErrUnknownKid && e.unknown || target == ErrUnusableKey && !e.unknown
}

// KeySource finds the public key a token names in its kid header.
// A kid the source does not have gives an error wrapping ErrUnknownKid, a
// key it cannot verify with one wrapping ErrUnusableKey; any other error
// means the source could not be read.
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

// Refresh says how often Prosody rereads the JWKS, from its Cache-Control;
// "" before it was fetched.
func (r *RemoteJWKS) Refresh() string {
	if r.set == nil {
		return ""
	}
	if m := maxAge.FindStringSubmatch(r.set.CacheControl); m != nil {
		return "Prosody rereads it after " + m[1] + " s (Cache-Control max-age)"
	}
	return "it has no Cache-Control max-age, so Prosody rereads it only every 6 h: a key Janssen added since Prosody's last read is unknown to Prosody until then (restart Prosody to read it now)"
}

var maxAge = regexp.MustCompile(`max-age=(\d+)`)
