package answers

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/ssh"
)

// kind is what a string field holds. Every value that ends up in a config
// file or a command on the host has a narrow character set. The schema's
// pattern for a kind accepts every value check accepts; where a regular
// expression cannot say more, it accepts some that check rejects.
type kind struct {
	noun    string            // "a domain name", for messages
	allowed func(r rune) bool // characters that may appear
	check   func(s string) string
	secret  bool   // never quote the value in a message
	pattern string // JSON Schema pattern (ECMA-262 and RE2 alike)
	format  string // JSON Schema format
}

var kinds = map[string]kind{
	"domain": {noun: "a domain name", allowed: set("a-zA-Z0-9", ".-"), check: checkDomain,
		pattern: `^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`, format: "hostname"},
	"host": {noun: hostNoun, allowed: hostChars, check: checkHost,
		pattern: `^[A-Za-z0-9.:-]+$`},
	"user": {noun: "a user name", allowed: set("a-zA-Z0-9", "_.-"), check: checkUser,
		pattern: userPattern},
	"email": {noun: "an email address", allowed: set("a-zA-Z0-9", "@.+_%-"), check: checkEmail,
		format: "email"},
	"url": {noun: "a URL", allowed: set("a-zA-Z0-9", urlChars), check: func(s string) string { return checkURL(s, false) },
		pattern: `^https?://[^\s"'$;{}\\]+$`, format: "uri"},
	"https": {noun: "a URL", allowed: set("a-zA-Z0-9", urlChars), check: func(s string) string { return checkURL(s, true) },
		pattern: `^https://[^\s"'$;{}\\]+$`, format: "uri"},
	"name": {noun: "this field", allowed: set("a-zA-Z0-9", "-._~:/@+="), check: maxLen(255),
		pattern: `^[A-Za-z0-9._~:/@+=-]+$`},
	"fingerprint": {noun: "a fingerprint", allowed: set("0-9A-F", ""), check: checkFingerprint,
		pattern: `^( *[0-9A-Fa-f]){40} *$`},
	"hostkey": {noun: "an SSH public key", allowed: set("a-zA-Z0-9", " +/=@.:_-"), check: checkHostKey,
		pattern: `^[a-z0-9@.-]+ [A-Za-z0-9+/]+=*( .*)?$`},
	"hostport": {noun: "a host:port", allowed: set("a-zA-Z0-9", ".-:[]"), check: checkHostPort,
		pattern: `^[A-Za-z0-9.:\[\]-]+:[0-9]{1,5}$`},
	"cidr": {noun: "an IP address or CIDR range", allowed: set("0-9a-fA-F", ".:/"), check: checkCIDR,
		pattern: `^[0-9A-Fa-f.:]+(/[0-9]{1,3})?$`},
	"origin": {noun: "an https origin or *", allowed: set("a-zA-Z0-9", ".-:/*[]"), check: checkOrigin,
		pattern: `^(\*|https://[A-Za-z0-9.:\[\]-]+)$`},
	"path":    {noun: "a path", allowed: printable, pattern: pathPattern},
	"certs":   {noun: "a path", allowed: printable, pattern: pathPattern},
	"privkey": {noun: "a path", allowed: printable, pattern: pathPattern},
	"sshkey":  {noun: "a path", allowed: printable, pattern: pathPattern},
	"secret": {secret: true, allowed: func(r rune) bool { return r != '\n' && r != '\r' && r != 0 },
		pattern: `^[^\n\r\x00]*$`},
	// debconf and the jitsi-meet-tokens scripts break on these.
	"appsecret": {secret: true, noun: "the app secret",
		allowed: func(r rune) bool { return r != '\n' && r != '\r' && r != 0 && !strings.ContainsRune(`/\"'`+"`", r) },
		pattern: "^[^\\n\\r\\x00/\\\\\"'`]*$"},
}

var hostChars = set("a-zA-Z0-9", ".-:")

const (
	hostNoun    = "a host name or IP address"
	urlChars    = "-._~:/?#[]@&+,=%"
	userPattern = `^[a-z_][a-z0-9_.-]{0,31}$`
	pathPattern = `^[^\x00-\x1f\x7f]*$`
)

