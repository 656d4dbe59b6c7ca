package resource

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
)

// runBatch runs a batch on this machine as the current user, as the
// engine runs it over SSH.
func runBatch(t *testing.T, preludes, frags []string) []installer.Probed {
	t.Helper()
	res, err := installer.ProbeBatch(context.Background(), transport.NewLocalUser(), preludes, frags)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestFileProbeWithAndWithoutPrelude: the facts filesPrelude gathers for
// all files give the same verdicts as each probe asking for itself.
func TestFileProbeWithAndWithoutPrelude(t *testing.T) {
	owner, group := sshtest.Self(t)
	dir := t.TempDir()
	var fs []*File
	var frags []string
	for i, c := range []struct {
		content, onHost string
		mode            os.FileMode
	}{
		{"same\n", "same\n", 0o644},
		{"declared\n", "edited\n", 0o644},
		{"mode\n", "mode\n", 0o600},
		{"absent\n", "", 0o644},
		{"spaced name\n", "spaced name\n", 0o644},
	} {
		p := filepath.Join(dir, fmt.Sprintf("f %d.conf", i))
		if c.onHost != "" {
			if err := os.WriteFile(p, []byte(c.onHost), c.mode); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, c.mode)
		}
		f := &File{Path: p, Content: []byte(c.content), Mode: 0o644, Owner: owner, Group: group}
		fs = append(fs, f)
		frags = append(frags, f.Probe())
	}
	// The prelude's facts are where the probes look for them.
	frags = append(frags, `cat "$BATCH_DIR/s.`+fs[4].factKey()+`" "$BATCH_DIR/h.`+fs[4].factKey()+`"`)
	with := runBatch(t, []string{filesPrelude(fs)}, frags)
	if want := "644 " + owner + " " + group + " 12\n" + fs[4].sum() + "\n"; with[5].Out != want {
		t.Errorf("gathered facts %q, want %q", with[5].Out, want)
	}
	without := runBatch(t, nil, frags)
	want := []string{"", "update: content", "update: mode 0600 -> 0644", "create: " + owner + ":" + group + " 0644", ""}
	for i, f := range fs {
		for name, res := range map[string][]installer.Probed{"with the prelude": with, "without": without} {
			c, err := f.Diff(res[i])
			if err != nil {
				t.Fatalf("%s %s: %v", name, f.Path, err)
			}
			got := ""
			if c != nil {
				got = c.Summary()
			}
			if got != want[i] {
				t.Errorf("%s, %s: %q, want %q (probe printed %q)", name, filepath.Base(f.Path), got, want[i], res[i].Out)
			}
		}
	}
}
