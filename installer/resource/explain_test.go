package resource

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// probed is what File.Probe prints for a regular file holding content.
func probedFile(mode, owner, group, content string, f *File) string {
	s := sha256.Sum256([]byte(content))
	sum := hex.EncodeToString(s[:])
	out := mode + " " + owner + " " + group + " " + sum + "\n"
	if sum != f.sum() {
		out += base64.StdEncoding.EncodeToString([]byte(content)) + "\n"
	}
	return out
}

const jvbSecret = "Qm9vdHN0cmFwUGFzc3dvcmQx"

var jvbConf = &File{Path: "/etc/jitsi/videobridge/jvb.conf", Mode: 0o640, Group: "jitsi", Secret: true,
	Content: []byte("videobridge {\n  xmpp {\n    USERNAME = \"jvb\"\n    PASSWORD = \"" + jvbSecret + "\"\n  }\n  port = 8080\n}\n")}

// TestDiffExplains: each kind of drift says what it found and what is
// declared, as Detail fields, without a host: Diff(Probed) only.
func TestDiffExplains(t *testing.T) {
	secrets := installer.NewRedactor(jvbSecret)
	edited := strings.Replace(strings.Replace(string(jvbConf.Content), jvbSecret, "handTyped-Passw0rd", 1), "8080", "8081", 1) + "# by hand\n"
	cert := &Command{Name: "deploy the certificate", Args: []string{"deploy"}, Unless: []string{"sh", "-c", "check"}}
	tuples := "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in comment=6162\n" +
		"### tuple ### allow tcp 22 ::/0 any ::/0 in\n" +
		"### tuple ### allow tcp 8888 0.0.0.0/0 any 0.0.0.0/0 in\n" +
		"### tuple ### allow udp 53 0.0.0.0/0 any 10.0.0.0/8 in\n"
	ssh := &UFWRule{Port: "22", Proto: "tcp"}
	for _, tc := range []struct {
		name    string
		r       installer.Resource
		out     string
		action  installer.Action
		details []installer.Detail // Field, Name, From, To compared; Text must not be empty unless want's is
		diff    []string           // lines the diff must have
		report  bool
	}{
		{name: "file content with a secret", r: jvbConf, out: probedFile("640", "root", "jitsi", edited, jvbConf),
			action: "update", details: []installer.Detail{{Field: installer.FieldContent}},
			diff: []string{`-    PASSWORD = "********"`, `+    PASSWORD = "********"`, "-  port = 8081", "+  port = 8080", "-# by hand"}},
		{name: "file owner", r: jvbConf, out: probedFile("640", "root", "root", string(jvbConf.Content), jvbConf),
			action: "update", details: []installer.Detail{{Field: installer.FieldOwner, From: "root:root", To: "root:jitsi", Text: "owner root:root -> root:jitsi"}}},
		{name: "file mode", r: jvbConf, out: probedFile("644", "root", "jitsi", string(jvbConf.Content), jvbConf),
			action: "update", details: []installer.Detail{{Field: installer.FieldMode, From: "0644", To: "0640", Text: "mode 0644 -> 0640"}}},
		{name: "file absent", r: jvbConf, out: "absent\n", action: "create",
			details: []installer.Detail{{Field: installer.FieldType, From: "absent", To: "file"}, {Field: installer.FieldOwner, To: "root:jitsi"}, {Field: installer.FieldMode, To: "0640"}, {Field: installer.FieldSize, To: "106"}},
			diff:    []string{"--- /dev/null", `+    PASSWORD = "********"`}},
		{name: "guard", r: cert, out: "needed 1\n/etc/prosody/certs/d.crt: owner root:root, want root:prosody\n", action: "run",
			details: []installer.Detail{{Field: installer.FieldGuard, Name: "unless a shell script", From: "/etc/prosody/certs/d.crt: owner root:root, want root:prosody", To: "exit 0",
				Text: "needed: /etc/prosody/certs/d.crt: owner root:root, want root:prosody"}}},
		{name: "guard printing a secret", r: cert, out: "needed 1\nwrong password " + jvbSecret + "\n", action: "run",
			details: []installer.Detail{{Field: installer.FieldGuard, Name: "unless a shell script", From: "wrong password ********", To: "exit 0"}}},
		{name: "creates", r: &Command{Name: "cert", Args: []string{"x"}, Creates: "/etc/ssl/x.crt"}, out: "needed\n", action: "run",
			details: []installer.Detail{{Field: installer.FieldGuard, Name: "creates /etc/ssl/x.crt", From: "absent", To: "present", Text: "/etc/ssl/x.crt does not exist"}}},
		{name: "service stopped", r: &Service{Name: "nginx"}, out: "ActiveState=inactive\nUnitFileState=enabled\n", action: "service",
			details: []installer.Detail{{Field: installer.FieldState, From: "inactive", To: "active", Text: "state inactive -> active"}}},
		{name: "service disabled and failed", r: &Service{Name: "nginx"}, out: "UnitFileState=disabled\nActiveState=failed\n", action: "service",
			details: []installer.Detail{{Field: installer.FieldEnabled, From: "disabled", To: "enabled", Text: "enabled disabled -> enabled"}, {Field: installer.FieldState, From: "failed", To: "active", Text: "state failed -> active"}}},
		{name: "service that should be off", r: &Service{Name: "apache2", Disabled: true}, out: "UnitFileState=enabled\nActiveState=active\n", action: "stop",
			details: []installer.Detail{{Field: installer.FieldEnabled, From: "enabled", To: "disabled"}, {Field: installer.FieldState, From: "active", To: "inactive"}}},
		{name: "ufw rule missing", r: &UFWRule{Port: "443", Proto: "tcp"}, out: tuples, action: "add",
			details: []installer.Detail{{Field: installer.FieldRule, To: "ufw allow 443/tcp", Text: "missing"}}},
		{name: "ufw rules not declared", r: &UFWUndeclared{Declared: []*UFWRule{ssh}}, out: tuples, action: "report", report: true,
			details: []installer.Detail{{Field: installer.FieldRule, From: "ufw allow 8888/tcp"}, {Field: installer.FieldRule, From: "ufw allow from 10.0.0.0/8 to any port 53 proto udp"}}},
		{name: "ufw rules not declared, removed", r: &UFWUndeclared{Declared: []*UFWRule{ssh}, Remove: true}, out: tuples, action: "delete",
			details: []installer.Detail{{Field: installer.FieldRule, From: "ufw allow 8888/tcp"}, {Field: installer.FieldRule, From: "ufw allow from 10.0.0.0/8 to any port 53 proto udp"}}},
		{name: "ufw disabled", r: UFWEnabled{}, out: "Status: inactive\n", action: "enable",
			details: []installer.Detail{{Field: installer.FieldState, From: "inactive", To: "active", Text: "state inactive -> active"}}},
		{name: "package removed", r: &Packages{Names: []string{"nginx", "curl"}}, out: "curl ii\nnginx rc 1.22.1-9\ncandidate nginx 1.22.1-9+deb12u1\n", action: "install",
			details: []installer.Detail{{Field: installer.FieldVersion, Name: "nginx", To: "1.22.1-9+deb12u1", Text: "nginx removed (its configuration kept) -> 1.22.1-9+deb12u1"}}},
		{name: "package never installed", r: &Packages{Names: []string{"jicofo"}}, out: "candidate jicofo 1.0-1100-1\n", action: "install",
			details: []installer.Detail{{Field: installer.FieldVersion, Name: "jicofo", To: "1.0-1100-1", Text: "jicofo not installed -> 1.0-1100-1"}}},
		{name: "symlink elsewhere", r: &Symlink{Path: "/etc/nginx/sites-enabled/d.conf", Target: "../sites-available/d.conf"}, out: "link /tmp/x\n", action: "update",
			details: []installer.Detail{{Field: installer.FieldTarget, From: "/tmp/x", To: "../sites-available/d.conf"}}},
		{name: "directory owner", r: &Dir{Path: "/var/lib/x", Mode: 0o700}, out: "700 prosody root\n", action: "update",
			details: []installer.Detail{{Field: installer.FieldOwner, From: "prosody:root", To: "root:root", Text: "owner prosody:root -> root:root"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.r.Diff(installer.Probed{Out: tc.out, Secrets: secrets})
			if err != nil || c == nil {
				t.Fatalf("Diff = %v, %v; want a change", c, err)
			}
			if c.Action != tc.action || c.Report != tc.report {
				t.Errorf("action %q report %v, want %q %v", c.Action, c.Report, tc.action, tc.report)
			}
			if len(c.Details) != len(tc.details) {
				t.Fatalf("details %+v\nwant %+v", c.Details, tc.details)
			}
			for i, w := range tc.details {
				g := c.Details[i]
				if w.Field == installer.FieldContent { // hashes: sha256:HOST -> sha256:DECLARED
					w.From, w.To = g.From, "sha256:"+jvbConf.sum()
				}
				if g.Field != w.Field || g.From != w.From || g.To != w.To || (w.Name != "" && g.Name != w.Name) || (w.Text != "" && g.Text != w.Text) {
					t.Errorf("detail %d = %+v\nwant %+v", i, g, w)
				}
			}
			for _, l := range tc.diff {
				if !strings.Contains("\n"+c.Diff+"\n", "\n"+l+"\n") {
					t.Errorf("diff has no line %q:\n%s", l, c.Diff)
				}
			}
			all := c.Diff + c.Summary()
			for _, d := range c.Details {
				all += d.Name + d.From + d.To + d.Text
			}
			for _, s := range []string{jvbSecret, "handTyped-Passw0rd"} {
				if strings.Contains(all, s) {
					t.Errorf("a secret shows: %q", all)
				}
			}
		})
	}
}

// TestConvergedDiffsAreNil: the same probes on a host as declared.
func TestConvergedDiffsAreNil(t *testing.T) {
	tuples := "### tuple ### allow tcp 443 0.0.0.0/0 any 0.0.0.0/0 in comment=6162\n### tuple ### allow tcp 443 ::/0 any ::/0 in\n"
	for _, tc := range []struct {
		r   installer.Resource
		out string
	}{
		{jvbConf, probedFile("640", "root", "jitsi", string(jvbConf.Content), jvbConf)},
		{&Service{Name: "nginx"}, "ActiveState=active\nUnitFileState=enabled\n"},
		{&Service{Name: "x", Disabled: true}, "ActiveState=inactive\nUnitFileState=disabled\n"},
		{&UFWRule{Port: "443", Proto: "tcp"}, tuples},
		{&UFWUndeclared{Declared: []*UFWRule{{Port: "443", Proto: "tcp"}}}, tuples},
		{UFWEnabled{}, "Status: active\n"},
		{&Packages{Names: []string{"nginx"}}, "nginx ii\n"},
		{&Command{Name: "c", Unless: []string{"true"}}, "done\n"},
		{&Debconf{Package: "p", Question: "p/q"}, "installed -\n"},
	} {
		if c, err := tc.r.Diff(installer.Probed{Out: tc.out}); c != nil || err != nil {
			t.Errorf("%s: %+v, %v; want converged", tc.r.Key(), c, err)
		}
	}
}

// TestMaskedDiffNeverLeaks: whatever the host has where a secret belongs,
// the diff shows ******** and never the secret, nor most of it.
func TestMaskedDiffNeverLeaks(t *testing.T) {
	const (
		pw   = "hunter2-Xk9fQ3zLm"
		pem  = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----"
		pem2 = "-----BEGIN PRIVATE KEY-----\nMIIEvgIBADANBgkqhkiG9w0BAQEFAASCZ\nAAAABBBBccccDDDDeeee1111ffff2222\n-----END PRIVATE KEY-----"
	)
	for _, tc := range []struct {
		name          string
		secret        bool
		secrets       []string
		old, declared string
		never         []string // may not appear in the diff
		want          []string // lines the diff must have
	}{
		{name: "changed secret is a changed masked line", secret: true, secrets: []string{pw, "old-Secret-9vQ2"},
			old: "user = focus\npassword = \"old-Secret-9vQ2\"\n", declared: "user = focus\npassword = \"" + pw + "\"\n",
			never: []string{pw, "old-Secret-9vQ2"}, want: []string{`-password = "********"`, `+password = "********"`}},
		{name: "secret of an earlier run, not known", secret: true, secrets: []string{pw},
			old: "password = \"zzPrevious7Run1Secret\"\n", declared: "password = \"" + pw + "\"\n",
			never: []string{pw, "zzPrevious7Run1Secret"}, want: []string{`-password = "********"`}},
		{name: "secret edited by hand, key too", secret: true, secrets: []string{pw},
			old: "passwd: hunter2-Xk9fQ3zLn\n", declared: "password = \"" + pw + "\"\n",
			never: []string{pw, "hunter2-Xk9fQ3zLn", "Xk9fQ3"}, want: []string{"-passwd: ********", `+password = "********"`}},
		{name: "secret inside other text", secret: false, secrets: []string{pw},
			old: "url = https://u:" + pw + "@host/x" + pw + "y\n", declared: "url = https://host/\n",
			never: []string{pw}, want: []string{"-url = https://u:********@host/x********y"}},
		{name: "secret spanning lines", secret: true, secrets: []string{pem},
			old: "", declared: pem + "\n", never: []string{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"},
			want: []string{"+********"}},
		{name: "old key on the host, not known", secret: true, secrets: []string{pem},
			old: pem2 + "\n", declared: pem + "\n", never: []string{"MIIEvgIBADANBgkqhkiG9w0BAQEFAASCZ", "AAAABBBBccccDDDDeeee1111ffff2222", "BKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj"}},
		{name: "a secret inside another", secret: true, secrets: []string{"abcdEFGH", "abcdEFGH-ijkl-9"},
			old: "a = abcdEFGH-ijkl-9\nb = abcdEFGH\n", declared: "a = x\n", never: []string{"abcdEFGH", "ijkl-9"}},
		{name: "hand edits stay readable", secret: true, secrets: []string{pw},
			old: "password = \"" + pw + "\"\nlog = debug\n", declared: "password = \"" + pw + "\"\nlog = info\n",
			never: []string{pw}, want: []string{"-log = debug", "+log = info", ` password = "********"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &File{Path: "/etc/x.conf", Content: []byte(tc.declared), Mode: 0o640, Secret: tc.secret}
			c, err := f.Diff(installer.Probed{Out: probedFile("640", "root", "root", tc.old, f), Secrets: installer.NewRedactor(tc.secrets...)})
			if tc.old == "" {
				c, err = f.Diff(installer.Probed{Out: "absent\n", Secrets: installer.NewRedactor(tc.secrets...)})
			}
			if err != nil || c == nil {
				t.Fatalf("Diff = %v, %v", c, err)
			}
			for _, s := range tc.never {
				if strings.Contains(c.Diff, s) {
					t.Errorf("diff shows %q:\n%s", s, c.Diff)
				}
			}
			for _, l := range tc.want {
				if !strings.Contains("\n"+c.Diff+"\n", "\n"+l+"\n") {
					t.Errorf("diff has no line %q:\n%s", l, c.Diff)
				}
			}
		})
	}
}

// TestSecretFileWithoutSecretsHidesContent: no Redactor, no content.
func TestSecretFileWithoutSecretsHidesContent(t *testing.T) {
	c, _ := jvbConf.Diff(installer.Probed{Out: "absent\n"})
	if strings.Contains(c.Diff, jvbSecret) || !strings.Contains(c.Diff, "hidden") {
		t.Errorf("diff: %s", c.Diff)
	}
}
