package resource

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// UFWRule is an allow rule. Rules are compared with what ufw has added, so a
// re-run adds nothing; rules added by hand are the business of UFWUndeclared.
type UFWRule struct {
	Port    string // "80", "10000"
	Proto   string // tcp, udp
	From    string // empty: anywhere; else an address or CIDR
	Comment string
	Warn    string // shown in the plan when the rule is added
	// Keep: uninstall leaves the rule (the one that keeps SSH open).
	Keep bool
}

// Key implements Resource.
func (r *UFWRule) Key() string {
	k := "ufw allow " + r.Port + "/" + r.Proto
	if r.From != "" {
		k += " from " + r.From
	}
	return k
}

// spec is the rule as `ufw show added` prints it, without the comment.
func (r *UFWRule) spec() string {
	if r.From == "" {
		return "ufw allow " + r.Port + "/" + r.Proto
	}
	return "ufw allow from " + r.From + " to any port " + r.Port + " proto " + r.Proto
}

func (r *UFWRule) args() []string {
	a := []string{"ufw", "allow"}
	if r.From == "" {
		a = append(a, r.Port+"/"+r.Proto)
	} else {
		a = append(a, "from", r.From, "to", "any", "port", r.Port, "proto", r.Proto)
	}
	if r.Comment != "" {
		a = append(a, "comment", r.Comment)
	}
	return a
}

// Probe implements Resource. The rules are read once per batch (see
// Prelude), from ufw's own files: the ufw command takes a python start.
func (r *UFWRule) Probe() string { return `printf '%s\n' "$UFW_ADDED"` }

// Prelude implements Preluder.
func (r *UFWRule) Prelude() string { return ufwPrelude }

// ufwPrelude reads the rules ufw has added (its tuples, what `ufw show
// added` prints) and whether it is enabled (what `ufw status` reads).
const ufwPrelude = `UFW_ADDED=$(grep -h '^### tuple ###' /etc/ufw/user.rules /etc/ufw/user6.rules 2>/dev/null)
if grep -qx 'ENABLED=yes' /etc/ufw/ufw.conf 2>/dev/null; then UFW_STATUS='Status: active'; elif [ -e /etc/ufw/ufw.conf ]; then UFW_STATUS='Status: inactive'; else UFW_STATUS='not installed'; fi`

// Diff implements Resource.
func (r *UFWRule) Diff(p installer.Probed) (*installer.Change, error) {
	if slices.Contains(ufwSpecs(p.Out), r.spec()) {
		return nil, nil
	}
	return &installer.Change{Action: installer.ActionAdd, Warn: r.Warn,
		Details: []installer.Detail{{Field: installer.FieldRule, To: r.spec(), Text: "missing"}},
		Apply: func(ctx context.Context, h *installer.Host) error {
			_, err := h.Run(ctx, r.args()...)
			return err
		}}, nil
}

