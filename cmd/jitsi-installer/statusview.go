package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/steps"
)

// printStatus renders a report as text or as one JSON object.
func (g *globals) printStatus(r *statusReport) error {
	if g.output == "json" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		_, err = g.stdout.Write(append(b, '\n'))
		return err
	}
	renderStatus(g.stdout, r)
	return nil
}

// renderStatus writes the text view of every host.
func renderStatus(w io.Writer, r *statusReport) {
	for i, h := range r.Hosts {
		if i > 0 {
			fmt.Fprintln(w)
		}
		renderHost(w, h)
	}
}

func renderHost(w io.Writer, h *steps.HostStatus) {
	state := "healthy"
	switch {
	case h.Error != "":
		state = "UNREACHABLE"
	case !h.Healthy():
		state = fmt.Sprintf("UNHEALTHY (%d problem(s))", len(h.Problems))
	}
	if h.Role == answers.RoleVideobridge {
		state += " (videobridge)"
	}
	fmt.Fprintf(w, "%s: %s\n", h.Host, state)
	row := func(k, v string) { fmt.Fprintf(w, "  %-11s %s\n", k, v) }
	if h.Error != "" {
		row("error", h.Error)
		return
	}
	var svc []string
	for _, s := range h.Services {
		v := s.Name + " " + s.State
		if s.State != "active" {
			v = s.Name + " " + strings.ToUpper(s.State)
		}
		if s.Uptime > 0 {
			v += " " + uptime(s.Uptime)
		}
		svc = append(svc, v)
	}
	row("services", strings.Join(svc, ", "))
	var pk []string
	for _, p := range h.Packages {
		v := p.Name + " " + or(p.Installed, "not installed")
		switch {
		case p.AtPin:
			v += " (pinned)"
		case p.Pinned != "":
			v += " (pinned " + p.Pinned + ")"
		}
		pk = append(pk, v)
	}
	row("version", "jitsi.version "+h.Version)
	row("packages", strings.Join(pk, ", "))
	bridge := h.Role == answers.RoleVideobridge
	switch {
	case bridge:
		// A videobridge host has no Prosody, Jicofo or web server.
	case h.XMPP != nil && h.XMPPOf != nil:
		row("xmpp", fmt.Sprintf("%d client session(s): Jicofo %d, videobridges %d", *h.XMPP, h.XMPPOf.Jicofo, h.XMPPOf.Bridges))
	case h.XMPP != nil:
		row("xmpp", fmt.Sprintf("%d client session(s)", *h.XMPP))
	default:
		row("xmpp", "unknown (prosodyctl shell did not answer)")
	}
	switch c := h.Conferences; {
	case bridge:
	case c != nil:
		v := fmt.Sprintf("%d conference(s), %d participant(s) (from %s)", c.Conferences, c.Participants, c.Source)
		if c.Source != "prosody" && c.Rooms != nil {
			v += fmt.Sprintf("; Prosody: %d room(s), %d occupant(s)", *c.Rooms, *c.Occupants)
		}
		row("meetings", v)
	default:
		row("meetings", "unknown (neither Jicofo's stats nor Prosody answered)")
	}
	if b := h.Bridge; b != nil {
		v := "healthy"
		if !b.Healthy {
			v = "UNHEALTHY"
		}
		v += fmt.Sprintf(", %d conference(s), %d participant(s)", b.Conferences, b.Participants)
		if b.StressLevel != nil {
			v += fmt.Sprintf(", stress %.2f", *b.StressLevel)
		}
		row("bridge", v)
	} else {
		row("bridge", "no answer on 127.0.0.1:8080")
	}
	if c := h.Cert; c != nil {
		row("certificate", fmt.Sprintf("%d day(s) left (until %s), %s", c.DaysLeft, c.NotAfter.Format("2006-01-02"), c.Path))
	}
	switch k := h.Keys; {
	case bridge:
	case k != nil:
		v := fmt.Sprintf("%d key(s): %s", len(k.Kids), strings.Join(k.Kids, ", "))
		if !k.Refreshed.IsZero() {
			v += fmt.Sprintf("; refreshed %s ago", ago(h.Time, k.Refreshed))
			if k.Result != "" {
				v += " (" + k.Result + ")"
			}
		}
		if !k.Written.IsZero() {
			v += fmt.Sprintf("; changed %s ago", ago(h.Time, k.Written))
		}
		row("keys", v)
	default:
		row("keys", "no key server on this host")
	}
	if lr := h.LastRun; lr != nil {
		row("last run", runLine(*lr))
	} else {
		row("last run", "none: the installer has not run here")
	}
	switch {
	case len(h.Drift) == 0:
		row("drift", "none: the host is as the answers file declares")
	default:
		row("drift", fmt.Sprintf("%d resource(s) differ (see plan):", len(h.Drift)))
		for _, d := range h.Drift {
			row("", "~ "+d)
		}
	}
	for _, p := range h.Problems {
		row("problem", p)
	}
}

func runLine(r installer.RunInfo) string {
	v := fmt.Sprintf("%s %s %s", r.ID, r.Status, r.Started.Format("2006-01-02 15:04:05Z"))
	if r.User != "" {
		v += " by " + r.User
	}
	if r.Command != "" {
		v += " (" + r.Command + ")"
	}
	v += fmt.Sprintf(": %d change(s)", r.Applied)
	var keys []string
	for i, c := range r.Changes {
		if i == 3 {
			keys = append(keys, fmt.Sprintf("and %d more", len(r.Changes)-3))
			break
		}
		keys = append(keys, c.Resource)
	}
	if len(keys) > 0 {
		v += ": " + strings.Join(keys, ", ")
	}
	return v
}

func uptime(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return d.Round(time.Second).String()
}

func ago(now, t time.Time) string {
	if now.IsZero() {
		now = time.Now()
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	return uptime(d.Round(time.Second))
}

// statusLine is one host in one line, for --watch without a terminal.
func statusLine(h *steps.HostStatus) string {
	if h.Error != "" {
		return h.Host + " UNREACHABLE " + h.Error
	}
	up := 0
	for _, s := range h.Services {
		if s.State == "active" {
			up++
		}
	}
	v := fmt.Sprintf("%s %s services %d/%d", h.Host, map[bool]string{true: "healthy", false: "UNHEALTHY"}[h.Healthy()], up, len(h.Services))
	if h.XMPP != nil {
		v += fmt.Sprintf(" xmpp %d", *h.XMPP)
	}
	if x := h.XMPPOf; x != nil {
		v += fmt.Sprintf(" (jicofo %d bridges %d)", x.Jicofo, x.Bridges)
	}
	switch c, b := h.Conferences, h.Bridge; {
	case c != nil:
		v += fmt.Sprintf(" conferences %d participants %d", c.Conferences, c.Participants)
	case b != nil && h.Role == answers.RoleVideobridge:
		// A videobridge host's own share of the meetings.
		v += fmt.Sprintf(" conferences %d participants %d", b.Conferences, b.Participants)
	}
	if b := h.Bridge; b != nil && b.StressLevel != nil {
		v += fmt.Sprintf(" stress %.2f", *b.StressLevel)
	}
	if c := h.Cert; c != nil {
		v += fmt.Sprintf(" cert %dd", c.DaysLeft)
	}
	v += fmt.Sprintf(" drift %d", len(h.Drift))
	for _, p := range h.Problems {
		v += "; " + p
	}
	return v
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
