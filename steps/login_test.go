package steps

import (
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

func TestForgeSignatureKeepsHeaderAndClaims(t *testing.T) {
	const tok = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz"
	f, err := forgeSignature(tok)
	if err != nil {
		t.Fatal(err)
	}
	if f == tok || !strings.HasPrefix(f, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.") {
		t.Errorf("forged %q from %q", f, tok)
	}
	for _, bad := range []string{"", "a.b", "a.b.c.d", "a.b.!!"} {
		if _, err := forgeSignature(bad); err == nil {
			t.Errorf("forged a signature of %q", bad)
		}
	}
}

func TestLoginCheckSkippedWithoutTestClient(t *testing.T) {
	s := &prosody{env: &env{cfg: testConfig(t)}}
	s.cfg.Janssen.TestClient.ClientID, s.cfg.Janssen.TestClient.ClientSecret = "", ""
	h := testHost(nil)
	c := s.loginCheck(h, &handedOut{})
	if c.Skip == "" || !strings.Contains(c.Skip, "janssen.test_client") {
		t.Errorf("login check without a test client: skip %q", c.Skip)
	}
	// The TURN checks use the login's credentials: skipped with it.
	s.cfg.Jitsi.Turn = true
	cs := s.turnChecks(h, &handedOut{})
	if len(cs) != 2 {
		t.Fatalf("%d TURN checks without a test client, want 2 skipped", len(cs))
	}
	for _, c := range cs {
		if !strings.Contains(c.Skip, "janssen.test_client") || c.Local != nil {
			t.Errorf("%s: skip %q", c.Name, c.Skip)
		}
	}
}

func TestLuaLinksForProsodysLua(t *testing.T) {
	const bookworm = "#!/usr/bin/env lua5.4\n/usr/share/lua/5.1/basexx.lua\n/usr/share/lua/5.2/basexx.lua\n" +
		"/usr/share/lua/5.1/inspect.lua\n/usr/share/lua/5.2/inspect.lua\n/usr/share/lua/5.3/inspect.lua"
	for _, tc := range []struct {
		name, fact string
		want       []string
	}{
		{"not installed", "", nil},
		{"Debian 12", bookworm, []string{
			"dir /usr/local/share/lua/5.4",
			"symlink /usr/local/share/lua/5.4/basexx.lua -> /usr/share/lua/5.2/basexx.lua",
			"symlink /usr/local/share/lua/5.4/inspect.lua -> /usr/share/lua/5.3/inspect.lua"}},
		{"packages fit", "#!/usr/bin/lua5.4\n/usr/share/lua/5.4/basexx.lua\n/usr/share/lua/5.4/inspect.lua", nil},
		{"one fits", "#!/usr/bin/lua5.4\n/usr/share/lua/5.4/basexx.lua\n/usr/share/lua/5.3/inspect.lua", []string{
			"dir /usr/local/share/lua/5.4",
			"symlink /usr/local/share/lua/5.4/inspect.lua -> /usr/share/lua/5.3/inspect.lua"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range luaLinks(testHost(map[string]string{factLua: tc.fact})) {
				k := r.Key()
				if l, ok := r.(*resource.Symlink); ok {
					k += " -> " + l.Target
				}
				got = append(got, k)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
