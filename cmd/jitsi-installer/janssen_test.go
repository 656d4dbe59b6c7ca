package main

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestJanssenClientGolden(t *testing.T) {
	// No CA bundle and an unreachable issuer: printing contacts nothing.
	file := write(t, "answers.yaml", janssenAnswers("https://127.0.0.1:9", ""))
	code, out, errOut := cli(t, "janssen", "client", "--answers", file)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	golden := filepath.Join("testdata", "janssen-client.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if out != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", golden, out)
	}

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
