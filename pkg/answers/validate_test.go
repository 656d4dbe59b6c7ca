package answers

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/wanterr"
)

// Values each kind must accept, and what it says about values it must not.
// The schema's pattern has to accept the good ones too, or editors would
// flag files the installer reads.
func TestKinds(t *testing.T) {
	tests := []struct {
		kind string
		good []string
		bad  map[string]string
	}{
		{"domain", []string{"meet.example.com", "a.b", "x-1.example.co.uk", "xn--bcher-kva.example"}, map[string]string{
			"meet":              "must have at least two labels, like meet.example.com",
			"Meet.example.com":  "must be lowercase",
			"meet.example.com.": "must not end with a dot",
			"meet..example.com": "has an empty label (a leading dot or two dots in a row)",
			"-meet.example.com": `has a label that starts or ends with a hyphen ("-meet")`,
			"meet.example.123":  "is not a valid name: the last label is numeric",
			"meet_x.example":    `contains "_" which is not allowed in a domain name`,
			"bücher.example":    `contains "ü" which is not allowed in a domain name`,
		}},
		{"host", []string{"203.0.113.10", "2001:db8::1", "jitsi", "jitsi-1.example.com", "LOCALHOST"}, map[string]string{
			"203.0.113.300": "is not a valid IP address",
			"fe80::1%eth0":  `contains "%" which is not allowed in a host name or IP address`,
			"a b":           "contains a space which is not allowed in a host name or IP address",
			"2001:db8::g":   "is not a valid IP address",
		}},
		{"user", []string{"root", "_svc", "deploy.bot", "a-b_c"}, map[string]string{
			"Root":   "must start with a lowercase letter or _, then lowercase letters, digits, _ . or -, at most 32 characters",
			"r$oot":  `contains "$" which is not allowed in a user name`,
			"a;b":    `contains ";" which is not allowed in a user name`,
			"0admin": "must start with a lowercase letter or _, then lowercase letters, digits, _ . or -, at most 32 characters",
		}},
		{"email", []string{"ops@example.com", "first.last+jitsi@mail.example.org"}, map[string]string{
			"ops@localhost":     "is not a valid email address: the part after @ is not a domain name",
			"ops.example.com":   "is not a valid email address",
			"Ops <o@x.example>": "contains a space which is not allowed in an email address",
			"o'p@example.com":   `contains "'" which is not allowed in an email address`,
		}},
		{"https", []string{"https://login.example.com", "https://login.example.com:8443/jans-auth/x?a=b&c=d", "https://[2001:db8::1]/"}, map[string]string{
			"http://login.example.com": "must be an https:// URL",
			"login.example.com":        "must be an absolute URL like https://host/path",
			"https://x.example/$x":     `contains "$" which is not allowed in a URL`,
			"https://x.example/#a":     "must not have a #fragment",
			"https://a_b.example/":     `has a host that contains "_" which is not allowed in a host name or IP address`,
		}},
		{"url", []string{"http://download.jitsi.org", "https://proxy.example.com:3128"}, map[string]string{
			"ftp://x.example": "must be an http:// or https:// URL",
		}},
		{"fingerprint", []string{"09E93EFE0B6C6EC59D47E1A7C1F84B1E2D661B1A"}, map[string]string{
			"09E93EFE": "must be 40 hexadecimal digits (spaces allowed), not 8",
		}},
		{"hostport", []string{"stun.example.com:3478", "[2001:db8::1]:443", "198.51.100.1:3478"}, map[string]string{
			"stun.example.com":      "must be host:port",
			"stun.example.com:0":    "has a port that is not between 1 and 65535",
			"stun..example.com:443": "has a host that has an empty label (a leading dot or two dots in a row)",
		}},
		{"cidr", []string{"198.51.100.0/24", "198.51.100.7", "2001:db8::/32"}, map[string]string{
			"198.51.100.0/33": "is not an IP address or CIDR range like 198.51.100.0/24",
			"10.0.0.0/8,x":    `contains "," which is not allowed in an IP address or CIDR range`,
		}},
		{"name", []string{"jitsi", "https://meet.example.com", "1800.5f3c2d9a-0c2e", "stable/"}, map[string]string{
			"a b": "contains a space which is not allowed in this field",
			"{x}": `contains "{" which is not allowed in this field`,
			"a`b": "contains \"`\" which is not allowed in this field",
		}},
		{"path", []string{"/home/op/My Keys/id", "~/.ssh/id"}, map[string]string{
			"/x\n": "contains a newline which is not allowed in a path",
		}},
		{"secret", []string{`pa$$ "word" ;{}`, "ünï"}, map[string]string{
			"a\nb":  "contains a newline",
			"a\rb":  "contains a carriage return",
			"a\x00": "contains a NUL byte",
		}},
		{"appsecret", []string{"Abc123+=-_.!"}, map[string]string{
			`a\b`: `contains "\\" which is not allowed in the app secret`,
			"a'b": `contains "'" which is not allowed in the app secret`,
		}},
	}
	for _, tt := range tests {
		k, ok := kinds[tt.kind]
		if !ok {
			t.Fatalf("no kind %q", tt.kind)
		}
		var pattern *regexp.Regexp
		if k.pattern != "" {
			pattern = regexp.MustCompile(k.pattern)
		}
		for _, v := range tt.good {
			if m := checkString(k, v); m != "" {
				t.Errorf("%s %q: %s", tt.kind, v, m)
			}
			if pattern != nil && !pattern.MatchString(v) {
				t.Errorf("%s %q: schema pattern %s rejects it", tt.kind, v, k.pattern)
			}
		}
		for v, want := range tt.bad {
			if got := checkString(k, v); got != want {
				t.Errorf("%s %q:\n got %s\nwant %s", tt.kind, v, got, want)
			}
		}
	}
}

