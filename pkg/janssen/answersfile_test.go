package janssen

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSetClientIDEditsOnlyTheValue(t *testing.T) {
	const head = "# Answers for meet.example.com\nversion: 1\n\njanssen:\n  # The issuer.\n  issuer: https://login.example.com  # exact\n"
	const tail = "\n# Packages.\njitsi:\n  turn: true\n"
	cases := []struct {
		name, before, after string
	}{
		{"plain", "  client_id: jitsi-meet  # the web app\n", "  client_id: c-123  # the web app\n"},
		{"double quoted", "  client_id: \"jitsi \\\" meet\"\n", "  client_id: c-123\n"},
		{"single quoted", "  client_id: 'it''s'\n", "  client_id: c-123\n"},
		{"empty string", "  client_id: \"\"\n", "  client_id: c-123\n"},
		{"nothing after the colon", "  client_id:\n", "  client_id: c-123\n"},
		{"nothing but a comment", "  client_id: # fill in\n", "  client_id: c-123 # fill in\n"},
		{"tilde", "  client_id: ~\n", "  client_id: c-123\n"},
		{"missing", "", "  client_id: c-123\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := head + tc.before + "  audience: jitsi\n" + tail
			want := head + tc.after + "  audience: jitsi\n" + tail
			if tc.name == "missing" {
				// A new key goes first in the mapping, above the first key's comment.
				want = "# Answers for meet.example.com\nversion: 1\n\njanssen:\n  client_id: c-123\n  # The issuer.\n  issuer: https://login.example.com  # exact\n  audience: jitsi\n" + tail
			}
			got, err := setScalar([]byte(in), []string{"janssen", "client_id"}, "c-123")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestSetClientIDQuotesAndFallsBack(t *testing.T) {
	cases := []struct{ name, in, value, want string }{
		// A numeric id must stay a string.
		{"number-like id", "janssen:\n  client_id: x\n", "1234", "janssen:\n  client_id: \"1234\"\n"},
		// Flow style cannot be edited in place: re-encoded, comments kept.
		{"flow mapping", "# top\njanssen: {issuer: https://a.example, client_id: x}\n", "c-1", "# top\njanssen: {issuer: https://a.example, client_id: c-1}\n"},
	}
	for _, tc := range cases {
		got, err := setScalar([]byte(tc.in), []string{"janssen", "client_id"}, tc.value)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s: got:\n%s\nwant:\n%s", tc.name, got, tc.want)
		}
	}
	for _, bad := range []string{"- a\n", "janssen: 3\n", "janssen:\n  client_id: [a]\n", "{"} {
		if _, err := setScalar([]byte(bad), []string{"janssen", "client_id"}, "c"); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestWriteClientIDKeepsModeAndFollowsSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	if err := os.WriteFile(real, []byte("janssen:\n  client_id: old # keep\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "answers.yaml")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteClientID(link, "new"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(real)
	st, _ := os.Stat(real)
	if string(b) != "janssen:\n  client_id: new # keep\n" || st.Mode().Perm() != 0o640 {
		t.Errorf("%o %q", st.Mode().Perm(), b)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
