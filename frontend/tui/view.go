package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
)

// View implements tea.Model.
func (a *app) View() tea.View {
	v := tea.NewView(a.render())
	v.AltScreen = true
	v.WindowTitle = "jitsi-installer"
	return v
}

var stageTitles = map[stage]string{
	stageForm:      "answers",
	stagePlanning:  "connecting and planning",
	stageReview:    "review the plan",
	stageSave:      "save the answers",
	stageApplying:  "installing",
	stageVerifying: "verifying",
	stageDone:      "done",
}

// chrome is the lines around the body: the title, a gap, and the footer
// with its gap.
const chrome = 4

func (a *app) render() string {
	width := a.width
	if width <= 0 {
		width = 80
	}
	height := a.height
	if height <= 0 {
		height = 24
	}
	head := styleTitle.Render("Jitsi Meet installer") + styleDim.Render(" · "+stageTitles[a.stage])
	var body []string
	switch {
	case a.ask != nil:
		body = a.askLines(width)
	case a.help:
		body = a.keys.helpLines(a.stage)
	default:
		body = a.body(width, height-chrome)
	}
	return head + "\n\n" + strings.Join(clip(body, height-chrome), "\n") + "\n\n" + a.footer(width)
}

func (a *app) footer(width int) string {
	if a.ask != nil {
		if a.ask.secret {
			return styleKey.Render("enter confirm · esc cancel")
		}
		return styleKey.Render("y yes · n no")
	}
	if a.help {
		return styleKey.Render("? or esc: back")
	}
	if a.stage == stageForm {
		return "" // the form shows its own keys
	}
	var parts []string
	for _, b := range a.keys.help(a.stage) {
		h := b.Help()
		if b.Help() == a.keys.Apply.Help() && a.stage == stageReview {
			switch {
			case !a.canApply():
				continue
			case !a.plan.HasChanges():
				h.Desc = "run the checks"
			}
		}
		parts = append(parts, h.Key+" "+h.Desc)
	}
	return truncate(styleKey.Render(strings.Join(parts, " · ")), width)
}

// canApply reports whether enter on the review applies the plan or runs
// the checks.
func (a *app) canApply() bool {
	return a.problems == "" && a.plan != nil && a.plan.Err() == nil && (!a.o.DryRun || !a.plan.HasChanges())
}

func (k keyMap) helpLines(s stage) []string {
	out := []string{styleBold.Render("Keys"), ""}
	for _, b := range k.help(s) {
		out = append(out, fmt.Sprintf("  %-10s %s", b.Help().Key, b.Help().Desc))
	}
	if s == stageForm {
		out = append(out, "", "Every answer is checked as `jitsi-installer answers validate` checks the file;",
			"the message under a field says what to change before moving on.")
	}
	return out
}

func (a *app) askLines(width int) []string {
	out := []string{styleBold.Render("The connection needs an answer"), ""}
	for _, l := range strings.Split(a.ask.text, "\n") {
		out = append(out, wrapText(l, width))
	}
	if a.ask.secret {
		out = append(out, "", a.ask.input.View())
	}
	return out
}

func (a *app) spinner() string {
	if a.static {
		return "•"
	}
	return a.spin.View()
}

func (a *app) body(width, height int) []string {
	var out []string
	switch a.stage {
	case stageForm:
		return append(a.formHead(width), strings.Split(a.huh.View(), "\n")...)
	case stagePlanning:
		out = append(out, a.spinner()+" Connecting to "+a.cfg.Hosts[0].Address+" and gathering facts…", "")
		steps, _ := a.prog.steps(a.spinner(), a.now(), width)
		out = append(out, steps...)
	case stageReview, stageSave:
		out = a.reviewLines(width, height)
	case stageApplying, stageVerifying:
		out = a.runLines(width, height)
	case stageDone:
		out = a.doneLines(width)
	}
	return out
}

// formHead stands above the form: the last run's answers being read, or
// where the defaults came from.
func (a *app) formHead(width int) []string {
	switch {
	case a.readingLast:
		return []string{wrapText(a.spinner()+" Reading the answers of the last run on "+a.v.Address+"…", width), ""}
	case a.form.lastNote != "":
		return []string{wrapText(a.form.lastNote, width), ""}
	}
	return nil
}

