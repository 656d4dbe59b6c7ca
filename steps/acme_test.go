package steps

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/internal/testca"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// Before anything changes, the host fetches a private ACME server's
// directory as certbot will: a certificate the CA bundle (or, without one,
// the system) does not trust refuses the host naming letsencrypt.ca_bundle;
// a server out of reach is a warning.
func TestPrivateACMEServerCheckedBeforeInstall(t *testing.T) {
	testenv.Tools(t, "apt-get install curl", "curl")
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"newNonce":"x"}`))
	}))
	defer srv.Close()
	serverCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	down := httptest.NewTLSServer(http.NotFoundHandler())
	down.Close()

	for _, tc := range []struct {
		name, server, bundle string
		refuse, warn         []string // what the refusal or warning says; none: passes
	}{
		{"the server's CA", srv.URL + "/dir", serverCA, nil, nil},
		{"another CA", srv.URL + "/dir", otherCA(t), []string{"letsencrypt.server " + srv.URL + "/dir", "does not verify against letsencrypt.ca_bundle",
			"both the CA of the server's own HTTPS certificate and the root of the certificates it issues"}, nil},
		{"no bundle", srv.URL + "/dir", "", []string{"the host does not trust its HTTPS certificate", "set letsencrypt.ca_bundle to both the CA"}, nil},
		{"out of reach", down.URL + "/dir", serverCA, nil, []string{"the ACME server " + down.URL + "/dir is not reachable from the host"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &answers.Config{LetsEncrypt: answers.LetsEncrypt{Server: tc.server}}
			if tc.bundle != "" {
				cfg.LetsEncrypt.CABundle = "/home/ops/acme-ca.pem"
			}
			out, code := testenv.Output(t, exec.Command("sh", "-c", fetchACME, "sh", tc.server, tc.bundle))
			h := testHost(nil)
			h.SetFact(factACME, installer.Probed{Out: string(out), Code: code})
			err := acmeReachable(h, cfg)
			for _, w := range tc.refuse {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("refusal %v lacks %q", err, w)
				}
			}
			if tc.refuse == nil && err != nil {
				t.Errorf("refused: %v", err)
			}
			warnings := strings.Join(h.Warnings(), "\n")
			for _, w := range tc.warn {
				if !strings.Contains(warnings, w) {
					t.Errorf("warnings %q lack %q", warnings, w)
				}
			}
			if tc.warn == nil && warnings != "" {
				t.Errorf("warned: %s", warnings)
			}
		})
	}
}

// otherCA is a CA certificate that signed nothing of the test server's.
func otherCA(t *testing.T) string {
	t.Helper()
	f, err := testca.New("Other", "other.example.com")
	if err != nil {
		t.Fatal(err)
	}
	return string(f.CA)
}

// Let's Encrypt's own servers are trusted everywhere: not asked on each plan.
func TestPrivateACME(t *testing.T) {
	for server, want := range map[string]bool{
		answers.DefaultACMEServer:                                false,
		"https://acme-staging-v02.api.letsencrypt.org/directory": false,
		"https://10.213.1.1:14000/dir":                           true,
		"https://ca.internal.example/acme/acme/directory":        true,
	} {
		if got := privateACME(&answers.Config{LetsEncrypt: answers.LetsEncrypt{Server: server}}); got != want {
			t.Errorf("%s: private %v, want %v", server, got, want)
		}
	}
}

// The certbot failure and verify's chain failure point at
// letsencrypt.ca_bundle in the answers file's own words, for a private
// ACME server only.
func TestPrivateACMEHintsNameTheCABundle(t *testing.T) {
	if doc := answers.Doc("letsencrypt.ca_bundle"); !strings.Contains(doc, acmeBundleNeeds) {
		t.Fatalf("the answers file says %q, the hints %q", doc, acmeBundleNeeds)
	}
	for server, private := range map[string]bool{answers.DefaultACMEServer: false, "https://10.213.1.1:14000/dir": true} {
		cfg := &answers.Config{Domain: "meet.example.com", TLS: answers.TLS{Mode: answers.TLSLetsEncrypt},
			LetsEncrypt: answers.LetsEncrypt{Server: server, Email: "ops@example.com"}}
		if got := strings.Contains(certbot(cfg, cfg.Domain).Hint, "letsencrypt.ca_bundle: "+acmeBundleNeeds); got != private {
			t.Errorf("%s: certbot's hint names letsencrypt.ca_bundle: %v, want %v", server, got, private)
		}
		c := (&certificate{env: &env{cfg: cfg}}).Checks(nil)[0]
		err := c.Eval("the chain does not verify: Verify return code: 20 (unable to get local issuer certificate)", 1)
		if got := err != nil && strings.Contains(err.Error(), "letsencrypt.ca_bundle: "+acmeBundleNeeds); got != private {
			t.Errorf("%s: verify's chain failure names letsencrypt.ca_bundle: %v, want %v (%v)", server, got, private, err)
		}
	}
}
