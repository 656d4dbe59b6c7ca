package installer

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
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