// formSize is the screen the form gets: less the header, the footer and
// what stands above the form.
func (a *app) formSize() tea.WindowSizeMsg {
	width := a.width
	if width <= 0 {
		width = 80
	}
	head := 0
	for _, l := range a.formHead(width) {
		head += strings.Count(l, "\n") + 1
	}
	return tea.WindowSizeMsg{Width: a.width, Height: max(a.height-chrome-head, 8)}
}

func (a *app) reviewLines(width, height int) []string {
	if a.problems != "" {
		out := []string{styleBad.Render("These answers cannot be used:"), ""}
		for _, l := range strings.Split(a.problems, "\n") {
			out = append(out, wrapText("  "+l, width))
		}
		return append(out, "", "Press esc to change the answers.")
	}
	var tail []string
	if a.stage == stageSave {
		tail = append(tail, "", a.saveIn.View())
	}
	if a.notice != "" {
		tail = append(tail, "", wrapText(a.notice, width))
	}
	if a.plan != nil && a.plan.Err() != nil && a.stage == stageReview && a.notice == "" {
		tail = append(tail, "", wrapText("Planning failed. Fix what is shown, then press r to plan again; "+
			"esc changes the answers, s saves them.", width))
	}
	if a.plan != nil && a.plan.Err() == nil && a.stage == stageReview {
		switch n := a.prog.changes(); {
		case a.o.DryRun:
			tail = append(tail, "", fmt.Sprintf("Dry run: %d change(s) would be made.", n))
		case n == 0:
			tail = append(tail, "", styleOK.Render("Nothing to change.")+" Press enter to run the checks.")
		default:
			tail = append(tail, "", styleBold.Render(fmt.Sprintf("Apply these %d change(s)?", n))+" enter: apply · esc: change the answers · s: save them")
		}
	}
	tailHeight := 0
	for _, t := range tail {
		tailHeight += strings.Count(t, "\n") + 1
	}
	return append(a.review.window(a.prog, width, height-tailHeight), tail...)
}

// runLines is the steps, kept in view around the running one, the
// question to stop, and the log.
func (a *app) runLines(width, height int) []string {
	steps, at := a.prog.steps(a.spinner(), a.now(), width)
	var tail []string
	if a.askStop {
		tail = append(tail, styleWarn.Render(wrapText("Stop after "+a.current()+"? The host's journal stays consistent "+
			"and the next run continues from there. (y/n)", width)))
	}
	if a.notice != "" {
		tail = append(tail, wrapText(a.notice, width))
	}
	if a.log {
		n := max(3, height/3)
		tail = append(tail, styleDim.Render(strings.Repeat("─", min(width, 80))))
		for _, l := range a.prog.logTail(n) {
			tail = append(tail, truncate(l, width))
		}
	}
	room := height - len(tail)
	if len(steps) > room && room > 0 {
		start := max(0, min(at-room/3, len(steps)-room))
		steps = steps[start : start+room]
	}
	return append(steps, tail...)
}

func (a *app) doneLines(width int) []string {
	var out []string
	r := a.res
	switch {
	case r.Stopped:
		out = append(out, styleWarn.Render(wrapText("Stopped. The host's journal records what was done; run the installer again to continue from there.", width)))
	case r.HostErr != nil || r.Summary.Failed > 0:
		out = append(out, styleBad.Render("✗ The install failed.")+" What failed and what to do about it is below.")
	case r.ChecksFailed > 0:
		out = append(out, styleBad.Render(fmt.Sprintf("✗ Installed, but %d check(s) failed.", r.ChecksFailed)))
	default:
		out = append(out, styleOK.Render("✓ Jitsi Meet is ready: ")+styleBold.Render(r.URL))
	}
	if s := a.prog.summary; s != nil {
		out = append(out, "", "Summary: "+summaryLine(s))
	}
	if a.notice != "" {
		out = append(out, "", wrapText(a.notice, width))
	}
	if c := a.prog.checkLines(width); len(c) > 0 {
		out = append(append(out, ""), c...)
	}
	steps, _ := a.prog.steps("•", a.now(), width)
	out = append(append(out, ""), steps...)
	if a.log {
		out = append(out, styleDim.Render(strings.Repeat("─", min(width, 80))))
		for _, l := range a.prog.logTail(15) {
			out = append(out, truncate(l, width))
		}
	}
	return out
}

// clip keeps the first n lines, counting wrapped ones.
func clip(lines []string, n int) []string {
	var out []string
	for _, l := range lines {
		for _, part := range strings.Split(l, "\n") {
			if len(out) == n {
				return out
			}
			out = append(out, part)
		}
	}
	return out
}
