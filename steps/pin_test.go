package steps

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

const aptCacheTwoReleases = `Package: jitsi-meet
Version: 2.0.10184-1
Pre-Depends: jitsi-videobridge2 (= 2.3-210-gabc-1)
Depends: jicofo (= 1.0-1110-1), jitsi-meet-web (= 1.0.8600-1), jitsi-meet-web-config (= 1.0.8600-1), jitsi-meet-prosody (= 1.0.8600-1)
Recommends: jitsi-meet-turnserver (= 1.0.8600-1) | apache2
Description: metapackage
 continued

Package: jitsi-meet
Version: 2.0.10078-1
Pre-Depends: jitsi-videobridge2 (= 2.3-200-g1c5e9d1f-1)
Depends: jicofo (= 1.0-1100-1), jitsi-meet-web (= 1.0.8542-1), jitsi-meet-web-config (= 1.0.8542-1), jitsi-meet-prosody (= 1.0.8542-1)

Package: jitsi-meet-tokens
Version: 1.0.8600-1

Package: jitsi-meet-tokens
Version: 1.0.8542-1

Package: jitsi-meet-turnserver
Version: 1.0.8542-1

Package: jitsi-meet-turnserver
Version: 1.0.8600-1
`

func TestResolvePins(t *testing.T) {
	pkgs := []string{"jitsi-meet", "jitsi-videobridge2", "jicofo", "jitsi-meet-web", "jitsi-meet-web-config", "jitsi-meet-prosody", "jitsi-meet-tokens", "jitsi-meet-turnserver"}
	old := map[string]string{"jitsi-meet": "2.0.10078-1", "jitsi-videobridge2": "2.3-200-g1c5e9d1f-1", "jicofo": "1.0-1100-1",
		"jitsi-meet-web": "1.0.8542-1", "jitsi-meet-web-config": "1.0.8542-1", "jitsi-meet-prosody": "1.0.8542-1",
		"jitsi-meet-tokens": "1.0.8542-1", "jitsi-meet-turnserver": "1.0.8542-1"}
	tests := []struct {
		name      string
		want      string
		cache     string
		installed map[string]string
		jicofo    string // expected
		meta      string
		err       string
	}{
		{"upstream version", "2.0.10078", aptCacheTwoReleases, nil, "1.0-1100-1", "2.0.10078-1", ""},
		{"debian version", "2.0.10184-1", aptCacheTwoReleases, old, "1.0-1110-1", "2.0.10184-1", ""},
		{"latest, fresh host: the newest", "latest", aptCacheTwoReleases, nil, "1.0-1110-1", "2.0.10184-1", ""},
		{"latest holds what is installed", "latest", aptCacheTwoReleases, old, "1.0-1100-1", "2.0.10078-1", ""},
		{"unknown release", "2.0.9999", aptCacheTwoReleases, nil, "", "", "it has 2.0.10184-1, 2.0.10078-1"},
		{"no repository yet", "2.0.10078", "", nil, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolvePins(tt.want, pkgs, parseStanzas(tt.cache), tt.installed, nil)
			if tt.err != "" {
				var ve *VersionError
				if !errors.As(err, &ve) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want a VersionError with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.meta == "" {
				if got != nil {
					t.Fatalf("got %v, want nothing known", got)
				}
				return
			}
			if got["jitsi-meet"] != tt.meta || got["jicofo"] != tt.jicofo {
				t.Errorf("got %v", got)
			}
			// Tokens and the TURN server follow jitsi-meet-prosody.
			if got["jitsi-meet-tokens"] != got["jitsi-meet-prosody"] || got["jitsi-meet-turnserver"] != got["jitsi-meet-prosody"] {
				t.Errorf("siblings differ: %v", got)
			}
		})
	}
}

