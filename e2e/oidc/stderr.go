package oidc

import (
	"os"
	"path/filepath"
	"strings"
)

// errorLines are the lines of a Node error output that say what failed,
// without the values Node prints with them (keys, tokens).
func errorLines(path string) string {
	b, _ := os.ReadFile(path)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "Error") || strings.Contains(l, "WARNING") || strings.HasPrefix(l, "server_error") || strings.HasPrefix(l, "SyntaxError") || strings.HasPrefix(l, "TypeError") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// Errors are the error lines the provider printed so far.
func (p *Provider) Errors() string { return errorLines(filepath.Join(p.dir, "stderr.log")) }
