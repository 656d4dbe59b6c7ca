package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	jans "github.com/jitsi-installer/jitsi-installer/internal/janssentest"
)

// cliIn runs the command in-process with stdin.
func cliIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// standin serves the Janssen stand-in on loopback; it returns the server
// and the path of its CA certificate.
func standin(t *testing.T) (*jans.Server, string) { return jans.StartLocal(t) }

// janssenAnswers is a valid answers file for Janssen at issuer, with comments
// and blank lines that an edit must keep.
func janssenAnswers(issuer, caFile string) string {
	return fmt.Sprintf(`# Answers for the Janssen tests.
version: 1
domain: meet.example.com   # the meeting server
hosts:
  - address: 127.0.0.1

letsencrypt:
  email: ops@example.com

janssen:
  # Janssen's issuer, exactly as discovery states it.
  issuer: %s
  ca_bundle: %q
  # Set by janssen client --register.
  client_id: jitsi-meet  # the web app
  audience: jitsi
`, issuer, caFile)
}

func jitsiClaims(issuer string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": issuer, "aud": "jitsi", "sub": "meet.example.com", "room": "*",
		"iat": now.Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"context": map[string]any{"user": map[string]any{"name": "Ada", "email": "ada@example.com"}},
	}
}

func TestTokenCheck(t *testing.T) {
	s, ca := standin(t)
	mint := func(edit func(map[string]any)) string {
		c := jitsiClaims(s.Issuer())
		if edit != nil {
			edit(c)
		}
		tok, err := s.Mint(c, jans.MintOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	good := mint(nil)
	expired := mint(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })
	wrongSub := mint(func(c map[string]any) { c["sub"] = "inum-1234" })
	answersFile := write(t, "answers.yaml", janssenAnswers(s.Issuer(), ca))
	slashFile := write(t, "slash.yaml", janssenAnswers(s.Issuer()+"/", ca))
	flags := []string{"--issuer", s.Issuer(), "--audience", "jitsi", "--domain", "meet.example.com", "--ca-bundle", ca}
	noCAFile := write(t, "noca.yaml", strings.Replace(janssenAnswers(s.Issuer(), ca), "  ca_bundle: "+fmt.Sprintf("%q", ca)+"\n", "", 1))
	mintAlg := func(alg string) string {
		tok, err := s.Mint(jitsiClaims(s.Issuer()), jans.MintOptions{Alg: alg})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	cases := []struct {
		name  string
		args  []string
		stdin string
		token string // must appear nowhere in the output
		code  int
		want  []string
	}{
		{"good, flags", append(flags, good), "", good, 0,
			[]string{"pass  discovery", "pass  kid present", "pass  signature: RS256, verified", "pass  sub: \"meet.example.com\"", "Jitsi would accept this token."}},
		{"good, answers", []string{"token", "check", "--answers", answersFile, good}, "", good, 0,
			[]string{"pass  iss", "pass  aud: \"jitsi\""}},
		{"good, stdin", []string{"token", "check", "-a", answersFile, "-"}, good + "\n", good, 0,
			[]string{"Jitsi would accept"}},
		{"good, JWKS URL", append(flags, "--jwks-url", s.Issuer()+jans.JWKSPath, good), "", good, 0,
			[]string{"pass  kid known: in the JWKS at " + s.Issuer()}},
		{"expired", append(flags, expired), "", expired, 1,
			[]string{"FAIL  exp: expired 1h0m", ": fix: get a new token", "Jitsi would refuse this token: 1 of"}},
		{"wrong sub", []string{"token", "check", "-a", answersFile, wrongSub}, "", wrongSub, 1,
			[]string{`FAIL  sub: "inum-1234" is not the meeting domain "meet.example.com"`}},
		{"issuer with a trailing slash", []string{"token", "check", "-a", slashFile, good}, "", good, 1,
			[]string{"FAIL  discovery: ", "differ only in the trailing slash", "FAIL  iss: "}},
		{"not a JWT", append(flags, "not-a-token"), "", "not-a-token", 3, []string{"not a JWT"}},
		{"empty stdin", append(flags, "-"), "", "", 3, []string{"no token on standard input"}},
		{"no issuer", []string{"token", "check", "--audience", "jitsi", good}, "", good, 3, []string{"give --issuer, --domain"}},
		{"--alg none", append(flags, "--alg", "none", mintAlg("none")), "", "", 3, []string{"--alg", "verifies only RS256, RS384, RS512"}},
		{"--alg HS256", append(flags, "--alg", "HS256", mintAlg("HS256")), "", "", 3, []string{"--alg"}},
		{"--alg PS256", append(flags, "--alg", "PS256", mintAlg("PS256")), "", "", 3, []string{"--alg"}},
		{"unsigned", append(flags, mintAlg("none")), "", "", 1, []string{"FAIL  alg: alg is the string \"none\": the token is unsigned", "skip  signature"}},
		{"HMAC with the public key", append(flags, mintAlg("HS256")), "", "", 1, []string{"FAIL  alg: alg is HS256, an HMAC"}},
		{"RS384 as configured", append(flags, "--alg", "RS384", mintAlg("RS384")), "", "", 0, []string{"pass  signature: RS384, verified"}},
		{"discovery 404", append(flags, "--discovery-url", s.Issuer()+"/nope/.well-known/openid-configuration", good), "", good, 1,
			[]string{"FAIL  discovery: ", "404", "set --discovery-url", "Jitsi would refuse"}},
		{"discovery 404, answers", []string{"token", "check", "-a", answersFile, "--discovery-url", s.Issuer() + "/nope", good}, "", good, 1,
			[]string{"FAIL  discovery: ", "set janssen.discovery_url in " + answersFile}},
		{"untrusted certificate", []string{"token", "check", "--issuer", s.Issuer(), "--audience", "jitsi", "--domain", "meet.example.com", good}, "", good, 1,
			[]string{"FAIL  discovery: ", "set --ca-bundle to the PEM file"}},
		{"untrusted certificate, answers", []string{"token", "check", "-a", noCAFile, good}, "", good, 1,
			[]string{"FAIL  discovery: ", "set janssen.ca_bundle in " + noCAFile}},
		{"root discovery", append(flags, "--discovery-url", s.Issuer()+jans.RootDiscoverPath, good), "", good, 0,
			[]string{"pass  discovery"}},
		{"two key sources", append(flags, "--jwks-url", "https://127.0.0.1:9/j", "--key-server", "http://127.0.0.1:9/k", good), "", good, 3,
			[]string{"exclude each other"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if args[0] != "token" {
				args = append([]string{"token", "check"}, args...)
			}
			code, out, errOut := cliIn(t, tc.stdin, args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s%s", code, tc.code, out, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errOut, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
				}
			}
			notLeaked(t, tc.token, out+errOut)
		})
	}
}

// notLeaked fails when the token, or its signature, is in the output.
func notLeaked(t *testing.T, token, output string) {
	t.Helper()
	if token == "" {
		return
	}
	parts := strings.Split(token, ".")
	if strings.Contains(output, token) || len(parts) == 3 && strings.Contains(output, parts[2]) {
		t.Errorf("the token appears in the output:\n%s", output)
	}
}

func TestTokenCheckJSONAndVerbose(t *testing.T) {
	s, ca := standin(t)
	claims := jitsiClaims(s.Issuer())
	delete(claims, "room")
	tok, err := s.Mint(claims, jans.MintOptions{})
	if err != nil {
		t.Fatal(err)
	}
	answersFile := write(t, "answers.yaml", janssenAnswers(s.Issuer(), ca))

	code, out, errOut := cli(t, "token", "check", "-a", answersFile, "-o", "json", tok)
	var rep struct {
		Accepted bool
		Checks   []struct{ Name, Status, Detail, Fix string }
		Claims   map[string]any
	}
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("exit %d, want 1 and one JSON object:\n%s%s", code, out, errOut)
	}
	failed := 0
	for _, c := range rep.Checks {
		if c.Status == "fail" {
			failed++
			if c.Name != "room" || c.Fix == "" {
				t.Errorf("failed: %+v", c)
			}
		}
	}
	if rep.Accepted || failed != 1 || rep.Claims != nil {
		t.Errorf("accepted %v, %d failed, claims %v", rep.Accepted, failed, rep.Claims)
	}
	notLeaked(t, tok, out+errOut)

	code, out, errOut = cli(t, "token", "check", "-a", answersFile, "--verbose", tok)
	if code != 1 || !strings.Contains(out, `"email": "ada@example.com"`) || !strings.Contains(out, `"kid": "`) {
		t.Errorf("--verbose: exit %d, no decoded header and claims:\n%s%s", code, out, errOut)
	}
	notLeaked(t, tok, out+errOut)
}