// The stand-in's metapackage names its dependencies without versions.
const aptCacheUnversioned = `Package: jitsi-meet
Version: 2.0.10184-1
Pre-Depends: jitsi-videobridge2
Depends: jicofo, jitsi-meet-web, jitsi-meet-web-config, jitsi-meet-prosody

Package: jitsi-meet
Version: 2.0.10078-1
Pre-Depends: jitsi-videobridge2
Depends: jicofo, jitsi-meet-web, jitsi-meet-web-config, jitsi-meet-prosody

Package: jicofo
Version: 1.0-1100-1

Package: jicofo
Version: 1.0-1112-1

Package: jitsi-meet-prosody
Version: 1.0.8648-1

Package: jitsi-meet-prosody
Version: 1.0.8542-1

Package: jitsi-meet-tokens
Version: 1.0.8542-1

Package: jitsi-meet-tokens
Version: 1.0.8648-1
`

func TestResolvePinsUnversionedDepends(t *testing.T) {
	pkgs := []string{"jitsi-meet", "jicofo", "jitsi-meet-prosody", "jitsi-meet-tokens"}
	tests := []struct{ want, jicofo, prosody string }{
		{"2.0.10078", "1.0-1100-1", "1.0.8542-1"},
		{"2.0.10184", "1.0-1112-1", "1.0.8648-1"},
	}
	for _, tt := range tests {
		got, err := ResolvePins(tt.want, pkgs, parseStanzas(aptCacheUnversioned), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got["jicofo"] != tt.jicofo || got["jitsi-meet-prosody"] != tt.prosody || got["jitsi-meet-tokens"] != tt.prosody {
			t.Errorf("%s: %v", tt.want, got)
		}
	}
}

func TestPinFileRoundTrip(t *testing.T) {
	v := map[string]string{"jitsi-meet": "2.0.10078-1", "jicofo": "1.0-1100-1"}
	got := ParsePins(string(pinFile("2.0.10078", v, []string{"jitsi-meet", "jicofo", "jitsi-meet-web"})))
	if !reflect.DeepEqual(got, v) {
		t.Errorf("ParsePins(pinFile) = %v, want %v", got, v)
	}
}

// TestPackagesInstallWhatIsPinned: the packages step installs the versions
// the pin step writes, both read from the same facts; a jitsi.version the
// repository lacks fails both.
func TestPackagesInstallWhatIsPinned(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    []string // Package=Version, in package order
		err     bool
	}{
		{"2.0.10078", []string{"jitsi-meet=2.0.10078-1", "jitsi-videobridge2=2.3-200-g1c5e9d1f-1", "jicofo=1.0-1100-1",
			"jitsi-meet-web=1.0.8542-1", "jitsi-meet-web-config=1.0.8542-1", "jitsi-meet-prosody=1.0.8542-1", "jitsi-meet-tokens=1.0.8542-1", "jitsi-meet-turnserver=1.0.8542-1"}, false},
		{"2.0.9999", nil, true},
	} {
		t.Run(tc.version, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.Jitsi.Version = tc.version
			e := &env{cfg: cfg}
			h := testHost(map[string]string{factAptCache: aptCacheTwoReleases})
			pinRs, pinErr := (&pin{e}).Declare(h)
			rs, err := (&jitsiPackages{e}).Declare(h)
			if tc.err {
				if pinErr == nil || err == nil {
					t.Fatalf("pin: %v, packages: %v; want both to fail", pinErr, err)
				}
				return
			}
			if pinErr != nil || err != nil {
				t.Fatalf("pin: %v, packages: %v", pinErr, err)
			}
			var got []string
			for _, p := range rs[0].(*resource.PackageVersions).Packages {
				got = append(got, p.Name+"="+p.Version)
				if !strings.Contains(string(pinRs[0].(*resource.File).Content), "Package: "+p.Name+"\nPin: version "+p.Version+"\n") {
					t.Errorf("%s=%s is not what %s holds", p.Name, p.Version, PinFile)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("packages = %v, want %v", got, tc.want)
			}
		})
	}
}
