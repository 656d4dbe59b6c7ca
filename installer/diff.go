package installer

import (
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// maskedDiff renders old -> new as a unified diff with three lines of
// context, every line shown through m (when set): lines are compared as
// they are, so a changed secret is a changed line, and shown masked, so it
// is never shown.
func maskedDiff(name, old, new string, m *masker) string {
	if old == new {
		return ""
	}
	a, b := splitLines(old), splitLines(new)
	show := func(l string) string { return l }
	if m != nil {
		show = m.line
	}
	from := "a" + name
	if old == "" {
		from = "/dev/null"
	}
	var w strings.Builder
	fmt.Fprintf(&w, "--- %s\n+++ b%s\n", from, name)
	for _, g := range difflib.NewMatcher(a, b).GetGroupedOpCodes(3) {
		first, last := g[0], g[len(g)-1]
		fmt.Fprintf(&w, "@@ -%s +%s @@\n", hunkRange(first.I1, last.I2), hunkRange(first.J1, last.J2))
		for _, c := range g {
			if c.Tag == 'e' {
				for _, l := range a[c.I1:c.I2] {
					w.WriteString(" " + show(l) + "\n")
				}
				continue
			}
			if c.Tag == 'r' || c.Tag == 'd' {
				for _, l := range a[c.I1:c.I2] {
					w.WriteString("-" + show(l) + "\n")
				}
			}
			if c.Tag == 'r' || c.Tag == 'i' {
				for _, l := range b[c.J1:c.J2] {
					w.WriteString("+" + show(l) + "\n")
				}
			}
		}
	}
	return strings.TrimRight(w.String(), "\n")
}

// splitLines splits s into lines without their newlines; a missing final
// newline is not a line of its own.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// hunkRange is a unified diff's "start,count" for lines [i, j).
func hunkRange(i, j int) string {
	start, n := i+1, j-i
	switch {
	case n == 1:
		return fmt.Sprint(start)
	case n == 0:
		return fmt.Sprintf("%d,0", i)
	}
	return fmt.Sprintf("%d,%d", start, n)
}

// Diff renders old -> declared as a unified diff of the file at name, with
// every secret of r masked; secret says the file holds secrets, so that
// what the host has where the declared file has a secret is masked too.
func (r *Redactor) Diff(name, old, declared string, secret bool) string {
	return maskedDiff(name, old, declared, newMasker(r, declared, secret))
}

// MaskLine shows one line of a command's output with r's secrets, and
// words that share six characters in a row with one, masked.
func (r *Redactor) MaskLine(l string) string { return newMasker(r, "", false).line(l) }
