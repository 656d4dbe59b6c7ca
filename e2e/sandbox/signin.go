package sandbox

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jitsi-installer/jitsi-installer/internal/janssentest"
	jans "github.com/jitsi-installer/jitsi-installer/pkg/janssen"
)

// WebClientID is the web app's client on a target's Janssen stand-in: the
// janssen.client_id of its answers file.
const WebClientID = "jitsi-meet"

// DemoUser signs in on a target's Janssen stand-in; its password is made
// per target (Services.DemoPasswordFile).
const DemoUser = "demo"

// registerWebClient registers the web app's client on the stand-in as the
// installer's `janssen client --register` would (its registration request
// for the target's domain), with the claims of the UPDATE_TOKEN script
// bound to it, and a user to sign in with.
func registerWebClient(s *janssentest.Server, t *Target, dir string, d *daemonInfo) error {
	var meta map[string]any
	if err := json.Unmarshal(jans.NewClientRequest(t.Domain).JSON(), &meta); err != nil {
		return fmt.Errorf("web client request: %w", err)
	}
	s.AddWebClient(WebClientID, meta, map[string]any{"aud": "jitsi", "sub": t.Domain, "room": "*"})
	password := randomHex(12)
	d.DemoUser, d.DemoPasswordFile = DemoUser, filepath.Join(dir, "demo_password")
	if err := os.WriteFile(d.DemoPasswordFile, []byte(password), 0o600); err != nil {
		return fmt.Errorf("write demo password: %w", err)
	}
	s.AddUser(janssentest.User{
		Username: DemoUser, Password: password, Inum: "demo-" + randomHex(4),
		Name: "Demo User", Email: "demo@" + t.Domain,
	})
	return nil
}