// set builds a character class from ranges like "a-z0-9" and extra characters.
func set(ranges, extra string) func(rune) bool {
	return func(r rune) bool {
		for i := 0; i+2 < len(ranges); i += 3 {
			if r >= rune(ranges[i]) && r <= rune(ranges[i+2]) {
				return true
			}
		}
		return strings.ContainsRune(extra, r)
	}
}

func printable(r rune) bool { return r >= 0x20 && r != 0x7f && r != utf8.RuneError }

// badChar finds the first character of s that allowed rejects and names it.
func badChar(s string, allowed func(rune) bool) string {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size <= 1 {
				return "invalid UTF-8"
			}
		}
		if allowed(r) {
			continue
		}
		switch r {
		case ' ':
			return "a space"
		case '\t':
			return "a tab"
		case '\n':
			return "a newline"
		case '\r':
			return "a carriage return"
		case 0:
			return "a NUL byte"
		}
		if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 {
			return fmt.Sprintf("control character %U", r)
		}
		return strconv.Quote(string(r))
	}
	return ""
}

// checkString returns what is wrong with a non-empty value of kind k.
func checkString(k kind, s string) string {
	if c := badChar(s, k.allowed); c != "" {
		if k.secret && k.noun == "" {
			return "contains " + c
		}
		return fmt.Sprintf("contains %s which is not allowed in %s", c, k.noun)
	}
	if k.check != nil {
		return k.check(s)
	}
	return ""
}

func maxLen(n int) func(string) string {
	return func(s string) string {
		if len(s) > n {
			return fmt.Sprintf("is longer than %d characters", n)
		}
		return ""
	}
}

func checkDomain(s string) string {
	if strings.ToLower(s) != s {
		return "must be lowercase"
	}
	return dnsName(s, 2)
}

// dnsName checks an RFC 1123 host name of at least min labels.
func dnsName(s string, min int) string {
	if len(s) > 253 {
		return "is longer than 253 characters"
	}
	if strings.HasSuffix(s, ".") && s != "." {
		return "must not end with a dot"
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return "has an empty label (a leading dot or two dots in a row)"
		case len(l) > 63:
			return "has a label longer than 63 characters"
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Sprintf("has a label that starts or ends with a hyphen (%q)", l)
		}
	}
	if len(labels) < min {
		return "must have at least two labels, like meet.example.com"
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "is not a valid name: the last label is numeric"
	}
	return ""
}

func checkHost(s string) string {
	if _, err := netip.ParseAddr(s); err == nil {
		return ""
	}
	if strings.Contains(s, ":") || strings.Trim(s, "0123456789.") == "" {
		return "is not a valid IP address"
	}
	return dnsName(s, 1)
}

// checkHostPart checks the host inside a URL or host:port.
func checkHostPart(h string) string {
	m := checkHost(h)
	if c := badChar(h, hostChars); c != "" {
		m = fmt.Sprintf("contains %s which is not allowed in %s", c, hostNoun)
	}
	if m != "" {
		return "has a host that " + m
	}
	return ""
}

var userRE = regexp.MustCompile(userPattern)

func checkUser(s string) string {
	if !userRE.MatchString(s) {
		return "must start with a lowercase letter or _, then lowercase letters, digits, _ . or -, at most 32 characters"
	}
	return ""
}

func checkEmail(s string) string {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "is not a valid email address"
	}
	i := strings.LastIndexByte(s, '@')
	if dnsName(strings.ToLower(s[i+1:]), 2) != "" {
		return "is not a valid email address: the part after @ is not a domain name"
	}
	return ""
}

func checkURL(s string, httpsOnly bool) string {
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "must be an absolute URL like https://host/path"
	}
	switch {
	case httpsOnly && u.Scheme != "https":
		return "must be an https:// URL"
	case u.Scheme != "https" && u.Scheme != "http":
		return "must be an http:// or https:// URL"
	case u.Fragment != "" || strings.HasSuffix(s, "#"):
		return "must not have a #fragment"
	}
	if m := checkHostPart(u.Hostname()); m != "" {
		return m
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has a port that is not between 1 and 65535"
		}
	}
	return ""
}

