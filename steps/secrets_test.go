package steps

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// The answers recorded on the host hold no secret, read back to the same
// answers, and are the same bytes on every run.
func TestAnswersRecordedOnTheHost(t *testing.T) {
	const (
		sudo   = "sudo-pw-Zq81"
		client = "client-secret-Xy42"
		app    = "app-secret-Wv73"
	)
	vars := map[string]string{"SUDO_PW": sudo, "JANSSEN_CLIENT_SECRET": client}
	load := func() *answers.Config {
		cfg, err := answers.Parse("answers.yaml", []byte(`version: 1
domain: meet.example.com
hosts:
  - address: 203.0.113.10
    user: ops
    key_file: ~/.ssh/id_ed25519
    sudo_password: ${env:SUDO_PW}
letsencrypt:
  email: ops@example.com
janssen:
  issuer: https://login.example.com
  client_id: jitsi-meet
  test_client:
    client_id: verify
    client_secret: ${env:JANSSEN_CLIENT_SECRET}
jitsi:
  app_secret: `+app+`
`), answers.Options{SkipFileChecks: true, LookupEnv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	declare := func(cfg *answers.Config) *resource.File {
		rs := mustDeclare(t, &secrets{&env{cfg: cfg}}, testHost(nil))
		for _, r := range rs {
			if f, ok := r.(*resource.File); ok && f.Path == AnswersFile {
				return f
			}
		}
		t.Fatalf("no %s declared", AnswersFile)
		return nil
	}

	f := declare(load())
	got := string(f.Content)
	for _, s := range []string{sudo, client, app} {
		if strings.Contains(got, s) {
			t.Errorf("%s holds the secret %q:\n%s", AnswersFile, s, got)
		}
	}
	if f.Mode != 0o600 || f.Secret {
		t.Errorf("mode %o, secret %v: want 0600, shown in diffs", f.Mode, f.Secret)
	}
	for _, want := range []string{"${env:SUDO_PW}", "${env:JANSSEN_CLIENT_SECRET}", "${env:JITSI_APP_SECRET}", "key_file: ~/.ssh/id_ed25519"} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %q:\n%s", AnswersFile, want, got)
		}
	}
	if again := declare(load()); !bytes.Equal(again.Content, f.Content) {
		t.Errorf("the same answers recorded differently:\n%s\n---\n%s", f.Content, again.Content)
	}

	// Read back on the next run, as the interactive installer reads it.
	back, err := answers.Parse("host:"+AnswersFile, f.Content, answers.Options{SkipFileChecks: true,
		LookupEnv: func(string) (string, bool) { return "unresolved", true }})
	if err != nil {
		t.Fatalf("the recorded answers do not load: %v\n%s", err, got)
	}
	if back.Domain != "meet.example.com" || back.Janssen.Issuer != "https://login.example.com" || back.Hosts[0].User != "ops" {
		t.Errorf("read back: domain %q, issuer %q, user %q", back.Domain, back.Janssen.Issuer, back.Hosts[0].User)
	}
}

// A damaged or missing secrets.json is rebuilt from the host's
// configuration; what cannot be recovered is named, never replaced silently.
func TestSecretsRecoveredFromTheHost(t *testing.T) {
	jicofo := "jicofo {\n  xmpp {\n    client {\n      password = \"focus-pw\"\n    }\n  }\n}\n"
	jvb := "videobridge {\n  apis { xmpp-client { configs { shard {\n PASSWORD = \"jvb-pw\"\n MUC_NICKNAME = \"jvb-keep1\" } } } }\n  http-servers { public { } }\n  websockets {\n    server-id = \"jvb-keep1\"\n  }\n}\n"
	turn := "static-auth-secret=turn-pw\n"
	tests := []struct {
		name    string
		facts   map[string]string
		want    secretSet
		warn    string // "" for none
		newApps bool
		newTURN bool
	}{
		// app_secret is in no file: a new one, and no word of it.
		{"damaged record", map[string]string{factSecrets: `{"focus":"fo`, factJicofo: jicofo, factJVB: jvb, factTURN: turn},
			secretSet{Focus: "focus-pw", JVB: "jvb-pw", TURN: "turn-pw", InstanceID: "jvb-keep1"}, "is damaged: it is rebuilt; recovered from the host's configuration: focus password, jvb password, TURN secret, bridge instance id", true, false},
		{"damaged, TURN secret gone", map[string]string{factSecrets: "\x00\x01garbage", factJicofo: jicofo, factJVB: jvb},
			secretSet{Focus: "focus-pw", JVB: "jvb-pw", InstanceID: "jvb-keep1"}, "NOT recoverable, so new: TURN secret", true, true},
		{"intact record", map[string]string{factSecrets: `{"focus":"a","jvb":"b","turn":"c","app_secret":"d","jvb_instance_id":"jvb-e"}`, factJVB: jvb},
			secretSet{Focus: "a", JVB: "b", TURN: "c", AppSecret: "d", InstanceID: "jvb-e"}, "", false, false},
		{"fresh host", map[string]string{}, secretSet{}, "", true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := testHost(tc.facts)
			got := secretsFor(h, &env{cfg: testConfig(t)})
			if tc.name == "fresh host" {
				if got.Focus == "" || got.InstanceID == "" || len(h.Warnings()) != 0 {
					t.Errorf("fresh host: %+v, warnings %v", got, h.Warnings())
				}
				return
			}
			if tc.newApps {
				if got.AppSecret == "" {
					t.Error("no app_secret")
				}
				got.AppSecret = ""
			}
			if tc.newTURN {
				if got.TURN == "" {
					t.Error("no TURN secret")
				}
				got.TURN = ""
			}
			if got != tc.want {
				t.Errorf("secrets %+v, want %+v", got, tc.want)
			}
			w := strings.Join(h.Warnings(), "\n")
			if tc.warn == "" && w != "" || !strings.Contains(w, tc.warn) || strings.Contains(w, "app_secret") {
				t.Errorf("warnings %q, want %q and no word of app_secret", w, tc.warn)
			}
		})
	}
}
