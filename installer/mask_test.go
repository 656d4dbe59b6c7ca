package installer

import "testing"

// A word of the host's file that the declared file lacks is masked when it
// looks generated, and stays readable when it is an operator's note, a
// name or a path.
func TestRandomLooking(t *testing.T) {
	for _, tc := range []struct {
		word string
		want bool
	}{
		{"holdout-drift-marker-41", false},
		{"externalServiceSecret", false},
		{"/usr/share/jitsi-meet/prosody-plugins/", false},
		{"jitsi-videobridge2-restart", false},
		{"hmac-sha256-authentication", false},
		{"DEFAULT_TURN_SERVER_PORT", false},
		{"2026-12-07-backup-copy", false},
		{"Zk3_q9XvB-1mN0pLr2sT8w", true},           // base64url, as the installer's secrets
		{"a3f9c0e1d2b4f6a7c8e9d0b1", true},         // hex
		{"qzkxjvwpmhtrcbndfg", true},               // random lowercase letters
		{"ABCDEFGHIJKLMNOPQRST", true},             // random capitals
		{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", true}, // a line of a PEM key
		{"zzPrevious7Run1Secret", true},
		{"short-Xk9f", false}, // under 16: left to the known secrets
	} {
		if got := randomLooking(tc.word); got != tc.want {
			t.Errorf("randomLooking(%q) = %v, want %v", tc.word, got, tc.want)
		}
	}
}

// An operator's comment in a file that holds secrets shows in the diff as
// typed; the secrets around it do not.
func TestHandEditShows(t *testing.T) {
	const pw = "Zk3_q9XvB-1mN0pLr2sT8w"
	m := newMasker(NewRedactor(pw), "password = \""+pw+"\"\n", true)
	for in, want := range map[string]string{
		"# holdout-drift-marker-41":    "# holdout-drift-marker-41",
		"password = \"" + pw + "\"":    "password = \"********\"",
		"password = \"q9XvB-1mN0pLz\"": "password = \"********\"",
		"token = aB3dE5fG7hJ9kL1mN3pQ": "token = ********",
	} {
		if got := m.line(in); got != want {
			t.Errorf("line(%q) = %q, want %q", in, got, want)
		}
	}
}