// checkOrigin accepts * or scheme, host and port of an https site, as a
// Content-Security-Policy source names it.
func checkOrigin(s string) string {
	if s == "*" {
		return ""
	}
	if m := checkURL(s, true); m != "" {
		return m
	}
	if u, _ := url.Parse(s); u.Path != "" || u.RawQuery != "" || u.User != nil {
		return "must be an origin like https://host or https://host:port, without a path"
	}
	return ""
}

func checkFingerprint(s string) string {
	if len(s) != 40 {
		return fmt.Sprintf("must be 40 hexadecimal digits (spaces allowed), not %d", len(s))
	}
	return ""
}

func checkHostKey(s string) string {
	f := strings.Fields(s)
	if len(f) >= 2 {
		if data, err := base64.StdEncoding.DecodeString(f[1]); err == nil {
			if k, err := ssh.ParsePublicKey(data); err == nil && k.Type() == f[0] {
				return ""
			}
		}
	}
	return `is not an SSH public key like "ssh-ed25519 AAAA..." (as in known_hosts, without the host name)`
}

func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "must be host:port"
	}
	if m := checkHostPart(host); m != "" {
		return m
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "has a port that is not between 1 and 65535"
	}
	return ""
}

func checkCIDR(s string) string {
	if _, err := netip.ParsePrefix(s); err == nil {
		return ""
	}
	if _, err := netip.ParseAddr(s); err == nil {
		return ""
	}
	return "is not an IP address or CIDR range like 198.51.100.0/24"
}

// validate checks the decoded values, then the rules that span fields.
func (d *decoder) validate(c *Config) {
	d.checkStruct(reflect.ValueOf(c).Elem(), "")
	d.checkHosts(c.Hosts)
	d.checkBridges(c)

	switch c.TLS.Mode {
	case TLSOwn:
		d.need("tls.cert_file", c.TLS.CertFile, "tls.mode own")
		d.need("tls.key_file", c.TLS.KeyFile, "tls.mode own")
		if !d.opts.SkipFileChecks {
			d.checkPair(c.TLS.CertFile, c.TLS.KeyFile)
		}
	case TLSLetsEncrypt:
		d.need("letsencrypt.email", c.LetsEncrypt.Email, "tls.mode letsencrypt")
	}

	d.checkTURN(c)
	for i, h := range c.Hosts {
		b, p := h.Bastion, fmt.Sprintf("hosts[%d].bastion", i)
		switch {
		case b.User != "":
			d.need(p+".address", b.Address, p+".user")
		case b.KeyFile != "":
			d.need(p+".address", b.Address, p+".key_file")
		case b.HostKey != "":
			d.need(p+".address", b.Address, p+".host_key")
		case b.KnownHosts != "":
			d.need(p+".address", b.Address, p+".known_hosts")
		case b.Port != 0:
			d.need(p+".address", b.Address, p+".port")
		}
	}

	tc := c.Janssen.TestClient
	if tc.ClientID != "" {
		d.need("janssen.test_client.client_secret", tc.ClientSecret, "janssen.test_client.client_id")
	}
	if tc.ClientSecret != "" {
		d.need("janssen.test_client.client_id", tc.ClientID, "janssen.test_client.client_secret")
	}
}

// checkTURN: TURN on 443 needs coturn and a name of its own, which an own
// certificate must cover.
func (d *decoder) checkTURN(c *Config) {
	host := c.TURN.TLS443Host
	if host == "" || d.bad["turn.tls_443_host"] {
		return
	}
	switch {
	case !c.Jitsi.Turn:
		d.add(nil, "turn.tls_443_host", "needs jitsi.turn true: there is no TURN server to route to")
	case strings.EqualFold(host, c.Domain):
		d.add(nil, "turn.tls_443_host", "must differ from domain: nginx tells the web app and TURN apart by this name")
	case c.TLS.Mode == TLSOwn && c.TLS.CertFile != "" && !d.bad["tls.cert_file"] && !d.opts.SkipFileChecks:
		if msg := d.certCovers(c.TLS.CertFile, host); msg != "" {
			d.add(nil, "turn.tls_443_host", "%s", msg)
		}
	}
}

