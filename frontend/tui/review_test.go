package tui

import (
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// TestReviewExplainsDrift: an opened change lists what differs, from -> to,
// what a guard found, and the diff; a one-detail change says it on its line.
func TestReviewExplainsDrift(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    change
		want []string // in the explanation, in order
	}{
		{"owner and mode", change{details: []installer.Detail{
			{Field: installer.FieldMode, From: "0600", To: "0640", Text: "mode 0600 -> 0640"},
			{Field: installer.FieldOwner, From: "root:root", To: "root:jitsi", Text: "owner root:root -> root:jitsi"}}},
			[]string{"• mode 0600 -> 0640", "• owner root:root -> root:jitsi"}},
		{"guard", change{details: []installer.Detail{{Field: installer.FieldGuard, From: "a.crt: owner root:root, want root:prosody\na.key: mode 644, want 640",
			Text: "guard failed: a.crt: owner root:root, want root:prosody; a.key: mode 644, want 640"}}},
			[]string{"found: a.crt: owner root:root, want root:prosody", "found: a.key: mode 644, want 640"}},
		{"content", change{diff: "--- a/x\n+++ b/x\n-PASSWORD = \"********\"\n+PASSWORD = \"********\"",
			details: []installer.Detail{{Field: installer.FieldContent, Text: "content"}}},
			[]string{"--- a/x", `-PASSWORD = "********"`, `+PASSWORD = "********"`}},
		{"kept", change{kept: true, details: []installer.Detail{{Field: installer.FieldRule, From: "ufw allow 8888/tcp", Text: "ufw allow 8888/tcp (not declared; kept)"}}},
			[]string{"• ufw allow 8888/tcp (not declared; kept)"}},
		{"one detail", change{details: []installer.Detail{{Field: installer.FieldState, From: "inactive", To: "active", Text: "state inactive -> active"}}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(tc.c.explain(200), "\n")
			if tc.c.explains() != (len(tc.want) > 0) {
				t.Errorf("explains() = %v with %q", tc.c.explains(), got)
			}
			at := 0
			for _, w := range tc.want {
				i := strings.Index(got[at:], w)
				if i < 0 {
					t.Fatalf("no %q after offset %d in\n%s", w, at, got)
				}
				at += i + len(w)
			}
		})
	}
}
