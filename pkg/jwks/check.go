package jwks

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"strings"
	"time"
)

// Token is a decoded JWT. It keeps the signed part and the signature for
// verification and never prints them.
type Token struct {
	Header map[string]any
	Claims map[string]any

	signed    string // header.claims as received
	signature []byte
}

// Parse decodes a compact JWT without verifying it. Its errors never quote
// the token.
func Parse(token string) (*Token, error) {
	parts := strings.Split(strings.TrimSpace(token), ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return nil, fmt.Errorf("not a JWT: %d dot-separated parts, want 3 (header.claims.signature)", len(parts))
	}
	t := &Token{signed: parts[0] + "." + parts[1]}
	var err error
	if t.Header, err = object(parts[0]); err != nil {
		return nil, fmt.Errorf("not a JWT: header: %w", err)
	}
	if t.Claims, err = object(parts[1]); err != nil {
		return nil, fmt.Errorf("not a JWT: claims: %w", err)
	}
	if t.signature, err = b64url(parts[2]); err != nil {
		return nil, errors.New("not a JWT: the signature is not base64url")
	}
	return t, nil
}

// object decodes one base64url JSON object, keeping numbers as json.Number
// so that a quoted number stays distinguishable from a number.
func object(part string) (map[string]any, error) {
	raw, err := b64url(part)
	if err != nil {
		return nil, errors.New("not base64url")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// Options is the Prosody configuration a token is checked against.
type Options struct {
	// Issuers is asap_accepted_issuers; "*" accepts any.
	Issuers []string
	// Audiences is asap_accepted_audiences; "*" accepts any.
	Audiences []string
	// Domain is the meeting domain sub must name (or "*") under
	// enable_domain_verification; empty: domain verification is off.
	Domain string
	// RoomOptional is asap_require_room_claim = false; by default a token
	// must carry room.
	RoomOptional bool
	// Alg is signature_algorithm; empty: RS256. Anything but an algorithm
	// of Algs fails every token.
	Alg string
	// Keys finds the signing key by kid: a JWKS (cache_keys_url) or a
	// KeyServer (asap_key_server). Nil: no signature can be verified, and
	// no token is accepted.
	Keys KeySource
	// Now is the time on this machine; nil: time.Now.
	Now func() time.Time
	// Skew is how far the host's clock runs ahead of this machine's (negative:
	// behind). Prosody compares exp and nbf with its own clock, no leeway.
	Skew time.Duration
}

// Status of one check.
type Status string

// Check outcomes. A check is skipped only when an earlier one failed, or
// when the configuration makes Prosody not look.
const (
	Pass Status = "pass"
	Fail Status = "fail"
	Skip Status = "skip"
)

// Result is one check: what was found and, on failure, how to fix it.
type Result struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	Detail string `json:"detail,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Report is every check of one token, in the order Prosody makes them.
type Report struct {
	Checks []Result `json:"checks"`
	// Header and Claims are the decoded token, never its signature; nil
	// when the token could not be decoded.
	Header map[string]any `json:"header,omitempty"`
	Claims map[string]any `json:"claims,omitempty"`
}

// Accepted reports whether Prosody would accept the token: no check failed
// and the signature was verified.
func (r Report) Accepted() bool {
	verified := false
	for _, c := range r.Checks {
		if c.Status == Fail {
			return false
		}
		verified = verified || c.Name == "signature" && c.Status == Pass
	}
	return verified
}

// Algs are the signature algorithms Prosody's token plugin verifies with a
// key from a JWKS or key server: a token's alg must start with "RS" there,
// and luajwtjitsi knows RS256, RS384 and RS512 (and HMAC, with a shared
// secret only).
var Algs = []string{"RS256", "RS384", "RS512"}

// CheckAlg returns an error unless alg is one of Algs.
func CheckAlg(alg string) error {
	if _, ok := rsaHashes[alg]; ok {
		return nil
	}
	return fmt.Errorf("signature algorithm %q: with keys from a JWKS or key server Prosody verifies only %s", alg, strings.Join(Algs, ", "))
}

// Failed lists the checks that failed.
func (r Report) Failed() []Result {
	var out []Result
	for _, c := range r.Checks {
		if c.Status == Fail {
			out = append(out, c)
		}
	}
	return out
}

// Check decodes token and checks it as Prosody's token plugin would with
// the configuration in o. A token that cannot be decoded gives a report
// with the single failing check "format".
func Check(token string, o Options) Report {
	t, err := Parse(token)
	if err != nil {
		return Report{Checks: []Result{{Name: "format", Status: Fail, Detail: err.Error(),
			Fix: "pass the whole token: three base64url parts joined by dots, as found after ?jwt= in the meeting URL"}}}
	}
	return t.Check(o)
}

// Check checks a decoded token; see the package function Check.
func (t *Token) Check(o Options) Report {
	c := &checker{t: t, o: o}
	if c.o.Alg == "" {
		c.o.Alg = "RS256"
	}
	if err := CheckAlg(c.o.Alg); err != nil {
		c.fail("signature_algorithm", "set signature_algorithm to RS256 (the default with a JWKS or key server), RS384 or RS512", "%v", err)
		return Report{Checks: c.out, Header: t.Header, Claims: t.Claims}
	}
	if c.o.Now == nil {
		c.o.Now = time.Now
	}
	c.kid()
	c.typ()
	c.alg()
	c.signature()
	c.time("exp")
	c.time("nbf")
	c.iss()
	c.aud()
	c.sub()
	c.room()
	c.contextUser()
	return Report{Checks: c.out, Header: t.Header, Claims: t.Claims}
}

type checker struct {
	t     *Token
	o     Options
	out   []Result
	key   *rsa.PublicKey
	algOK bool
}

func (c *checker) pass(name, format string, a ...any) {
	c.out = append(c.out, Result{Name: name, Status: Pass, Detail: fmt.Sprintf(format, a...)})
}

func (c *checker) skip(name, format string, a ...any) {
	c.out = append(c.out, Result{Name: name, Status: Skip, Detail: fmt.Sprintf(format, a...)})
}

func (c *checker) fail(name, fix, format string, a ...any) {
	c.out = append(c.out, Result{Name: name, Status: Fail, Detail: fmt.Sprintf(format, a...), Fix: fix})
}

// kid: key-server and JWKS modes find the key by the header's kid.
func (c *checker) kid() {
	kid, ok := c.t.Header["kid"].(string)
	switch {
	case c.t.Header["kid"] == nil:
		c.fail("kid present", "have Janssen sign with a key from its JWKS: Janssen puts the key's kid in the header of every token it signs; a token without kid was made elsewhere",
			"the header has no kid, so Prosody cannot find the signing key")
	case !ok || kid == "":
		c.fail("kid present", "kid must be the non-empty string id of a key in Janssen's JWKS",
			"kid is %s, not a non-empty string", describe(c.t.Header["kid"]))
	default:
		c.pass("kid present", "%q", kid)
		c.lookup(kid)
		return
	}
	c.skip("kid known", "no kid to look up")
}

func (c *checker) lookup(kid string) {
	if c.o.Keys == nil {
		c.fail("kid known", "give Janssen's JWKS URL or Prosody's key server: without keys no signature can be verified",
			"no JWKS or key server to look kid %q up in", kid)
		return
	}
	key, err := c.o.Keys.PublicKey(kid)
	var ke *KeyError
	switch {
	case errors.Is(err, ErrUnknownKid):
		fix := "get a new token: Janssen no longer publishes this key (it rotates its keys), or another issuer signed the token"
		if ks, ok := c.o.Keys.(*KeyServer); ok {
			refresh := "refresh the key server's files from the JWKS"
			if ks.Refresh != "" {
				refresh = "run `" + ks.Refresh + "` on the host (its timer does so periodically)"
			}
			fix = fmt.Sprintf("if kid %q is in Janssen's JWKS, the key server has not fetched it yet: %s; otherwise get a new token", kid, refresh)
		}
		c.fail("kid known", fix, "kid %q: %v", kid, err)
	case errors.As(err, &ke):
		c.fail("kid known", ke.Fix, "%v", ke)
	case err != nil:
		c.fail("kid known", "check the JWKS URL or key server URL, and the CA bundle (--ca-bundle, janssen.ca_bundle) for a private CA",
			"could not read %s: %v", c.o.Keys, err)
	default:
		c.key = key
		detail := fmt.Sprintf("in %s (RSA %d bits)", c.o.Keys, key.N.BitLen())
		if r, ok := c.o.Keys.(*RemoteJWKS); ok && r.Refresh() != "" {
			detail += "; " + r.Refresh()
		}
		c.pass("kid known", "%s", detail)
	}
}

// typ: luajwtjitsi refuses any header typ but "JWT".
func (c *checker) typ() {
	if typ, _ := c.t.Header["typ"].(string); typ == "JWT" {
		c.pass("typ", `"JWT"`)
		return
	}
	fix := `Prosody's JWT library requires the header "typ": "JWT" exactly (case matters); use an access token Janssen issues as JWT (the client's access_token_as_jwt), whose typ is "JWT"`
	if typ, _ := c.t.Header["typ"].(string); strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt") {
		fix = `Prosody refuses RFC 9068 access tokens ("typ": "at+jwt") however they are signed: give Jitsi a token whose header says "typ": "JWT", such as Janssen's ID token or an access token the UPDATE_TOKEN script's modifyAccessToken gives the header typ "JWT"`
	}
	c.fail("typ", fix, "typ is %s", describe(c.t.Header["typ"]))
}

var rsaHashes = map[string]struct {
	h   crypto.Hash
	new func() hash.Hash
}{
	"RS256": {crypto.SHA256, sha256.New},
	"RS384": {crypto.SHA384, sha512.New384},
	"RS512": {crypto.SHA512, sha512.New},
}

// alg: Prosody verifies with one configured algorithm; with keys from a JWKS
// or key server the token's alg must start with "RS" and equal it. The
// refusals come first: no wanted algorithm makes an unsigned, HMAC or other
// token acceptable.
func (c *checker) alg() {
	v := c.t.Header["alg"]
	alg, _ := v.(string)
	want := c.o.Alg
	signWith := fmt.Sprintf("have Janssen sign with %s: set the client's access_token_signing_alg and id_token_signed_response_alg to %s", want, want)
	_, rsa := rsaHashes[alg]
	switch {
	case alg == "" || strings.EqualFold(alg, "none"):
		c.fail("alg", "Prosody never accepts an unsigned token: "+signWith,
			"alg is %s: the token is unsigned", describe(v))
	case strings.HasPrefix(strings.ToUpper(alg), "HS"):
		c.fail("alg", signWith,
			"alg is %s, an HMAC with a shared secret, which no JWKS or key server can verify", alg)
	case !rsa:
		c.fail("alg", signWith,
			"alg is %s: with keys from a JWKS or key server Prosody verifies only %s", alg, strings.Join(Algs, ", "))
	case alg != want:
		c.fail("alg", fmt.Sprintf("%s, or set Prosody's signature_algorithm to %s", signWith, alg),
			"alg is %s, Prosody expects %s (signature_algorithm)", alg, want)
	default:
		c.algOK = true
		c.pass("alg", "%s", alg)
	}
}

// signature: always verified; a token is accepted only when it verifies.
func (c *checker) signature() {
	switch {
	case !c.algOK:
		c.skip("signature", "not verified: Prosody refuses the alg")
		return
	case c.key == nil:
		c.skip("signature", "not verified: no key")
		return
	}
	rh := rsaHashes[c.o.Alg]
	h := rh.new()
	h.Write([]byte(c.t.signed))
	if err := rsa.VerifyPKCS1v15(c.key, rh.h, h.Sum(nil), c.t.signature); err != nil {
		c.fail("signature", "the token was changed after signing, or signed by another key with the same kid: get a new token from Janssen",
			"does not verify with kid %q from %s", c.t.Header["kid"], c.o.Keys)
		return
	}
	c.pass("signature", "%s, verified", c.o.Alg)
}

// time checks exp or nbf: optional, but a number when present, against the
// host's clock.
func (c *checker) time(name string) {
	v, present := c.t.Claims[name]
	if !present {
		if name == "exp" {
			c.pass(name, "absent: Prosody accepts a token without exp, and it never expires")
		} else {
			c.pass(name, "absent")
		}
		return
	}
	n, isNum := v.(json.Number)
	f, err := n.Float64()
	if !isNum || err != nil || math.IsInf(f, 0) {
		if s, ok := v.(string); ok {
			c.fail(name, fmt.Sprintf("make the issuer write %s as a JSON number of seconds since 1970, without quotes", name),
				"%s is a string (%q): Prosody requires a number", name, s)
			return
		}
		c.fail(name, fmt.Sprintf("%s must be a JSON number of seconds since 1970", name), "%s is %s, not a number", name, describe(v))
		return
	}
	f = math.Max(math.Min(f, 1e15), -1e15) // keep far-off times representable
	sec, frac := math.Modf(f)
	at := time.Unix(int64(sec), int64(frac*1e9)).UTC()
	now := c.o.Now().Add(c.o.Skew)
	clock := "this machine's clock"
	switch {
	case c.o.Skew > 0:
		clock = fmt.Sprintf("the host's clock, %s ahead of this machine's", c.o.Skew)
	case c.o.Skew < 0:
		clock = fmt.Sprintf("the host's clock, %s behind this machine's", -c.o.Skew)
	}
	when := at.Format(time.RFC3339)
	d := at.Sub(now).Round(time.Second)
	switch {
	case name == "exp" && !now.Before(at):
		c.fail(name, "get a new token; if it was fresh, the clocks of Janssen and the host disagree: run NTP on both",
			"expired %s ago (%s, by %s)", -d, when, clock)
	case name == "exp":
		c.pass(name, "in %s (%s, by %s)", d, when, clock)
	case now.Before(at):
		c.fail(name, "the token is not valid yet: wait, or fix the clock of Janssen or the host (run NTP on both)",
			"not before %s, %s from now (by %s)", when, d, clock)
	default:
		c.pass(name, "%s ago (%s)", -d, when)
	}
}

func (c *checker) iss() {
	v, present := c.t.Claims["iss"]
	iss, ok := v.(string)
	switch {
	case !present:
		c.fail("iss", "tokens from Janssen carry iss; check that this is one", "'iss' claim is missing")
		return
	case !ok:
		c.fail("iss", "iss must be a string", "iss is %s", describe(v))
		return
	}
	for _, a := range c.o.Issuers {
		if a == "*" || a == iss {
			c.pass("iss", "%q", iss)
			return
		}
	}
	fix := fmt.Sprintf("set the issuer (asap_accepted_issuers) to exactly %q, as Janssen's discovery document states it", iss)
	for _, a := range c.o.Issuers {
		if strings.TrimRight(a, "/") == strings.TrimRight(iss, "/") {
			fix = fmt.Sprintf("the accepted issuer %q differs from the token's only in the trailing slash, and Prosody compares exactly: set the issuer to %q", a, iss)
		}
	}
	c.fail("iss", fix, "%q is not among the accepted issuers %s", iss, quoteList(c.o.Issuers))
}

func (c *checker) aud() {
	v, present := c.t.Claims["aud"]
	if !present {
		c.fail("aud", "make the UPDATE_TOKEN script set aud (see `jitsi-installer janssen client`)", "'aud' claim is missing")
		return
	}
	for _, a := range c.o.Audiences {
		if a == "*" {
			c.pass("aud", "any audience accepted (%s)", describe(v))
			return
		}
	}
	aud, ok := v.(string)
	if !ok {
		c.fail("aud", fmt.Sprintf("Prosody compares aud as one string: make the UPDATE_TOKEN script set aud to the string %s", firstOr(c.o.Audiences, `"jitsi"`)),
			"aud is %s, not a string", describe(v))
		return
	}
	for _, a := range c.o.Audiences {
		if a == aud {
			c.pass("aud", "%q", aud)
			return
		}
	}
	c.fail("aud", fmt.Sprintf("make the UPDATE_TOKEN script set aud to %s, or add %q to the accepted audiences", firstOr(c.o.Audiences, `"*"`), aud),
		"%q is not among the accepted audiences %s", aud, quoteList(c.o.Audiences))
}

func firstOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return fmt.Sprintf("%q", list[0])
}

// sub: with enable_domain_verification Prosody lets the token into rooms
// under conference.<sub> only.
func (c *checker) sub() {
	v, present := c.t.Claims["sub"]
	if c.o.Domain == "" {
		// Prosody refuses a token without sub even then.
		if !present {
			c.fail("sub", `make the UPDATE_TOKEN script set sub to the meeting domain (or "*")`,
				"'sub' claim is missing: Prosody requires it even without domain verification")
			return
		}
		c.pass("sub", "present (%s); domain verification is off", describe(v))
		return
	}
	sub, ok := v.(string)
	fix := fmt.Sprintf("make the UPDATE_TOKEN script set sub to %q (or \"*\")", c.o.Domain)
	switch {
	case !present:
		c.fail("sub", fix, "'sub' claim is missing; with domain verification Prosody needs the meeting domain there")
	case !ok:
		c.fail("sub", fix, "sub is %s, not a string", describe(v))
	case sub == "*":
		c.pass("sub", `"*": any domain`)
	case strings.EqualFold(sub, c.o.Domain):
		c.pass("sub", "%q", sub)
	default:
		c.fail("sub", fix+"; Janssen's own sub is the user's id, which Jitsi reads as a domain",
			"%q is not the meeting domain %q", sub, c.o.Domain)
	}
}

// room: Prosody refuses only a token without room; it then matches the
// room's name with the claim when a participant joins.
func (c *checker) room() {
	if c.o.RoomOptional {
		c.skip("room", "not required (asap_require_room_claim = false)")
		return
	}
	v, present := c.t.Claims["room"]
	fix := `make the UPDATE_TOKEN script set room to "*" (any room) or the room's name`
	switch room := v.(type) {
	case nil:
		if !present {
			c.fail("room", fix, "'room' claim is missing")
			return
		}
		c.fail("room", fix, "room is null: Prosody signs the token in (null is a value to it, not a missing claim), but no room name matches null, so every join is refused")
	case string:
		if room == "*" {
			c.pass("room", `"*": any room`)
			return
		}
		c.pass("room", "%q: only that room", room)
	case json.Number:
		c.pass("room", "the number %s: Prosody accepts it, and it opens only the room named %s; a string is clearer", room, room)
	default:
		c.fail("room", fix, "room is %s: no room name matches it, so every join is refused", describe(v))
	}
}

