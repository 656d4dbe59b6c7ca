package steps

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadCABundlesNamesTheFieldItCannotRead(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("PEM"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c := readCABundles(ca, ""); c.err != nil || c.janssen != "PEM" || c.acme != "" {
		t.Errorf("readable bundle: %+v", c)
	}
	c := readCABundles(ca, filepath.Join(dir, "gone.pem"))
	if c.err == nil || !strings.Contains(c.err.Error(), "letsencrypt.ca_bundle") {
		t.Errorf("missing bundle: %v", c.err)
	}
}
