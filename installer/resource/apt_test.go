package resource

import (
	"slices"
	"testing"
)

// apt's status lines become "42% Unpacking jicofo", once per whole percent;
// its other output is not progress.
func TestAptProgress(t *testing.T) {
	var said []string
	p := aptProgress(func(s string) { said = append(said, s) })
	for _, l := range []string{
		"Reading package lists...",
		"dlstatus:1:0:Retrieving file 1 of 3",
		"dlstatus:2:33.3333:Retrieving file 2 of 3",
		"dlstatus:2:33.9:Retrieving file 2 of 3",
		"pmstatus:libuv1:amd64:16.6667:Preparing libuv1:amd64 (1.44.2-1)",
		"pmstatus:jicofo:50:Unpacking jicofo (1.0-1) over (0.9-1)",
		"Setting up jicofo (1.0-1) ...",
		"pmstatus:dpkg-exec:75.5:Running dpkg",
	} {
		p(l)
	}
	want := []string{"0% Retrieving file 1 of 3", "33% Retrieving file 2 of 3", "16% Preparing libuv1:amd64 (1.44.2-1)",
		"50% Unpacking jicofo (1.0-1) over (0.9-1)", "75% Running dpkg"}
	if !slices.Equal(said, want) {
		t.Errorf("said %q\nwant %q", said, want)
	}
}
