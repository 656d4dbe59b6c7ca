package standin

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debconfCheck runs standin_check_answers for pkg under the real debconf
// frontend, with a private debconf database holding the given selections and
// pkg's templates from its .deb, as dpkg would run its postinst.
func debconfCheck(t *testing.T, r *Repo, pkg, selections string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	conf := "Config: configdb\nTemplates: templatedb\n\n" +
		"Name: configdb\nDriver: File\nFilename: " + filepath.Join(dir, "config.dat") + "\n\n" +
		"Name: templatedb\nDriver: File\nMode: 644\nFilename: " + filepath.Join(dir, "templates.dat") + "\n"
	must(t, os.WriteFile(filepath.Join(dir, "debconf.conf"), []byte(conf), 0o644))
	env := append(os.Environ(), "DEBCONF_SYSTEMRC="+filepath.Join(dir, "debconf.conf"),
		"DEBIAN_FRONTEND=noninteractive", "DPKG_MAINTSCRIPT_PACKAGE="+pkg)

	ctl := filepath.Join(dir, "control")
	run(t, "dpkg-deb", "--control", deb(t, r, pkg), ctl)
	tmpl, err := os.ReadFile(filepath.Join(ctl, "templates"))
	if err != nil {
		t.Fatal(err)
	}
	// The frontend loads PKG.templates from next to PKG.postinst.
	must(t, os.WriteFile(filepath.Join(dir, pkg+".templates"), tmpl, 0o644))
	lib, err := sources.ReadFile("pkgs/common/lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/bash\nset -e\n. /usr/share/debconf/confmodule\n" + string(lib) +
		"\nstandin_check_answers " + pkg + "\n"
	postinst := filepath.Join(dir, pkg+".postinst")
	must(t, os.WriteFile(postinst, []byte(script), 0o755))

	if selections != "" {
		set := exec.Command("debconf-set-selections")
		set.Env = env
		set.Stdin = strings.NewReader(selections)
		if out, err := set.CombinedOutput(); err != nil {
			t.Fatalf("debconf-set-selections: %v\n%s", err, out)
		}
	}
	cmd := exec.Command(postinst, "configure")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestPostinstRefusesUnpreseededAnswers(t *testing.T) {
	r := testRepo(t)
	if _, err := os.Stat("/usr/share/debconf/frontend"); err != nil {
		t.Skip("debconf is not installed")
	}
	host := "jitsi-videobridge2 jitsi-videobridge/jvb-hostname string meet.example.com\n"
	selfSigned := "jitsi-meet-web-config jitsi-meet/cert-choice select " + CertSelfSigned + "\n"
	noJaaS := "jitsi-meet-web-config jitsi-meet/jaas-choice boolean false\n"
	tests := []struct {
		name, pkg, selections string
		wantErr               string // "" = the postinst may go on
	}{
		{"bridge without hostname", "jitsi-videobridge2", "",
			"jitsi-videobridge/jvb-hostname is not preseeded"},
		{"bridge with hostname", "jitsi-videobridge2", host, ""},
		{"jicofo without hostname", "jicofo", "", "jitsi-videobridge/jvb-hostname is not preseeded"},
		{"prosody with hostname", "jitsi-meet-prosody", host, ""},
		{"turnserver with hostname", "jitsi-meet-turnserver", host, ""},
		{"hostname preseeded empty", "jitsi-videobridge2",
			"jitsi-videobridge2 jitsi-videobridge/jvb-hostname string\n",
			"jitsi-videobridge/jvb-hostname is preseeded but empty"},
		{"web config without cert choice", "jitsi-meet-web-config", host + noJaaS,
			"jitsi-meet/cert-choice is not preseeded"},
		{"web config without jaas choice", "jitsi-meet-web-config", host + selfSigned,
			"jitsi-meet/jaas-choice is not preseeded"},
		{"web config with jaas", "jitsi-meet-web-config",
			host + selfSigned + "jitsi-meet-web-config jitsi-meet/jaas-choice boolean true\n",
			"jitsi-meet/jaas-choice is 'true'"},
		{"web config self-signed", "jitsi-meet-web-config", host + selfSigned + noJaaS, ""},
		{"let's encrypt without email", "jitsi-meet-web-config",
			host + noJaaS + "jitsi-meet-web-config jitsi-meet/cert-choice select " + CertLetsEncrypt + "\n",
			"jitsi-meet/email is not preseeded"},
		{"own certificate without paths", "jitsi-meet-web-config",
			host + noJaaS + "jitsi-meet-web-config jitsi-meet/cert-choice select " + CertOwn + "\n",
			"jitsi-meet/cert-path-key is not preseeded"},
		{"own certificate", "jitsi-meet-web-config",
			Answers{Hostname: "meet.example.com", CertChoice: CertOwn, CertKey: "/etc/ssl/m.key", CertCrt: "/etc/ssl/m.crt"}.Selections(), ""},
		{"let's encrypt", "jitsi-meet-web-config",
			Answers{Hostname: "meet.example.com", CertChoice: CertLetsEncrypt, Email: "ops@example.com"}.Selections(), ""},
		{"tokens without app id", "jitsi-meet-tokens", host, "jitsi-meet-tokens/appid is not preseeded"},
		{"tokens without app secret", "jitsi-meet-tokens",
			"jitsi-meet-tokens jitsi-meet-tokens/appid string jitsi\n",
			"jitsi-meet-tokens/appsecret is not preseeded"},
		{"tokens with an empty app secret", "jitsi-meet-tokens",
			Answers{Hostname: "meet.example.com", AppID: "jitsi"}.Selections(), ""},
		{"tokens with a quote in the secret", "jitsi-meet-tokens",
			Answers{Hostname: "meet.example.com", AppID: "jitsi", AppSecret: `ab"c`}.Selections(),
			"jitsi-meet-tokens/appsecret contains"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := debconfCheck(t, r, tt.pkg, tt.selections)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("check failed: %v\n%s", err, out)
				}
				return
			}
			if err == nil {
				t.Fatalf("check passed, want failure %q\n%s", tt.wantErr, out)
			}
			if !strings.Contains(out, tt.pkg+": "+tt.wantErr) {
				t.Errorf("output does not say %q:\n%s", tt.wantErr, out)
			}
		})
	}
}
