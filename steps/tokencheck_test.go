package steps

import (
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/assets"
	stand "github.com/jitsi-installer/jitsi-installer/e2e/janssen"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// TestLiveTokenCheck gets a real token for a confidential client from the
// Janssen stand-in on loopback and checks it against a rendered Prosody
// configuration, as verify does against the host's.
func TestLiveTokenCheck(t *testing.T) {
	srv, ca := stand.StartLocal(t)
	srv.AddClient("verify-client", "client-secret-1", map[string]any{
		"aud": "jitsi", "sub": "meet.example.com", "room": "*",
		"context": map[string]any{"user": map[string]any{"name": "verify"}},
	})

	cfg, err := answers.Parse("t.yaml", []byte(`version: 1
domain: meet.example.com
hosts: [{address: 203.0.113.10}]
letsencrypt: {email: ops@example.com}
janssen:
  issuer: `+srv.Issuer()+`
  client_id: jitsi-meet
  ca_bundle: `+ca+`
  test_client: {client_id: verify-client, client_secret: client-secret-1}
`), answers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &prosody{&env{cfg: cfg}}
	d := assets.Data{Domain: cfg.Domain, Issuer: cfg.Janssen.Issuer, Audience: "jitsi", AppID: "jitsi", ClientID: "jitsi-meet",
		JWKSURL: srv.Issuer() + "/jans-auth/restv1/jwks", AuthorizeURL: srv.Issuer() + "/jans-auth/restv1/authorize",
		TokenURL: srv.Issuer() + "/jans-auth/restv1/token", FocusPassword: "focus-password", JVBPassword: "jvb-password",
		TURNSecret: "turn-secret-1", JVBInstanceID: "jvb-1", Shard: "s", Region: "r", Environment: "e",
		CertFile: "/c.pem", KeyFile: "/k.pem"}
	conf, err := assets.Render(assets.Prosody, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.checkLiveToken(string(conf), time.Now()); err != nil {
		t.Fatalf("a good token was refused: %v", err)
	}

	wrongAud := strings.Replace(string(conf), `asap_accepted_audiences = { "jitsi" }`, `asap_accepted_audiences = { "other" }`, 1)
	if wrongAud == string(conf) {
		t.Fatal("test does not change the audience")
	}
	if err := p.checkLiveToken(wrongAud, time.Now()); err == nil || !strings.Contains(err.Error(), "aud") {
		t.Errorf("audience mismatch: %v", err)
	}
	if err := p.checkLiveToken(string(conf), time.Now().Add(-3*time.Hour)); err == nil || !strings.Contains(err.Error(), "nbf") && !strings.Contains(err.Error(), "exp") {
		t.Errorf("host clock 3h behind: %v", err)
	}
}
