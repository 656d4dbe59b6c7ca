package installer

import (
	"context"
	"slices"
	"strings"
)

// UFWPrune deletes the rules carrying Comment that are not declared in
// Keep: the access of a host that left the answers file.
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
func (p *UFWPrune) Diff(pr Probed) (*Change, error) {
	var keep []string
	for _, r := range p.Keep {
		keep = append(keep, r.spec())
	}
	var stale []string
	for _, line := range strings.Split(pr.Out, "\n") {
		spec, comment, ok := strings.Cut(line, " comment '")
		if !ok || strings.TrimSuffix(comment, "'") != p.Comment {
			continue
		}
		if spec = strings.TrimSpace(spec); !slices.Contains(keep, spec) && !slices.Contains(stale, spec) {
			stale = append(stale, spec)
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	return &Change{Action: ActionDelete, Details: stale, apply: func(ctx context.Context, h *Host) error {
		for _, spec := range stale {
			// "ufw allow from A to any port P proto T" -> "ufw delete allow ..."
			args := append([]string{"ufw", "delete"}, strings.Fields(spec)[1:]...)
			if _, err := h.Run(ctx, args...); err != nil {
				return err
			}
		}
		return nil
	}}, nil
}
