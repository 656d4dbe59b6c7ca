package tui

import (
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
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
				switch {
				case c.kept:
					mark = styleWarn.Render("!")
				case c.action == "create" || c.action == "install" || c.action == "add" || c.action == "fetch":
					mark = styleOK.Render("+")
				}
				line := fmt.Sprintf("%s%s %s: %s", cur, mark, c.key, c.summary)
				if c.kept {
					line = fmt.Sprintf("%s%s %s: differs, kept as the answers say", cur, mark, c.key)
				}
				if c.explains() && !r.open[c] {
					line += styleKey.Render(" [d]")
				}
				out = append(out, truncate(line, width))
				if c.warn != "" {
					out = append(out, styleWarn.Render(wrapText("      warning: "+c.warn, width)))
				}
				if r.open[c] {
					out = append(out, c.explain(width)...)
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

// explains reports whether the change has more to show than its line.
func (c *change) explains() bool {
	return c.diff != "" || len(c.listed()) > 0
}

// listed are the details worth a line each: when there are several, or
// one says more than fits the change's line.
func (c *change) listed() []installer.Detail {
	var ds []installer.Detail
	long := c.kept
	for _, d := range c.details {
		if d.Text == "" || d.Field == installer.FieldContent {
			continue // said by another detail, or by the diff
		}
		long = long || strings.Contains(d.Text, "\n") || strings.Contains(d.From, "\n")
		ds = append(ds, d)
	}
	if len(ds) > 1 || long {
		return ds
	}
	return nil
}

// explain is what differs, one detail a line (from -> to), then the diff.
func (c *change) explain(width int) []string {
	var out []string
	for _, d := range c.listed() {
		for i, l := range strings.Split(d.Text, "\n") {
			pre := "      • "
			if i > 0 {
				pre = "        "
			}
			out = append(out, truncate(pre+l, width))
		}
		if d.Field == installer.FieldGuard && strings.Contains(d.From, "\n") {
			for _, l := range strings.Split(d.From, "\n") {
				out = append(out, truncate("        found: "+l, width))
			}
		}
	}
	if c.diff != "" {
		for _, l := range strings.Split(c.diff, "\n") {
			out = append(out, truncate("      "+diffColor(l), width))
		}
	}
	return out
}
