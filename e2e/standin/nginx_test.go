package standin

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// TestNginxSiteIsValidAndRedactsTokens renders jitsi-meet-web-config's site
// as its postinst does and checks it with the host's nginx; the access log
// format must not carry token or jwt query values.
func TestNginxSiteIsValidAndRedactsTokens(t *testing.T) {
	r := testRepo(t)
	testenv.Tools(t, "apt-get install nginx-light", "nginx")
	if os.Geteuid() != 0 {
		testenv.Skip(t, "nginx -t binds the site's ports (80, 443): run as root")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	run(t, "dpkg-deb", "--extract", deb(t, r, "jitsi-meet-web-config"), root)
	certificate(t, dir, "meet.test")
	b, err := os.ReadFile(filepath.Join(root, "usr/share/jitsi-meet-web-config/jitsi-meet.example"))
	must(t, err)
	site := strings.NewReplacer("__HOST__", "meet.test",
		"__CERT_CRT__", filepath.Join(dir, "meet.test.crt"), "__CERT_KEY__", filepath.Join(dir, "meet.test.key"),
		"/var/log/nginx/access.log", filepath.Join(dir, "access.log")).Replace(string(b))
	if strings.Contains(site, "__") {
		t.Fatalf("unrendered placeholder in the site")
	}
	for _, want := range []string{"access_log " + filepath.Join(dir, "access.log") + " jitsi_log;", "(?:jwt|token)=", "$loggable_uri"} {
		if !strings.Contains(site, want) {
			t.Errorf("the site lacks %q", want)
		}
	}
	must(t, os.WriteFile(filepath.Join(dir, "site.conf"), []byte(site), 0o644))
	main := "pid " + filepath.Join(dir, "nginx.pid") + ";\nerror_log " + filepath.Join(dir, "error.log") +
		";\nevents {}\nhttp {\n    access_log off;\n    include " + filepath.Join(dir, "site.conf") + ";\n}\n"
	must(t, os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644))
	run(t, "nginx", "-t", "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
}