// certCovers says why the first certificate in file is not valid for host,
// or "" when it is.
func (d *decoder) certCovers(file, host string) string {
	data, err := readLimited(d.opts.ReadFile, file)
	if err != nil {
		return ""
	}
	for b, rest := pem.Decode(data); b != nil; b, rest = pem.Decode(rest) {
		if b.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return ""
		}
		if cert.VerifyHostname(host) != nil {
			return fmt.Sprintf("is not in tls.cert_file %s: add %s to the certificate's names (subjectAltName)", file, host)
		}
		return ""
	}
	return ""
}

// need reports path as missing when value is empty and nothing else has been
// said about it.
func (d *decoder) need(path, value, with string) {
	if value == "" && !d.bad[path] {
		d.add(nil, path, "is required with %s", with)
	}
}

// checkStruct checks each field of v against its tags. Values the file left
// out are defaults and need no check, but required keys are looked for in
// every section, present or not.
func (d *decoder) checkStruct(v reflect.Value, path string) {
	for _, f := range fieldsOf(v.Type()) {
		p := join(path, f.key)
		fv := v.Field(f.index)
		if d.bad[p] {
			continue
		}
		if f.required && (!d.src.set[p] || fv.Kind() == reflect.String && fv.String() == "") {
			if !d.suggested[p] {
				d.add(nil, p, "is required")
			}
			continue
		}
		switch fv.Kind() {
		case reflect.Struct:
			d.checkStruct(fv, p)
		case reflect.Slice:
			for i := range fv.Len() {
				ip := fmt.Sprintf("%s[%d]", p, i)
				switch {
				case d.bad[ip]:
				case fv.Index(i).Kind() == reflect.String && fv.Index(i).String() == "":
					d.add(nil, ip, "empty list item")
				case fv.Index(i).Kind() == reflect.Struct:
					d.checkStruct(fv.Index(i), ip)
				default:
					d.checkValue(f, fv.Index(i), ip)
				}
			}
		default:
			if d.src.set[p] {
				d.checkValue(f, fv, p)
			}
		}
	}
}

