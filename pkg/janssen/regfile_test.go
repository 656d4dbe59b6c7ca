package janssen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/wanterr"
)

func TestRegistrationFile(t *testing.T) {
	dir := t.TempDir()
	path := RegistrationFile(filepath.Join(dir, "answers.yaml"))
	if path != filepath.Join(dir, "answers.janssen-client.json") {
		t.Fatalf("RegistrationFile = %s", path)
	}
	if r, err := LoadRegistration(path); r != nil || err != nil {
		t.Fatalf("missing file: %v, %v", r, err)
	}
	want := Registration{Issuer: "https://login.example.com", ClientID: "c1",
		RegistrationClientURI: "https://login.example.com/r?client_id=c1", RegistrationAccessToken: "t"}
	if err := SaveRegistration(path, want); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", st.Mode(), err)
	}
	got, err := LoadRegistration(path)
	if err != nil || *got != want {
		t.Fatalf("LoadRegistration = %+v, %v", got, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRegistration(path); wanterr.Mismatch(err, "chmod 600") != "" {
		t.Errorf("a world-readable file: %v", err)
	}
}
