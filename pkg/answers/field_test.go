package answers

import (
	"fmt"
	"strings"
	"testing"
)

// ValidateField gives exactly the message Parse gives for the same value.
func TestValidateFieldMatchesParse(t *testing.T) {
	base := map[string]string{
		"domain":            "meet.example.com",
		"hosts[0].address":  "203.0.113.10",
		"janssen.issuer":    "https://login.example.com",
		"letsencrypt.email": "ops@example.com",
	}
	cases := []struct{ path, value string }{
		{"domain", "Meet.example.com"},
		{"domain", "meet.example.com;reboot"},
		{"domain", "meet"},
		{"domain", ""},
		{"hosts[0].address", "300.1.1.1"},
		{"hosts[0].port", "70000"},
		{"hosts[0].port", "abc"},
		{"hosts[0].port", "1.5"},
		{"hosts[0].user", "Root"},
		{"hosts[0].host_key", "ssh-ed25519 nope"},
		{"letsencrypt.email", "not-an-email"},
		{"letsencrypt.server", "http://acme.example.com/dir"},
		{"janssen.issuer", "login.example.com"},
		{"janssen.client_id", "has space"},
		{"tls.mode", "lets-encrypt"},
		{"tls.cert_file", "/nonexistent/cert.pem"},
		{"jitsi.stun_servers[0]", "stun.example.com"},
	}
	for _, c := range cases {
		t.Run(c.path+"="+c.value, func(t *testing.T) {
			vals := map[string]string{}
			for k, v := range base {
				vals[k] = v
			}
			vals[c.path] = c.value
			doc := fmt.Sprintf("version: 1\ndomain: %q\nhosts:\n  - address: %q\n", vals["domain"], vals["hosts[0].address"])
			for _, k := range []string{"hosts[0].port", "hosts[0].user", "hosts[0].host_key"} {
				if v, ok := vals[k]; ok {
					doc += fmt.Sprintf("    %s: %s\n", strings.TrimPrefix(k, "hosts[0]."), v)
				}
			}
			doc += fmt.Sprintf("letsencrypt:\n  email: %q\n", vals["letsencrypt.email"])
			if v, ok := vals["letsencrypt.server"]; ok {
				doc += fmt.Sprintf("  server: %q\n", v)
			}
			doc += fmt.Sprintf("janssen:\n  issuer: %q\n", vals["janssen.issuer"])
			if v, ok := vals["janssen.client_id"]; ok {
				doc += fmt.Sprintf("  client_id: %q\n", v)
			}
			if v, ok := vals["tls.mode"]; ok {
				doc += fmt.Sprintf("tls:\n  mode: %q\n", v)
			}
			if v, ok := vals["tls.cert_file"]; ok {
				doc += fmt.Sprintf("tls:\n  mode: own\n  cert_file: %q\n  key_file: %q\n", v, v)
			}
			if v, ok := vals["jitsi.stun_servers[0]"]; ok {
				doc += fmt.Sprintf("jitsi:\n  stun_servers: [%q]\n", v)
			}
			want := ""
			_, err := Parse("a.yaml", []byte(doc), Options{})
			if err == nil {
				t.Fatalf("Parse accepted %s=%q:\n%s", c.path, c.value, doc)
			}
			for _, p := range err.(*Problems).List {
				if p.Path == c.path {
					want = p.Msg
					break
				}
			}
			if want == "" {
				t.Fatalf("Parse reported nothing at %s:\n%v", c.path, err)
			}
			got := ValidateField(c.path, c.value)
			if got == nil || got.Error() != want {
				t.Errorf("ValidateField(%q, %q) = %v, want %q", c.path, c.value, got, want)
			}
		})
	}
	for path, v := range base {
		if err := ValidateField(path, v); err != nil {
			t.Errorf("ValidateField(%q, %q) = %v, want nil", path, v, err)
		}
	}
	for _, path := range []string{"nope", "hosts", "janssen", "hosts[0].nope"} {
		if err := ValidateField(path, "x"); err == nil {
			t.Errorf("ValidateField(%q) accepted an unknown or non-scalar key", path)
		}
	}
}

// frame_ancestors ends up in an nginx add_header: only origins and *.
func TestFrameAncestors(t *testing.T) {
	for _, v := range []string{"*", "https://portal.example.com", "https://portal.example.com:8443"} {
		if err := ValidateField("jitsi.frame_ancestors[0]", v); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
	for _, v := range []string{"http://portal.example.com", "https://portal.example.com/app", "'self'",
		"https://a.example.com; script-src *", "https://a.example.com\"", "*.example.com"} {
		if err := ValidateField("jitsi.frame_ancestors[0]", v); err == nil {
			t.Errorf("%q accepted", v)
		}
	}
}
