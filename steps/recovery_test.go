package steps

import (
	"slices"
	"strings"
	"testing"
)

// A dpkg run left half done is finished first, with a warning; a clean
// host declares nothing for it.
func TestRecoveryFinishesDpkg(t *testing.T) {
	for _, tc := range []struct {
		name, audit string
		want        bool
	}{
		{"clean", "", false},
		{"half configured", "The following packages are only half configured...\n rake\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := testHost(map[string]string{factDpkgAudit: tc.audit})
			rs := mustDeclare(t, &recovery{&env{cfg: testConfig(t)}}, h)
			got := false
			for _, r := range rs {
				got = got || strings.HasPrefix(r.Key(), "command finish the interrupted dpkg run")
			}
			if got != tc.want || got != (len(h.Warnings()) == 1) {
				t.Errorf("dpkg command %v, want %v; warnings %v", got, tc.want, h.Warnings())
			}
		})
	}
}

// The packages unpacked again are those dpkg left half installed and those
// it marks reinst-required (dpkg killed while it unpacked them), as
// dpkg-query reports them; the others are left alone.
func TestRecoveryUnpacksAgain(t *testing.T) {
	fake := "printf '%s\\n' 'ii  libc6:amd64' 'iUR libuv1:amd64' 'iHR rake' 'iH  ruby3.1' 'iU  jicofo' 'iF  prosody' 'rc  old-pkg'\n"
	out, code := runWithFake(t, halfInstalled, "dpkg-query", fake)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got, want := strings.Fields(string(out)), []string{"libuv1:amd64", "rake", "ruby3.1"}; !slices.Equal(got, want) {
		t.Errorf("unpacked again: %v, want %v", got, want)
	}
}
