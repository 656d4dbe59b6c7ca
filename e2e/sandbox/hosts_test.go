package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostsBlocks(t *testing.T) {
	const orig = "127.0.0.1 localhost\n# a comment\n::1 localhost\n"
	path := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(path, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	read := func() string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"add a", func() error { return addHosts(path, "j-a", []string{"10.213.1.1\tjanssen.j-a.sandbox.test"}) },
			orig + "# BEGIN jitsi-installer sandbox target j-a\n10.213.1.1\tjanssen.j-a.sandbox.test\n# END jitsi-installer sandbox target j-a\n"},
		{"add b", func() error { return addHosts(path, "j-b", []string{"10.213.2.1\tjanssen.j-b.sandbox.test"}) },
			orig + "# BEGIN jitsi-installer sandbox target j-a\n10.213.1.1\tjanssen.j-a.sandbox.test\n# END jitsi-installer sandbox target j-a\n" +
				"# BEGIN jitsi-installer sandbox target j-b\n10.213.2.1\tjanssen.j-b.sandbox.test\n# END jitsi-installer sandbox target j-b\n"},
		{"a again, new address", func() error { return addHosts(path, "j-a", []string{"10.213.3.1\tjanssen.j-a.sandbox.test"}) },
			orig + "# BEGIN jitsi-installer sandbox target j-b\n10.213.2.1\tjanssen.j-b.sandbox.test\n# END jitsi-installer sandbox target j-b\n" +
				"# BEGIN jitsi-installer sandbox target j-a\n10.213.3.1\tjanssen.j-a.sandbox.test\n# END jitsi-installer sandbox target j-a\n"},
		{"remove b", func() error { return removeHosts(path, "j-b") },
			orig + "# BEGIN jitsi-installer sandbox target j-a\n10.213.3.1\tjanssen.j-a.sandbox.test\n# END jitsi-installer sandbox target j-a\n"},
		{"remove a prefix of a name", func() error { return removeHosts(path, "j-") },
			orig + "# BEGIN jitsi-installer sandbox target j-a\n10.213.3.1\tjanssen.j-a.sandbox.test\n# END jitsi-installer sandbox target j-a\n"},
		{"remove a", func() error { return removeHosts(path, "j-a") }, orig},
		{"remove a again", func() error { return removeHosts(path, "j-a") }, orig},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := read(); got != s.want {
			t.Fatalf("%s:\n%s\nwant:\n%s", s.name, got, s.want)
		}
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v after the edits", st.Mode())
	}
	if !strings.HasPrefix(JanssenHost("j-a"), "janssen.j-a.") {
		t.Errorf("JanssenHost = %s", JanssenHost("j-a"))
	}
}
