package resource

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// debconfValue reads an answer from debconf's database files as
// debconf-communicate's GET gives it, without debconf's lock.
func TestDebconfValueReadsTheDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "passwords.dat")
	const data = "Name: jicofo/jicofo-authpassword\nTemplate: jicofo/jicofo-authpassword\nValue: s3cret value\nOwners: jicofo\nFlags: seen\n\n" +
		"Name: jitsi-meet-tokens/appsecret\nTemplate: jitsi-meet-tokens/appsecret\nValue: \nOwners: jitsi-meet-tokens\n\n"
	if err := os.WriteFile(db, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"jicofo/jicofo-authpassword":  "0 s3cret value",
		"jitsi-meet-tokens/appsecret": "0 ",
		"jicofo/jicofo-authuser":      "0 ",
	} {
		out, err := exec.Command("awk", "-v", "q="+q, debconfValue, db).CombinedOutput()
		if err != nil || string(out) != want {
			t.Errorf("%s: %q, %v; want %q", q, out, err, want)
		}
	}
}

// DebconfForget finds the secret in debconf's files and their backups by
// its hash, and nothing else: another value of the question is not ours.
func TestDebconfForgetProbe(t *testing.T) {
	entry := func(v string) string {
		return "Name: jitsi-videobridge/jvbsecret\nTemplate: jitsi-videobridge/jvbsecret\nValue: " + v + "\nOwners: jitsi-videobridge2\nFlags: seen\n\n"
	}
	f := &DebconfForget{Question: "jitsi-videobridge/jvbsecret", Value: "ours"}
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"in passwords.dat", map[string]string{"passwords.dat": entry("ours")}, "stored"},
		{"only in the backup", map[string]string{"passwords.dat": entry(""), "passwords.dat-old": entry("ours")}, "stored"},
		{"cleared", map[string]string{"passwords.dat": entry(""), "passwords.dat-old": entry("")}, "clear"},
		{"a package's own", map[string]string{"passwords.dat": entry("random-of-its-own")}, "clear"},
		{"no database", nil, "clear"},
	} {
		dir := t.TempDir()
		for name, content := range tc.files {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		out, err := exec.Command("sh", "-c", strings.ReplaceAll(f.Probe(), "/var/cache/debconf", dir)).Output()
		if err != nil || strings.TrimSpace(string(out)) != tc.want {
			t.Errorf("%s: %q, %v; want %s", tc.name, out, err, tc.want)
		}
		c, err := f.Diff(installer.Probed{Out: string(out)})
		if err != nil || (c != nil) != (tc.want == "stored") {
			t.Errorf("%s: change %+v, %v", tc.name, c, err)
		}
		if c != nil && strings.Contains(c.Summary()+c.Details[0].Text+c.Details[0].To, "ours") {
			t.Errorf("%s: the change shows the secret: %+v", tc.name, c.Details)
		}
	}
	if strings.Contains(f.Probe(), "ours") {
		t.Error("the probe carries the secret")
	}
}
