package installer

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

func TestLogTailMergesMasksAndFollows(t *testing.T) {
	dir := t.TempDir()
	pros, jic, sec := filepath.Join(dir, "prosody.log"), filepath.Join(dir, "jicofo.log"), filepath.Join(dir, "secrets.json")
	now := time.Now().UTC()
	stamp := func(d time.Duration, layout string) string { return now.Add(d).Format(layout) }
	write := func(p, s string, flag int) {
		f, err := os.OpenFile(p, flag|os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	write(pros, stamp(-2*time.Hour, "Jan 02 15:04:05")+" old line\n"+stamp(-3*time.Second, "Jan 02 15:04:05")+" c2s info New BOSH session\n", os.O_TRUNC)
	write(jic, "Jicofo "+stamp(-2*time.Second, "2006-01-02 15:04:05.000")+" INFO: focus password s3cretXMPPpass\n", os.O_TRUNC)
	write(sec, `{"focus": "s3cretXMPPpass", "jvb_instance_id": "abc123"}`, os.O_TRUNC)

	t.Setenv("PATH", sshtest.FakeSudo(t, "")) // not root, the local transport asks sudo -n
	lt := &LogTail{Host: "h", T: transport.NewLocal(), Since: now.Add(-time.Minute), SecretsFile: sec, Redactor: NewRedactor(),
		Sources: []LogSource{{Component: "prosody", Files: []string{pros}}, {Component: "jicofo", Files: []string{jic}}}}
	lines, err := lt.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || lines[0].Component != "prosody" || lines[1].Component != "jicofo" {
		t.Fatalf("first poll: %+v", lines)
	}
	if strings.Contains(lines[1].Line, "s3cret") || !strings.Contains(lines[1].Line, Redacted) {
		t.Errorf("secret not masked: %q", lines[1].Line)
	}

	// New lines only; a token masked; a half-written line waits.
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtZWV0In0.c2lnbmF0dXJl"
	write(pros, stamp(0, "Jan 02 15:04:05")+" bosh info GET /http-bind?token="+jwt+"\npartial", os.O_APPEND)
	lines, err = lt.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || strings.Contains(lines[0].Line, "eyJ") || !strings.Contains(lines[0].Line, "token=[token]") {
		t.Fatalf("second poll: %+v", lines)
	}
	write(pros, " line\n", os.O_APPEND)
	if lines, _ = lt.Poll(context.Background()); len(lines) != 1 || !strings.HasSuffix(lines[0].Line, "partial line") {
		t.Fatalf("third poll: %+v", lines)
	}

	// A rotated file is read from its start.
	os.Remove(pros)
	write(pros, stamp(time.Second, "Jan 02 15:04:05")+" after rotation\n", os.O_TRUNC)
	if lines, _ = lt.Poll(context.Background()); len(lines) != 1 || !strings.Contains(lines[0].Line, "after rotation") {
		t.Fatalf("after rotation: %+v", lines)
	}
}

func TestParseLogTime(t *testing.T) {
	now := time.Date(2026, 12, 1, 2, 5, 0, 0, time.UTC)
	tests := []struct {
		line string
		want time.Time
	}{
		{"Dec 01 02:03:04 c2s55 info Authenticated", time.Date(2026, 12, 1, 2, 3, 4, 0, time.UTC)},
		{"Dec 31 23:59:59 from last year", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"Jicofo 2026-12-01 02:03:04.250 INFO: [29] started", time.Date(2026, 12, 1, 2, 3, 4, 250e6, time.UTC)},
		{"2026/12/01 02:03:04 [error] 12#12: upstream", time.Date(2026, 12, 1, 2, 3, 4, 0, time.UTC)},
		{`10.0.0.1 - - [01/Dec/2026:02:03:04 +0000] "GET / HTTP/1.1" 200`, time.Date(2026, 12, 1, 2, 3, 4, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, ok := ParseLogTime(tt.line, now, time.UTC)
		if !ok || !got.Equal(tt.want) {
			t.Errorf("ParseLogTime(%q) = %v, %v; want %v", tt.line, got, ok, tt.want)
		}
	}
}

func TestMaskTokens(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GET /http-bind?room=x&token=abc.def.ghi HTTP/1.1", "GET /http-bind?room=x&token=[token] HTTP/1.1"},
		{"Bearer eyJhbGciOi.eyJpc3MiOi.sig", "Bearer [token]"},
		{"jwt=eyJhbGciOi.eyJpc3MiOi.sig&x=1", "jwt=[token]&x=1"},
		{"tokens are fine here", "tokens are fine here"},
		{"room=r1&mytoken=x", "room=r1&mytoken=x"},
		// Every spelling Prosody or a browser decodes to a token parameter.
		{`request: "POST /http-bind?room=r1&token=abc HTTP/1.1"`, `request: "POST /http-bind?room=r1&token=[token] HTTP/1.1"`},
		{"GET /r1?Token=abc", "GET /r1?Token=[token]"},
		{"GET /r1?JWT=abc&x=1", "GET /r1?JWT=[token]&x=1"},
		{"GET /r1?jwt=abc", "GET /r1?jwt=[token]"},
		{"GET /r1?%74oken=abc", "GET /r1?%74oken=[token]"},
		{"GET /r1?%6Awt=abc", "GET /r1?%6Awt=[token]"},
		{"GET /r1?%4A%57%54=abc", "GET /r1?%4A%57%54=[token]"},
		{"GET /r1?x=1&TOKEN%3Dabc", "GET /r1?x=1&TOKEN%3D[token]"},
		{"referer https://a/r?ACCESS_TOKEN=abc", "referer https://a/r?ACCESS_TOKEN=[token]"},
		{"GET /r1?id%5ftoken=abc", "GET /r1?id%5ftoken=[token]"},
		{"GET /login?next=%2Fr1%3Fa%3D1%26jwt%3Dabc", "GET /login?next=%2Fr1%3Fa%3D1%26jwt%3D[token]"},
	}
	for _, tt := range tests {
		if got := MaskTokens(tt.in); got != tt.want {
			t.Errorf("MaskTokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Last keeps the last lines of the first poll, however old when Since is
// zero, across files in time order; the journal is asked for as many; later
// polls bring only new lines.
func TestLogTailLast(t *testing.T) {
	dir := t.TempDir()
	pros, jic := filepath.Join(dir, "prosody.log"), filepath.Join(dir, "jicofo.log")
	now := time.Now().UTC()
	stamp := func(d time.Duration, layout string) string { return now.Add(d).Format(layout) }
	if err := os.WriteFile(pros, []byte(stamp(-2*time.Hour, "Jan 02 15:04:05")+" oldest\n"+stamp(-90*time.Minute, "Jan 02 15:04:05")+" second\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jic, []byte("Jicofo "+stamp(-time.Hour, "2006-01-02 15:04:05.000")+" third\nJicofo "+stamp(-30*time.Minute, "2006-01-02 15:04:05.000")+" fourth\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", sshtest.FakeSudo(t, ""))
	lt := &LogTail{Host: "h", T: transport.NewLocal(), Last: 3, Redactor: NewRedactor(),
		Sources: []LogSource{{Component: "prosody", Units: []string{"prosody"}, Files: []string{pros}}, {Component: "jicofo", Files: []string{jic}}}}
	if cmd := lt.journalCmd([]string{"prosody"}); !strings.Contains(cmd, "'-n' '3'") && !strings.Contains(cmd, "-n 3") || strings.Contains(cmd, "--since") {
		t.Errorf("the first journal read: %s", cmd)
	}
	lines, err := lt.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lines {
		got = append(got, l.Line[strings.LastIndexByte(l.Line, ' ')+1:])
	}
	if strings.Join(got, " ") != "second third fourth" {
		t.Fatalf("first poll with Last 3: %q", got)
	}
	f, err := os.OpenFile(pros, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = f.WriteString(stamp(0, "Jan 02 15:04:05") + " fifth\n")
	f.Close()
	if lines, _ = lt.Poll(context.Background()); len(lines) != 1 || !strings.HasSuffix(lines[0].Line, "fifth") {
		t.Fatalf("second poll: %+v", lines)
	}
	if cmd := lt.journalCmd([]string{"prosody"}); strings.Contains(cmd, "'-n'") || !strings.Contains(cmd, "--since") {
		t.Errorf("a later journal read without a cursor: %s", cmd)
	}
}
