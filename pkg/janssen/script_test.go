package janssen

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpdateTokenScriptActsOnlyForItsClients runs the script under Python 3
// with stand-ins for Janssen's Java classes: the Jitsi client's access
// token gets the claims Prosody checks, another client's token is left
// alone (and the script says so in its log), and no ID token is touched.
func TestUpdateTokenScriptActsOnlyForItsClients(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to run the UPDATE_TOKEN script")
	}
	script := filepath.Join(t.TempDir(), "update_token.py")
	s := UpdateTokenScript(ScriptParams{Domain: "meet.example.com", Audience: "jitsi", ClientIDs: []string{"web-1", "tester"}})
	if err := os.WriteFile(script, s, 0o644); err != nil {
		t.Fatal(err)
	}
	original := map[string]any{"iss": "https://login.example.test", "sub": "u-1", "nonce": "n-1"}
	cases := []struct {
		client  string
		jitsi   bool
		logSays string
	}{
		{client: "web-1", jitsi: true},
		{client: "tester", jitsi: true},
		{client: "other-app", logSays: "client other-app is not a Jitsi client of meet.example.com"},
	}
	for _, c := range cases {
		t.Run(c.client, func(t *testing.T) {
			cmd := exec.Command(py, "testdata/run_script.py", script, c.client)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("script: %v\n%s", err, stderr.String())
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			var got struct{ Access, ID map[string]any }
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			log := strings.Join(lines[:len(lines)-1], "\n")
			want := map[string]any{"aud": c.client}
			for k, v := range original {
				want[k] = v
			}
			if mustJSON(got.ID) != mustJSON(want) {
				t.Errorf("ID token = %s, want it as issued: %s", mustJSON(got.ID), mustJSON(want))
			}
			if !c.jitsi {
				if mustJSON(got.Access) != mustJSON(want) {
					t.Errorf("access token of another client = %s, want it as issued", mustJSON(got.Access))
				}
				if !strings.Contains(log, c.logSays) {
					t.Errorf("log %q does not say %q", log, c.logSays)
				}
				return
			}
			for k, v := range map[string]any{"room": "*", "sub": "meet.example.com", "aud": "jitsi", "nonce": "n-1"} {
				if got.Access[k] != v {
					t.Errorf("access token %s = %v, want %v", k, got.Access[k], v)
				}
			}
			user, _ := got.Access["context"].(map[string]any)["user"].(map[string]any)
			if user["name"] != "Demo User" || user["moderator"] != true {
				t.Errorf("context.user = %v", user)
			}
		})
	}
}
