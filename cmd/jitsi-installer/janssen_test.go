package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"

	jans "github.com/jitsi-installer/jitsi-installer/internal/janssentest"
)

func TestJanssenClientGolden(t *testing.T) {
	// No CA bundle and an unreachable issuer: printing contacts nothing.
	file := write(t, "answers.yaml", janssenAnswers("https://127.0.0.1:9", ""))
	code, out, errOut := cli(t, "janssen", "client", "--answers", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	golden.Assert(t, filepath.Join("testdata", "janssen-client.golden"), []byte(out))

	code, out, _ = cli(t, "janssen", "client", "--answers", file, "-o", "json")
	var j struct {
		Request struct {
			RedirectURIs []string `json:"redirect_uris"`
		} `json:"registration_request"`
		Script string `json:"update_token_script"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &j) != nil {
		t.Fatalf("-o json: exit %d\n%s", code, out)
	}
	if len(j.Request.RedirectURIs) != 1 || j.Request.RedirectURIs[0] != "https://meet.example.com/static/sso.html" ||
		!strings.Contains(j.Script, "class UpdateToken(UpdateTokenType):") {
		t.Errorf("-o json: %+v", j)
	}
}

func TestJanssenClientRegister(t *testing.T) {
	s, ca := standin(t)
	const initial = "initial-access-token-never-shown-7"
	s.SetRegistrationToken(initial)
	before := janssenAnswers(s.Issuer(), ca)
	file := write(t, "answers.yaml", before)

	// A token on the command line is refused before anything is sent.
	code, out, errOut := cli(t, "janssen", "client", "-a", file, "--register", "--initial-token", initial)
	if code != 3 || len(s.Registrations()) != 0 {
		t.Fatalf("literal token: exit %d, %d registrations\n%s%s", code, len(s.Registrations()), out, errOut)
	}
	notLeaked(t, initial, out+errOut)

	// A wrong token: Janssen refuses, the file stays as it was.
	code, out, errOut = cliIn(t, "wrong-token\n", "janssen", "client", "-a", file, "--register", "--initial-token", "-")
	if code != 1 || !strings.Contains(errOut, "initial access token is wrong") {
		t.Fatalf("wrong token: exit %d\n%s%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(file); string(b) != before {
		t.Fatalf("the answers file changed after a refused registration:\n%s", b)
	}

	t.Setenv("JANS_INITIAL_TOKEN", initial)
	code, out, errOut = cli(t, "janssen", "client", "-a", file, "--register", "--initial-token", "${env:JANS_INITIAL_TOKEN}")
	if code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
	}
	notLeaked(t, initial, out+errOut)
	regs := s.Registrations()
	if len(regs) != 1 {
		t.Fatalf("%d registrations, want 1", len(regs))
	}
	req := regs[0].Request
	if uris, _ := req["redirect_uris"].([]any); len(uris) != 1 || uris[0] != "https://meet.example.com/static/sso.html" ||
		req["access_token_as_jwt"] != true || req["token_endpoint_auth_method"] != "none" {
		t.Errorf("registration request: %v", req)
	}
	id := regs[0].ClientID
	if !strings.Contains(out, id) {
		t.Errorf("output does not name client %s:\n%s", id, out)
	}
	after, _ := os.ReadFile(file)
	want := strings.Replace(before, "client_id: jitsi-meet  # the web app", "client_id: "+id+"  # the web app", 1)
	if string(after) != want {
		t.Errorf("answers file after registration:\n%s\nwant:\n%s", after, want)
	}
	if code, out, errOut := cli(t, "answers", "validate", file); code != 0 {
		t.Errorf("the edited answers file does not validate:\n%s%s", out, errOut)
	}
}

func TestJanssenClientRegisterTwiceUpdatesOneClient(t *testing.T) {
	s, ca := standin(t)
	const initial = "initial-access-token-never-shown-8"
	s.SetRegistrationToken(initial)
	file := write(t, "answers.yaml", janssenAnswers(s.Issuer(), ca))
	regFile := filepath.Join(filepath.Dir(file), "answers.janssen-client.json")

	code, out, errOut := cliIn(t, initial+"\n", "janssen", "client", "-a", file, "--register", "--initial-token", "-")
	if code != 0 {
		t.Fatalf("register: exit %d\n%s%s", code, out, errOut)
	}
	regs := s.Registrations()
	if len(regs) != 1 {
		t.Fatalf("%d clients, want 1", len(regs))
	}
	st, err := os.Stat(regFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("registration file: %v, mode %v", err, st)
	}
	kept, _ := os.ReadFile(regFile)
	var reg struct{ ClientID, RegistrationAccessToken string }
	if err := json.Unmarshal(kept, &struct {
		ClientID *string `json:"client_id"`
		Token    *string `json:"registration_access_token"`
	}{&reg.ClientID, &reg.RegistrationAccessToken}); err != nil || reg.ClientID != regs[0].ClientID || reg.RegistrationAccessToken == "" {
		t.Fatalf("registration file: %s", kept)
	}
	notLeaked(t, initial, out+errOut)
	notLeaked(t, reg.RegistrationAccessToken, out+errOut)

	// Again, without the initial token: the same client is updated.
	code, out, errOut = cli(t, "janssen", "client", "-a", file, "--register")
	if code != 0 || !strings.Contains(out, "Updated client "+reg.ClientID) {
		t.Fatalf("second register: exit %d\n%s%s", code, out, errOut)
	}
	if regs = s.Registrations(); len(regs) != 1 || regs[0].Updates != 1 {
		t.Fatalf("after the second register: %+v, want one client updated once", regs)
	}
	notLeaked(t, reg.RegistrationAccessToken, out+errOut)

	code, out, errOut = cli(t, "janssen", "client", "-a", file, "--show")
	if code != 0 || !strings.Contains(out, "https://meet.example.com/static/logout.html") || !strings.Contains(out, reg.ClientID) ||
		strings.Contains(out, "client_secret\"") || strings.Contains(out, "registration_access_token") {
		t.Fatalf("--show: exit %d\n%s%s", code, out, errOut)
	}
	notLeaked(t, reg.RegistrationAccessToken, out+errOut)

	// Janssen deleted the client: say so, and make no new one unasked.
	s.DeleteClient(reg.ClientID)
	code, out, errOut = cli(t, "janssen", "client", "-a", file, "--register")
	if code != 1 || !strings.Contains(errOut, "no longer knows this client") || !strings.Contains(errOut, "move "+regFile+" away") {
		t.Fatalf("register of a deleted client: exit %d\n%s%s", code, out, errOut)
	}
	if n := len(s.Registrations()); n != 1 {
		t.Errorf("%d clients after refusing", n)
	}
}

func TestJanssenClientSaysWhatTheProviderIgnored(t *testing.T) {
	s, ca := standin(t)
	s.DropClientFields("access_token_as_jwt", "post_logout_redirect_uris")
	file := write(t, "answers.yaml", janssenAnswers(s.Issuer(), ca))
	code, out, errOut := cli(t, "janssen", "client", "-a", file, "--register")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"did not keep access_token_as_jwt: dropped: the provider will issue opaque access tokens, which Jitsi cannot read",
		"did not keep post_logout_redirect_uris: dropped"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
}

// TestJanssenClientCredentialsStayHome: the initial access token goes only
// over https to the issuer's server, and nothing is registered with a
// provider that is not janssen.issuer.
func TestJanssenClientCredentialsStayHome(t *testing.T) {
	s, ca := standin(t)
	other, otherCA := standin(t)
	const initial = "initial-access-token-never-shown-9"
	s.SetRegistrationToken(initial)
	var mu sync.Mutex
	var received []string
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		received = append(received, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"client_id":"stolen"}`)
	}))
	defer plain.Close()
	bundle := write(t, "both.pem", readFile(t, ca)+readFile(t, otherCA))

	cases := []struct {
		name     string
		endpoint string // registration_endpoint the discovery document names
		answers  string
		want     string
	}{
		{"http endpoint", plain.URL + "/register", janssenAnswers(s.Issuer(), ca), plain.URL + "/register is not https"},
		{"https on another port", other.Issuer() + jans.RegisterPath, janssenAnswers(s.Issuer(), bundle), other.Issuer() + jans.RegisterPath + " is on "},
		{"discovery of another issuer", "", strings.Replace(janssenAnswers(s.Issuer(), bundle), "  audience: jitsi\n",
			"  audience: jitsi\n  discovery_url: "+other.Issuer()+jans.DiscoveryPath+"\n", 1), "refusing to register: the discovery document at " + other.Issuer()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s.SetRegistrationEndpoint(tc.endpoint)
			defer s.SetRegistrationEndpoint("")
			file := write(t, "answers.yaml", tc.answers)
			before := readFile(t, file)
			code, out, errOut := cliIn(t, initial+"\n", "janssen", "client", "-a", file, "--register", "--initial-token", "-")
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want 1 and %q\n%s%s", code, tc.want, out, errOut)
			}
			notLeaked(t, initial, out+errOut)
			mu.Lock()
			got := len(received)
			mu.Unlock()
			if got != 0 || len(other.Registrations()) != 0 || len(s.Registrations()) != 0 {
				t.Errorf("a registration endpoint was contacted: plain %d, other %d, own %d", got, len(other.Registrations()), len(s.Registrations()))
			}
			if readFile(t, file) != before {
				t.Error("the answers file changed")
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(file), "answers.janssen-client.json")); err == nil {
				t.Error("a registration was kept")
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestJanssenClientNamesTheDiscoverySettings: a discovery document that is
// not where the answers file says, or whose certificate is not trusted, is
// explained with the setting to change.
func TestJanssenClientNamesTheDiscoverySettings(t *testing.T) {
	s, ca := standin(t)
	cases := []struct{ name, answers, want string }{
		{"404", strings.Replace(janssenAnswers(s.Issuer(), ca), "  audience: jitsi\n", "  audience: jitsi\n  discovery_url: "+s.Issuer()+"/oidc/.well-known/openid-configuration\n", 1),
			"404 Not Found; there is no discovery document at " + s.Issuer() + "/oidc/.well-known/openid-configuration"},
		{"untrusted certificate", strings.Replace(janssenAnswers(s.Issuer(), ca), "  ca_bundle: "+fmt.Sprintf("%q", ca)+"\n", "", 1),
			"set janssen.ca_bundle in "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			file := write(t, "answers.yaml", tc.answers)
			code, out, errOut := cli(t, "janssen", "client", "-a", file, "--register")
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, want 1 and %q\n%s%s", code, tc.want, out, errOut)
			}
			if tc.name == "404" && !strings.Contains(errOut, "set janssen.discovery_url in "+file) {
				t.Errorf("the fix does not name janssen.discovery_url:\n%s", errOut)
			}
		})
	}
}
