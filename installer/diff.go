package installer

import (
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// unifiedDiff renders old -> new as a unified diff with three lines of context.
func unifiedDiff(name, old, new string) string {
	if old == new {
		return ""
	}
	from := "a" + name
	if old == "" {
		from = "/dev/null"
	}
	d, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(old), B: difflib.SplitLines(new),
		FromFile: from, ToFile: "b" + name, Context: 3,
	})
	if err != nil {
		return "(diff failed: " + err.Error() + ")"
	}
	return strings.TrimRight(d, "\n")
}
