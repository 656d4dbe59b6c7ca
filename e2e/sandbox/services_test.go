//go:build e2e

package sandbox

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// TestServices checks, from inside a target, what its daemon serves.
func TestServices(t *testing.T) {
	t.Parallel()
	tg := bringUp(t, Options{Name: "services"})
	for _, f := range []string{tg.ACMECA, tg.JanssenCA} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		copyTo(t, tg, b, "/tmp/"+filepath.Base(filepath.Dir(f))+".pem")
	}
	tests := []struct {
		name, cmd, want string
	}{
		{"proxy refuses other hosts", "curl -s -o /dev/null -w '%{http_code}' -x " + tg.AptProxy + " http://example.com/", "403"},
		{"proxy reaches Debian", "curl -s -o /dev/null -w '%{http_code}' -x " + tg.AptProxy + " http://deb.debian.org/debian/dists/" + tg.Suite + "/InRelease", "200"},
		{"repository key", "curl -fsS " + tg.RepoKeyURL + " | gpg --show-keys --with-colons 2>/dev/null | awk -F: '$1==\"fpr\"{print $10; exit}'", tg.RepoFingerprint},
		{"repository through the proxy", "curl -fsS -x " + tg.AptProxy + " " + tg.RepoURL + "stable/Release | grep -c '^SHA256:'", "1"},
		{"pebble", "curl -fsS --cacert /tmp/pebble.pem " + tg.ACMEServer + " | grep -o newAccount | head -1", "newAccount"},
		{"janssen discovery", "curl -fsS --cacert /tmp/janssen.pem " + tg.JanssenIssuer + "/jans-auth/.well-known/openid-configuration | grep -o '\"issuer\":\"[^\"]*\"'", `"issuer":"` + tg.JanssenIssuer + `"`},
		{"janssen has a DNS name", "getent hosts " + tg.JanssenHost + " | awk '{print $1}'", tg.HostAddress},
		{"janssen JWKS by name, certificate checked", "curl -fsS -o /dev/null -w '%{http_code}' --cacert /tmp/janssen.pem https://" + tg.JanssenHost + ":8443/jans-auth/restv1/jwks", "200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustSSH(t, tg, tt.cmd); got != tt.want {
				t.Errorf("%s\n= %q, want %q", tt.cmd, got, tt.want)
			}
		})
	}
	t.Run("janssen by name from this machine", func(t *testing.T) {
		if want := "https://" + JanssenHost(tg.Name) + ":8443"; tg.JanssenIssuer != want {
			t.Fatalf("issuer %s, want %s", tg.JanssenIssuer, want)
		}
		c, err := jwks.NewClient(tg.JanssenCA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jwks.FetchDiscovery(testContext(t), c, tg.JanssenIssuer+"/jans-auth/.well-known/openid-configuration", tg.JanssenIssuer); err != nil {
			t.Errorf("discovery by name from this machine: %v", err)
		}
	})
	t.Run("janssen admin on loopback mints tokens", func(t *testing.T) {
		if !strings.HasPrefix(tg.JanssenAdmin, "http://127.0.0.1:") {
			t.Fatalf("admin API at %s, want loopback", tg.JanssenAdmin)
		}
		resp, err := http.Post(tg.JanssenAdmin+"/mint", "application/json", strings.NewReader(`{"claims":{"room":"*"}}`))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Count(string(tok), ".") != 2 {
			t.Errorf("POST /mint = %s %q, want a JWT", resp.Status, tok)
		}
	})
}
