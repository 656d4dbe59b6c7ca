package transport

import (
	"os"
	"path/filepath"
	"testing"
)

// Backups are root's alone, whatever the replaced file's mode, and a backup
// cut short (a full disk) does not stay behind.
func TestWriteFileBackups(t *testing.T) {
	needRoot(t, "writes files owned by root")
	tests := []struct {
		name    string
		cp      string // a cp to put first on PATH; empty: the real one
		wantErr bool
	}{
		{"backup 0600", "", false},
		{"disk full during the backup", "#!/bin/sh\nhead -c 3 \"$3\" > \"$4\"; echo 'cp: No space left on device' >&2; exit 1\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.cp != "" {
				bin := filepath.Join(dir, "bin")
				os.Mkdir(bin, 0o755)
				os.WriteFile(filepath.Join(bin, "cp"), []byte(tc.cp), 0o755)
				t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
			}
			p := filepath.Join(dir, "app.conf")
			os.WriteFile(p, []byte("password = old\n"), 0o644)
			bdir := filepath.Join(dir, "backups", "run1")
			err := NewLocal().WriteFile(t.Context(), File{Path: p, Data: []byte("password = new\n"), Mode: 0o644, BackupDir: bdir})
			if (err != nil) != tc.wantErr {
				t.Fatalf("WriteFile: %v", err)
			}
			entries, _ := filepath.Glob(filepath.Join(bdir+dir, "*"))
			if tc.wantErr {
				if len(entries) != 0 {
					t.Errorf("left behind: %v", entries)
				}
				if b, _ := os.ReadFile(p); string(b) != "password = old\n" {
					t.Errorf("file replaced although its backup failed: %q", b)
				}
				return
			}
			st, err := os.Stat(bdir + p)
			if err != nil || st.Mode().Perm() != 0o600 {
				t.Fatalf("backup: %v %v", st, err)
			}
			if b, _ := os.ReadFile(bdir + p); string(b) != "password = old\n" {
				t.Errorf("backup holds %q", b)
			}
			if st, _ := os.Stat(bdir); st.Mode().Perm() != 0o700 {
				t.Errorf("backup dir mode %o", st.Mode().Perm())
			}
		})
	}
}