// object is m[key], the claim at path, when it is a JSON object; otherwise
// check name passes with absent (no such claim) or fails with fix.
func (c *checker) object(name string, m map[string]any, key, path, absent, fix string) (map[string]any, bool) {
	v, present := m[key]
	if !present {
		c.pass(name, "%s", absent)
		return nil, false
	}
	o, ok := v.(map[string]any)
	if !ok {
		c.fail(name, fix, "%s is %s", path, describe(v))
	}
	return o, ok
}

// contextUser checks context.user the way Jitsi's modules read it: an object
// of strings, and moderator a boolean or "true"/"false".
func (c *checker) contextUser() {
	const name = "context.user"
	ctx, ok := c.object(name, c.t.Claims, "context", "context",
		"no context: participants join without name, email or avatar from the token", "context must be a JSON object")
	if !ok {
		return
	}
	user, ok := c.object(name, ctx, "user", "context.user",
		"absent", "context.user must be a JSON object {id, name, email, avatar, moderator}")
	if !ok {
		return
	}
	var bad, found []string
	for _, k := range []string{"id", "name", "email", "avatar"} {
		v, present := user[k]
		if !present {
			continue
		}
		if _, ok := v.(string); !ok {
			bad = append(bad, fmt.Sprintf("%s is %s", k, describe(v)))
			continue
		}
		found = append(found, k)
	}
	if v, present := user["moderator"]; present {
		switch m := v.(type) {
		case bool:
			found = append(found, fmt.Sprintf("moderator=%t", m))
		case string:
			if m != "true" && m != "false" {
				bad = append(bad, fmt.Sprintf("moderator is %q", m))
			} else {
				found = append(found, "moderator="+m)
			}
		default:
			bad = append(bad, "moderator is "+describe(v))
		}
	}
	if len(bad) > 0 {
		c.fail(name, `id, name, email and avatar must be strings and moderator true, false, "true" or "false"; fix the UPDATE_TOKEN script`,
			"%s", strings.Join(bad, "; "))
		return
	}
	if len(found) == 0 {
		c.pass(name, "an empty object")
		return
	}
	c.pass(name, "%s", strings.Join(found, ", "))
}

// describe names a JSON value's type and, for short scalars, the value.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null or absent"
	case string:
		return fmt.Sprintf("the string %q", x)
	case json.Number:
		return "the number " + x.String()
	case bool:
		return fmt.Sprintf("the boolean %t", x)
	case []any:
		return fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// quoteList writes a configured list as Prosody's configuration does.
func quoteList(list []string) string {
	if len(list) == 0 {
		return "(none configured)"
	}
	return "{" + quoted(list) + "}"
}

// quoted is the strings of list, quoted, joined by commas.
func quoted(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