func (d *decoder) checkValue(f field, v reflect.Value, path string) {
	var s string
	switch v.Kind() {
	case reflect.Int:
		n := int(v.Int())
		s = strconv.Itoa(n)
		switch {
		case f.min != nil && f.max != nil && (n < *f.min || n > *f.max):
			d.add(nil, path, "must be between %d and %d", *f.min, *f.max)
			return
		case f.min != nil && n < *f.min:
			d.add(nil, path, "must be %d or more", *f.min)
			return
		case f.max != nil && n > *f.max:
			d.add(nil, path, "must be %d or less", *f.max)
			return
		}
	case reflect.String:
		s = v.String()
		if s == "" {
			return
		}
		k := kinds[f.kind]
		if m := checkString(k, s); m != "" {
			d.add(nil, path, "%s", m)
			return
		}
		if !d.opts.SkipFileChecks {
			if m := d.checkFile(s, f.kind); m != "" {
				d.add(nil, path, "%s", m)
				return
			}
		}
	default:
		return
	}
	if f.enum != nil && !contains(f.enum, s) {
		if len(f.enum) == 1 {
			d.add(nil, path, "must be %s", f.enum[0])
			return
		}
		msg := fmt.Sprintf("must be one of %s, not %q", strings.Join(f.enum, ", "), s)
		if g := suggest(s, f.enum); g != "" {
			msg += fmt.Sprintf("; did you mean %q?", g)
		}
		d.add(nil, path, "%s", msg)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkFile reads a local file the answers name, for the kinds that name
// one; "" when it holds what the kind needs.
func (d *decoder) checkFile(file, kind string) string {
	switch kind {
	case "certs", "privkey":
		return d.checkPEM(file, kind)
	case "sshkey":
		if d.opts.Local {
			return ""
		}
		return d.checkSSHKey(file)
	}
	return ""
}

// checkSSHKey reads a local SSH private key; an encrypted one is fine, its
// passphrase is asked when connecting.
func (d *decoder) checkSSHKey(file string) string {
	data, err := readLimited(d.opts.ReadFile, file)
	if err != nil {
		return err.Error()
	}
	var missing *ssh.PassphraseMissingError
	if _, err := ssh.ParseRawPrivateKey(data); err != nil && !errors.As(err, &missing) {
		return fmt.Sprintf("%s is not an SSH private key: %v", file, err)
	}
	return ""
}

// checkPEM reads a local certificate bundle or private key.
func (d *decoder) checkPEM(file, kind string) string {
	data, err := readLimited(d.opts.ReadFile, file)
	if err != nil {
		return err.Error()
	}
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		switch {
		case b == nil && kind == "certs":
			return file + " holds no PEM certificate"
		case b == nil:
			return file + " holds no PEM private key"
		case kind == "certs" && b.Type == "CERTIFICATE":
			if _, err := x509.ParseCertificate(b.Bytes); err != nil {
				return fmt.Sprintf("%s: PEM block %d is not a valid certificate: %v", file, n, err)
			}
			return ""
		case kind == "privkey" && (b.Type == "ENCRYPTED PRIVATE KEY" || b.Headers["Proc-Type"] != ""):
			return file + " holds an encrypted key; nginx needs it without a passphrase"
		case kind == "privkey" && strings.HasSuffix(b.Type, "PRIVATE KEY"):
			return ""
		}
	}
}

// checkPair makes sure the own certificate and key belong together.
func (d *decoder) checkPair(certFile, keyFile string) {
	if d.bad["tls.cert_file"] || d.bad["tls.key_file"] || certFile == "" || keyFile == "" {
		return
	}
	cert, err1 := d.opts.ReadFile(certFile)
	key, err2 := d.opts.ReadFile(keyFile)
	if err1 != nil || err2 != nil {
		return
	}
	if _, err := tls.X509KeyPair(cert, key); err != nil {
		d.add(nil, "tls.key_file", "does not match tls.cert_file: %v", err)
	}
}

// checkHosts wants one core host and no host twice.
func (d *decoder) checkHosts(hosts []Host) {
	if d.bad["hosts"] || !d.src.set["hosts"] {
		return
	}
	if len(hosts) == 0 {
		d.add(nil, "hosts", "needs at least one host")
		return
	}
	core := -1
	seen := map[string]int{}
	for i, h := range hosts {
		p := fmt.Sprintf("hosts[%d]", i)
		if h.Role == RoleCore && !d.bad[p+".role"] {
			if core >= 0 {
				d.add(nil, p+".role", "only one host may have role core (the default); hosts[%d] has it too", core)
			} else {
				core = i
			}
		}
		if h.Address == "" || d.bad[p+".address"] {
			continue
		}
		id := net.JoinHostPort(strings.ToLower(h.Address), strconv.Itoa(h.Port))
		if j, dup := seen[id]; dup {
			d.add(nil, p+".address", "is the same host as hosts[%d]", j)
		}
		seen[id] = i
	}
	if core < 0 && !d.badUnder("hosts") {
		d.add(nil, "hosts", "needs one host with role core")
	}
}

// checkBridges: without the core's own bridge there must be another one.
func (d *decoder) checkBridges(c *Config) {
	if c.Jitsi.CoreBridge || d.badUnder("hosts") || d.bad["jitsi.core_bridge"] {
		return
	}
	if len(c.Bridges()) == 0 {
		d.add(nil, "jitsi.core_bridge", "is false but no host has role videobridge: meetings would have no bridge")
	}
}

// badUnder reports whether a problem was already found at or below path.
func (d *decoder) badUnder(path string) bool {
	for p := range d.bad {
		if p == path || strings.HasPrefix(p, path+".") || strings.HasPrefix(p, path+"[") {
			return true
		}
	}
	return false
}

// suggest returns the candidate closest to s, if it is close enough to be a
// likely typo.
func suggest(s string, candidates []string) string {
	if len(s) > 64 {
		return ""
	}
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "-", "_") }
	best, bestDist := "", -1
	for _, c := range candidates {
		dist := editDistance(norm(s), norm(c))
		if bestDist < 0 || dist < bestDist {
			best, bestDist = c, dist
		}
	}
	limit := max(1, min(3, len(s)/3))
	if best == "" || bestDist > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance, counting a swap of neighbours as
// one edit (the commonest typo).
func editDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	// d[i][j] is the distance between x[:i] and y[:j].
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
