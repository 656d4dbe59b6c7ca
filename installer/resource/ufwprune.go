package resource

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// UFWPrune deletes the rules carrying Comment that are not declared in
// Keep: the access of a host that left the answers file. Unlike
// UFWUndeclared it needs no option: rules with Comment are the
// installer's own.
type UFWPrune struct {
	Comment string
	Keep    []*UFWRule
}

// Key implements Resource.
func (p *UFWPrune) Key() string { return "ufw rules '" + p.Comment + "' not declared" }

// Probe implements Resource.
func (p *UFWPrune) Probe() string { return `printf '%s\n' "$UFW_ADDED"` }

// Prelude implements Preluder.
func (p *UFWPrune) Prelude() string { return ufwPrelude }

// Diff implements Resource.
func (p *UFWPrune) Diff(pr installer.Probed) (*installer.Change, error) {
	stale := p.stale(pr.Out)
	if len(stale) == 0 {
		return nil, nil
	}
	c := &installer.Change{Action: installer.ActionDelete}
	for _, s := range stale {
		c.Details = append(c.Details, installer.Detail{Field: installer.FieldRule, From: s, Text: s + " (no longer declared)"})
	}
	c.Apply = func(ctx context.Context, h *installer.Host) error {
		for _, spec := range stale {
			// "ufw allow from A to any port P proto T" -> "ufw delete allow ..."
			args := append([]string{"ufw", "delete"}, strings.Fields(spec)[1:]...)
			if _, err := h.Run(ctx, args...); err != nil {
				return err
			}
		}
		return nil
	}
	return c, nil
}

// stale lists the rules in ufw's tuples that carry p.Comment and are not kept.
func (p *UFWPrune) stale(tuples string) []string {
	var out []string
	for _, l := range strings.Split(tuples, "\n") {
		spec := ufwSpec(l)
		if spec == "" || ufwComment(l) != p.Comment || slices.Contains(out, spec) ||
			slices.ContainsFunc(p.Keep, func(r *UFWRule) bool { return r.spec() == spec }) {
			continue
		}
		out = append(out, spec)
	}
	return out
}

// Owns reports whether spec is a rule p manages: UFWUndeclared leaves those
// to it.
func (p *UFWPrune) Owns(tuple string) bool { return ufwComment(tuple) == p.Comment }

// ufwComment is the comment of a ufw tuple line (hex in the file).
func ufwComment(tuple string) string {
	f := strings.Fields(tuple)
	if len(f) == 0 {
		return ""
	}
	h, ok := strings.CutPrefix(f[len(f)-1], "comment=")
	if !ok {
		return ""
	}
	b, err := hex.DecodeString(h)
	if err != nil {
		return ""
	}
	return string(b)
}
