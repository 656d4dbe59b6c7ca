package janssen

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Registration is what the installer keeps of a client it registered, so a
// later --register updates that client instead of making another (RFC
// 7592). It holds a secret, the registration access token: the file is
// mode 0600.
type Registration struct {
	Issuer                  string `json:"issuer"`
	ClientID                string `json:"client_id"`
	RegistrationClientURI   string `json:"registration_client_uri"`
	RegistrationAccessToken string `json:"registration_access_token"`
}

// RegistrationFile is where the registration of the client of the answers
// file at answersPath is kept: beside it, answers.yaml ->
// answers.janssen-client.json.
func RegistrationFile(answersPath string) string {
	dir, base := filepath.Split(answersPath)
	if ext := filepath.Ext(base); ext != "" && ext != base {
		base = strings.TrimSuffix(base, ext)
	}
	return filepath.Join(dir, base+".janssen-client.json")
}

// LoadRegistration reads the registration file at path; a missing file
// gives (nil, nil).
func LoadRegistration(path string) (*Registration, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("client registration: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("client registration %s: mode %04o lets others read the registration access token; chmod 600 it", path, st.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client registration: %w", err)
	}
	var r Registration
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("client registration %s is not JSON: %v", path, err)
	}
	if r.ClientID == "" || r.RegistrationClientURI == "" || r.RegistrationAccessToken == "" {
		return nil, fmt.Errorf("client registration %s lacks client_id, registration_client_uri or registration_access_token", path)
	}
	return &r, nil
}

// SaveRegistration writes r to path, mode 0600, atomically.
func SaveRegistration(path string, r Registration) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("client registration: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	// CreateTemp makes the file 0600.
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
