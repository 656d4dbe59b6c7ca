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
	return writeAtomic(path, append(data, '\n'), 0o600)
}