// ufwSpecs turns ufw's tuples into rules as `ufw show added` prints them,
// once each (a rule has a tuple for IPv4 and one for IPv6).
func ufwSpecs(tuples string) []string {
	var out []string
	for _, l := range strings.Split(tuples, "\n") {
		if s := ufwSpec(l); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ufwSpec reads "### tuple ### ACTION PROTO DPORT DST SPORT SRC [DAPP SAPP]
// DIRECTION [comment=HEX]".
func ufwSpec(l string) string {
	rest, ok := strings.CutPrefix(strings.TrimSpace(l), "### tuple ###")
	if !ok {
		return ""
	}
	f := strings.Fields(rest)
	if n := len(f); n > 0 && strings.HasPrefix(f[n-1], "comment=") {
		f = f[:n-1]
	}
	if len(f) < 6 {
		return ""
	}
	action, proto, dport, dst, sport, src := f[0], f[1], f[2], f[3], f[4], f[5]
	dir := "in"
	var apps []string
	switch len(f) {
	case 7:
		dir = f[6]
	case 9:
		apps, dir = f[6:8], f[8]
	}
	route := ""
	if a, ok := strings.CutPrefix(action, "route:"); ok {
		route, action = "route ", a
	}
	any := func(a string) bool { return a == "0.0.0.0/0" || a == "::/0" || a == "any" }
	head := "ufw " + route + action
	if strings.HasPrefix(dir, "out") {
		head += " out"
	}
	if dir != "in" && dir != "out" {
		head += " on " + strings.TrimPrefix(strings.TrimPrefix(dir, "in_"), "out_")
	}
	if len(apps) == 2 && apps[0] != "-" {
		name, _ := url.PathUnescape(apps[0])
		return head + " " + quoteIfSpaced(name)
	}
	if route == "" && dir == "in" && any(src) && any(dst) && sport == "any" && dport != "any" {
		if proto == "any" {
			return head + " " + dport
		}
		return head + " " + dport + "/" + proto
	}
	s := head + " from " + anyOr(src, any)
	if sport != "any" {
		s += " port " + sport
	}
	s += " to " + anyOr(dst, any)
	if dport != "any" {
		s += " port " + dport
	}
	if proto != "any" {
		s += " proto " + proto
	}
	return s
}

func anyOr(a string, any func(string) bool) string {
	if any(a) {
		return "any"
	}
	return a
}

func quoteIfSpaced(s string) string {
	if strings.Contains(s, " ") {
		return "'" + s + "'"
	}
	return s
}

// UFWUndeclared finds the rules ufw has that no UFWRule declares: reported
// in the plan, and deleted only when Remove is set.
type UFWUndeclared struct {
	Declared []*UFWRule
	Remove   bool
	// Owned are the comments of rules a UFWPrune manages: not reported here.
	Owned []string
}

// Key implements Resource.
func (u *UFWUndeclared) Key() string { return "ufw rules not declared" }

// Probe implements Resource.
func (u *UFWUndeclared) Probe() string { return `printf '%s\n' "$UFW_ADDED"` }

// Prelude implements Preluder.
func (u *UFWUndeclared) Prelude() string { return ufwPrelude }

// Diff implements Resource.
func (u *UFWUndeclared) Diff(p installer.Probed) (*installer.Change, error) {
	var owned, extra []string
	for _, l := range strings.Split(p.Out, "\n") {
		if slices.Contains(u.Owned, ufwComment(l)) && ufwComment(l) != "" {
			owned = append(owned, ufwSpec(l))
		}
	}
	for _, s := range ufwSpecs(p.Out) {
		if !slices.Contains(owned, s) && !slices.ContainsFunc(u.Declared, func(r *UFWRule) bool { return r.spec() == s }) {
			extra = append(extra, s)
		}
	}
	if len(extra) == 0 {
		return nil, nil
	}
	c := &installer.Change{Action: installer.ActionReport, Report: true}
	for _, s := range extra {
		d := installer.Detail{Field: installer.FieldRule, From: s, Text: s + " (not declared; kept)"}
		if u.Remove {
			d.Text = s + " (not declared)"
		}
		c.Details = append(c.Details, d)
	}
	if !u.Remove {
		c.Warn = fmt.Sprintf("%d UFW rule(s) not declared by the installer: kept (firewall.remove_undeclared removes them)", len(extra))
		return c, nil
	}
	c.Action, c.Report = installer.ActionDelete, false
	c.Apply = func(ctx context.Context, h *installer.Host) error {
		for _, s := range extra {
			args := strings.Fields(strings.ReplaceAll(s, "'", ""))
			if strings.Contains(s, "'") { // an application profile: one argument
				name := s[strings.Index(s, "'")+1 : strings.LastIndex(s, "'")]
				args = append(strings.Fields(s[:strings.Index(s, "'")]), name)
			}
			// "ufw [route] ACTION ..." -> "ufw [route] delete ACTION ..."
			i := 1
			if args[1] == "route" {
				i = 2
			}
			args = append(args[:i], append([]string{"delete"}, args[i:]...)...)
			if _, err := h.Run(ctx, args...); err != nil {
				return fmt.Errorf("delete %s: %w", s, err)
			}
		}
		return nil
	}
	return c, nil
}

// UFWEnabled turns the firewall on. Steps declare it after the rules that keep
// the operator's SSH session open.
type UFWEnabled struct{}

// Key implements Resource.
func (UFWEnabled) Key() string { return "ufw enabled" }

// Probe implements Resource.
func (UFWEnabled) Probe() string { return `printf '%s\n' "$UFW_STATUS"` }

// Prelude implements Preluder.
func (UFWEnabled) Prelude() string { return ufwPrelude }

// Diff implements Resource.
func (UFWEnabled) Diff(p installer.Probed) (*installer.Change, error) {
	have := strings.TrimSpace(p.Out)
	if have == "Status: active" {
		return nil, nil
	}
	from := strings.TrimPrefix(have, "Status: ")
	return &installer.Change{Action: installer.ActionEnable, Details: []installer.Detail{installer.FromTo(installer.FieldState, from, "active")}, Apply: func(ctx context.Context, h *installer.Host) error {
		_, err := h.Run(ctx, "ufw", "--force", "enable")
		return err
	}}, nil
}