// Every key is documented and every string has a kind, so the template, the
// schema and the checks cover the whole file.
func TestFieldTags(t *testing.T) {
	var visit func(t *testing.T, typ reflect.Type, path string)
	visit = func(t *testing.T, typ reflect.Type, path string) {
		for _, f := range fieldsOf(typ) {
			p := join(path, f.key)
			ft := typ.Field(f.index).Type
			if f.doc == "" {
				t.Errorf("%s has no doc tag", p)
			}
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				visit(t, ft, p)
			case reflect.String:
				k, ok := kinds[f.kind]
				if !ok {
					t.Errorf("%s has unknown kind %q", p, f.kind)
				}
				if k.secret && f.env == "" {
					t.Errorf("secret %s has no env tag for Marshal", p)
				}
			}
		}
	}
	visit(t, reflect.TypeOf(Config{}), "")
}

// key_file is read when the answers are loaded: a key that is not there or
// is no key fails then, naming the file, not when connecting.
func TestSSHKeyFile(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"testdata/files/id_ed25519", ""},
		{"testdata/files/id_ed25519_encrypted", ""}, // its passphrase is asked when connecting
		{"testdata/files/key.pem", ""},              // PKCS#8, as openssl writes it
		{"testdata/files/cert.pem", "testdata/files/cert.pem is not an SSH private key"},
		{"testdata/files/no-such-key", "testdata/files/no-such-key: no such file or directory"},
	}
	for _, tt := range tests {
		if m := wanterr.Mismatch(ValidateField("hosts[0].key_file", tt.file), tt.want); m != "" {
			t.Errorf("%s: %s", tt.file, m)
		}
	}
}

// On the host itself (--host local) the SSH key file is not used, and a
// path of the operator's machine is no error there.
func TestSSHKeyFileNotReadLocally(t *testing.T) {
	doc := []byte("version: 1\ndomain: meet.example.com\nhosts:\n  - address: 203.0.113.10\n    key_file: /home/op/.ssh/no-such-key\n" +
		"letsencrypt:\n  email: ops@example.com\njanssen:\n  issuer: https://login.example.com\n")
	if _, err := Parse("answers.yaml", doc, Options{}); err == nil || !strings.Contains(err.Error(), "hosts[0].key_file") {
		t.Errorf("a missing key file over SSH: %v", err)
	}
	if _, err := Parse("answers.yaml", doc, Options{Local: true}); err != nil {
		t.Errorf("a missing key file for a local run: %v", err)
	}
}
