package tui

import (
	"fmt"
	"strings"
)

// review is the plan page's state: which change is selected and whose diff
// is open.
type review struct {
	cursor int
	open   map[*change]bool
	offset int
}

// items are the changes the cursor moves over, in display order.
func (p *progress) items() []*change {
	var out []*change
	for _, h := range p.hosts {
		for _, s := range h.steps {
			out = append(out, s.changes...)
		}
	}
	return out
}

func (r *review) move(p *progress, d int) {
	n := len(p.items())
	r.cursor = max(0, min(n-1, r.cursor+d))
}

// toggle opens or closes the selected change's diff.
func (r *review) toggle(p *progress) {
	items := p.items()
	if r.cursor >= len(items) {
		return
	}
	if r.open == nil {
		r.open = map[*change]bool{}
	}
	c := items[r.cursor]
	r.open[c] = !r.open[c]
}

// lines renders the plan; sel is the line of the selected change.
func (r *review) lines(p *progress, width int) (out []string, sel int) {
	i := 0
	for _, h := range p.hosts {
		head := styleBold.Render(h.name)
		if h.connected != "" {
			head += styleDim.Render(" · " + h.connected)
		}
		out = append(out, head)
		if h.err != "" {
			out = append(out, failure("  ✗ "+h.err, h.hint, width)...)
			out = append(out, "")
			continue
		}
		out = append(out, fmt.Sprintf("  %d to change, %d unchanged", h.pending(), h.unchanged()))
		for _, s := range h.steps {
			switch {
			case s.state == stepSkipped:
				out = append(out, styleDim.Render(truncate("  "+s.name+": skipped ("+s.skipped+")", width)))
			case s.state == stepFailed:
				out = append(out, "  "+s.name)
				out = append(out, failure("    ✗ "+s.failed+": "+s.err, s.hint, width)...)
			case len(s.changes) > 0:
				out = append(out, "  "+styleBold.Render(s.name))
			}
			for _, c := range s.changes {
				cur := "    "
				if i == r.cursor {
					cur, sel = "  › ", len(out)
				}
				mark := styleWarn.Render("~")
				if c.action == "create" || c.action == "install" || c.action == "add" || c.action == "fetch" {
					mark = styleOK.Render("+")
				}
				line := fmt.Sprintf("%s%s %s: %s", cur, mark, c.key, c.summary)
				if c.diff != "" && !r.open[c] {
					line += styleKey.Render(" [d]")
				}
				out = append(out, truncate(line, width))
				if c.warn != "" {
					out = append(out, styleWarn.Render(wrapText("      warning: "+c.warn, width)))
				}
				if r.open[c] {
					for _, l := range strings.Split(c.diff, "\n") {
						out = append(out, truncate("      "+diffColor(l), width))
					}
				}
				i++
			}
		}
		for _, w := range h.warnings {
			out = append(out, styleWarn.Render(wrapText("  warning: "+w, width)))
		}
		out = append(out, "")
	}
	return out, sel
}

// window shows height lines of the plan, scrolled so the selection shows.
func (r *review) window(p *progress, width, height int) []string {
	lines, sel := r.lines(p, width)
	if height <= 0 || len(lines) <= height {
		r.offset = 0
		return lines
	}
	// Keep the selected change and a few lines of its diff in view.
	if sel < r.offset {
		r.offset = sel
	}
	if sel+3 >= r.offset+height {
		r.offset = min(sel+3-height+1, len(lines)-height)
	}
	r.offset = max(0, min(r.offset, len(lines)-height))
	return lines[r.offset : r.offset+height]
}

func diffColor(l string) string {
	switch {
	case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		return styleBold.Render(l)
	case strings.HasPrefix(l, "+"):
		return styleOK.Render(l)
	case strings.HasPrefix(l, "-"):
		return styleBad.Render(l)
	case strings.HasPrefix(l, "@@"):
		return styleDim.Render(l)
	}
	return l
}
