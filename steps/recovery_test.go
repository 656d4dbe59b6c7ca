package steps

import (
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
)

// A dpkg run left half done is finished first, with a warning; a clean
// host declares nothing for it.
func TestRecoveryFinishesDpkg(t *testing.T) {
	for _, tc := range []struct {
		audit string
		want  bool
	}{
		{"", false},
		{"The following packages are only half configured...\n rake\n", true},
	} {
		h := installertest.NewHost("h", 22, map[string]string{factDpkgAudit: tc.audit})
		rs := mustDeclare(t, &recovery{&env{cfg: testConfig(t)}}, h)
		got := false
		for _, r := range rs {
			got = got || strings.HasPrefix(r.Key(), "command finish the interrupted dpkg run")
		}
		if got != tc.want || got != (len(h.Warnings()) == 1) {
			t.Errorf("audit %q: dpkg command %v, warnings %v", tc.audit, got, h.Warnings())
		}
	}
}
