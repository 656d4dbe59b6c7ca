package janssen

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestClientRequest(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(NewClientRequest("meet.example.com").JSON(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"redirect_uris":                []any{"https://meet.example.com/static/sso.html"},
		"token_endpoint_auth_method":   "none",
		"response_types":               []any{"code"},
		"access_token_as_jwt":          true,
		"access_token_signing_alg":     "RS256",
		"id_token_signed_response_alg": "RS256",
	}
	for k, v := range want {
		if g, _ := json.Marshal(got[k]); string(g) != mustJSON(v) {
			t.Errorf("%s = %s, want %s", k, g, mustJSON(v))
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestUpdateTokenScript(t *testing.T) {
	s := string(UpdateTokenScript(ScriptParams{Domain: "meet.example.com", Audience: "jitsi", ClientIDs: []string{"web-1", "tester"}}))
	for _, want := range []string{
		"class UpdateToken(UpdateTokenType):",
		"def modifyAccessToken(self, accessToken, context):",
		"def modifyIdToken(self, jsonWebResponse, context):",
		`DOMAIN = "meet.example.com"`,
		`AUDIENCE = "jitsi"`,
		`CLIENT_IDS = ["web-1", "tester"]`,
		`claims.setClaim("room", "*")`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %q", want)
		}
	}
	// The script is Jython 2.7; written to parse as Python 3 too, which
	// catches syntax errors where python3 is installed.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 to parse the script with")
	}
	f := filepath.Join(t.TempDir(), "update_token.py")
	if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(py, "-c", "import ast,sys; ast.parse(open(sys.argv[1]).read())", f).CombinedOutput(); err != nil {
		t.Errorf("the script does not parse: %v\n%s", err, out)
	}
}

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
