package answers

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/wanterr"
)

// A ${cmd:...} splits into words as a shell would split them, and nothing
// more; an open quote or no word at all is refused.
func TestSplitCommand(t *testing.T) {
	for line, want := range map[string][]string{
		"pass show jitsi/app":                            {"pass", "show", "jitsi/app"},
		"  vault  kv get\t-field=password secret/jitsi ": {"vault", "kv", "get", "-field=password", "secret/jitsi"},
		`sops -d --extract '["app_secret"]' s.yaml`:      {"sops", "-d", "--extract", `["app_secret"]`, "s.yaml"},
		`printf "%s and \"%s\"" a\ b ''`:                 {"printf", `%s and "%s"`, "a b", ""},
		`echo $HOME ~ * a|b >x`:                          {"echo", "$HOME", "~", "*", "a|b", ">x"}, // nothing a shell would do
	} {
		if got, err := splitCommand(line); err != nil || !slices.Equal(got, want) {
			t.Errorf("%q: %q (%v), want %q", line, got, err, want)
		}
	}
	for line, want := range map[string]string{
		`echo 'open`: "' is not closed",
		`echo "open`: `" is not closed`,
		"   ":        "no command",
	} {
		_, err := splitCommand(line)
		if m := wanterr.Mismatch(err, want); m != "" {
			t.Errorf("%q: %s", line, m)
		}
	}
}

// ${cmd:...} runs its command in the file's directory with its words as
// arguments, once however often the file uses it; the output, one newline
// dropped, is the value, a secret wherever it is used; Marshal writes the
// reference back.
func TestCommandReference(t *testing.T) {
	var ran [][]string
	var dirs []string
	opts := options(t.TempDir(), nil)
	opts.RunCommand = func(dir string, args []string) ([]byte, error) {
		ran, dirs = append(ran, args), append(dirs, dir)
		return []byte(secretMark + "-" + args[len(args)-1] + "\n"), nil
	}
	file := withHost("    sudo_password: ${cmd:pass show jitsi/sudo}\n  - address: 203.0.113.11\n    role: videobridge\n    sudo_password: ${cmd:pass show jitsi/sudo}\n") + `jitsi:
  app_secret: ${cmd:sops --decrypt --extract '["app_secret"]' secrets.enc.yaml}
  deployment:
    region: r-${cmd:region-of meet}
`
	c, err := Parse("a.yaml", []byte(file), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"pass", "show", "jitsi/sudo"}, {"sops", "--decrypt", "--extract", `["app_secret"]`, "secrets.enc.yaml"}, {"region-of", "meet"}}
	if fmt.Sprint(ran) != fmt.Sprint(want) {
		t.Errorf("commands run: %q, want %q", ran, want)
	}
	for _, d := range dirs {
		if d != opts.Dir {
			t.Errorf("a command ran in %s, not the answers file's directory %s", d, opts.Dir)
		}
	}
	if c.Hosts[0].SudoPassword != secretMark+"-jitsi/sudo" || c.Hosts[1].SudoPassword != c.Hosts[0].SudoPassword || c.Jitsi.AppSecret != secretMark+"-secrets.enc.yaml" {
		t.Errorf("values: %q, %q", c.Hosts[0].SudoPassword, c.Jitsi.AppSecret)
	}
	// Not a secret field, but a command's output: masked all the same.
	if !slices.Contains(c.Secrets(), secretMark+"-meet") {
		t.Errorf("Secrets() %q lacks the output used in jitsi.deployment.region", c.Secrets())
	}
	out, err := Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), secretMark) || !strings.Contains(string(out), "${cmd:pass show jitsi/sudo}") {
		t.Errorf("Marshal does not write the reference back:\n%s", out)
	}
}

// A command's output never shows in a problem: not the value a field
// refuses, not the output of a command that failed (the real runner here,
// through sh, which the runner itself never uses).
func TestCommandOutputNotInProblems(t *testing.T) {
	dir := t.TempDir()
	script := dir + "/get"
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \""+secretMark+"-out\"\necho \"$1: no such entry: "+secretMark+"-out\" >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, yaml, want string }{
		{"failed", "    sudo_password: ${cmd:./get jitsi/sudo}\n", "${cmd:./get}: exit status 3: jitsi/sudo: no such entry: <redacted>"},
		{"refused in a secret", "    sudo_password: ${cmd:printf '%s\\n' " + secretMark + "-line1 two}\n", ""},
		{"refused in a port", "    port: ${cmd:printf " + secretMark + "-not-a-port}\n", `expected an integer, got "<redacted>"`},
		{"refused in a name", "    user: ${cmd:printf " + secretMark + "-bad;user}\n", "hosts[0].user:"},
		{"nothing printed", "    user: ${cmd:true}\n", "${cmd:true} printed nothing"},
		{"not found", "    user: ${cmd:no-such-program-fl}\n", `${cmd:no-such-program-fl}: exec: "no-such-program-fl": executable file not found`},
		{"no command", "    user: \"${cmd: }\"\n", "${cmd:...}: no command"},
	} {
		o := options(dir, nil)
		_, err := Parse("a.yaml", []byte(withHost(tc.yaml)), o)
		var ps *Problems
		if !errors.As(err, &ps) {
			if tc.want != "" {
				t.Errorf("%s: no problem, want %q", tc.name, tc.want)
			}
			continue
		}
		if strings.Contains(err.Error(), secretMark) {
			t.Errorf("%s: a problem shows the command's output:\n%v", tc.name, err)
		}
		if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant %q", tc.name, err, tc.want)
		}
	}
}

// The examples of docs/answers.md run the commands they say.
func TestCommandDocExamples(t *testing.T) {
	var ran []string
	opts := options(t.TempDir(), nil)
	opts.RunCommand = func(_ string, args []string) ([]byte, error) {
		ran = append(ran, fmt.Sprintf("%q", args))
		return []byte("secret-value\n"), nil
	}
	_, block, _ := strings.Cut(commandDoc, "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	_, err := Parse("doc.yaml", []byte(block), opts)
	var ps *Problems
	if errors.As(err, &ps) {
		for _, p := range ps.List {
			if strings.Contains(p.Path, "secret") || strings.Contains(p.Path, "password") {
				t.Errorf("the doc example: %s", p)
			}
		}
	}
	want := []string{`["pass" "show" "jitsi/sudo"]`, `["vault" "kv" "get" "-field=client_secret" "secret/jitsi/janssen"]`,
		`["sops" "--decrypt" "--extract" "[\"app_secret\"]" "secrets.enc.yaml"]`}
	if !slices.Equal(ran, want) {
		t.Errorf("the doc's commands ran as\n%s\nwant\n%s", strings.Join(ran, "\n"), strings.Join(want, "\n"))
	}
}
