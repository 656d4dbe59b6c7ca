package resource

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// Service is a systemd unit that should be enabled and running.
type Service struct {
	Name     string
	Disabled bool // declare the unit disabled and stopped instead
	// Keep: uninstall leaves the unit running (a web server other sites
	// may need, certbot's renewals).
	Keep bool
}

// Key implements Resource.
func (s *Service) Key() string { return "service " + s.Name }

// Probe prints the unit's UnitFileState and ActiveState, from the batch's
// servicesPrelude when it ran, else from systemctl here.
func (s *Service) Probe() string {
	k := installer.FactKey(s.Name)
	return fmt.Sprintf(`if [ -n "$BATCH_DIR" ] && [ -r "$BATCH_DIR/u.%[1]s" ]; then while IFS= read -r l; do printf '%%s\n' "$l"; done < "$BATCH_DIR/u.%[1]s"
else systemctl show -p UnitFileState -p ActiveState -- %[2]s 2>/dev/null; fi`, k, sh(s.Name))
}

// Kind implements installer.Gatherer.
func (s *Service) Kind() string { return "service" }

// Gather implements installer.Gatherer: all are Services.
func (s *Service) Gather(all []installer.Resource) string {
	return servicesPrelude(kind[*Service](all))
}

// servicesPrelude asks systemd about every unit at once, into
// "$BATCH_DIR/u.KEY" for the Service probes of the batch: systemctl prints
// a block per unit, in the order given, even for a unit it does not know.
func servicesPrelude(ss []*Service) string {
	if len(ss) == 0 {
		return ""
	}
	var names, keys []string
	for _, s := range ss {
		names, keys = append(names, s.Name), append(keys, installer.FactKey(s.Name))
	}
	return fmt.Sprintf(`if [ -n "$BATCH_DIR" ]; then systemctl show -p Id -p UnitFileState -p ActiveState -- %s 2>/dev/null | ( set -- %s; b=
while IFS= read -r l; do if [ -n "$l" ]; then b="$b$l
"; elif [ $# -gt 0 ]; then printf '%%s' "$b" > "$BATCH_DIR/u.$1"; shift; b=; fi; done
[ $# -gt 0 ] && [ -n "$b" ] && printf '%%s' "$b" > "$BATCH_DIR/u.$1" ); fi`, sh(names...), strings.Join(keys, " "))
}

// Diff implements Resource.
func (s *Service) Diff(p installer.Probed) (*installer.Change, error) {
	var enabled, active string
	for _, l := range strings.Split(p.Out, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(l), "=")
		switch k {
		case "UnitFileState":
			enabled = v
		case "ActiveState":
			active = v
		}
	}
	isEnabled := enabled == "enabled" || enabled == "enabled-runtime" || enabled == "static" || enabled == "alias" || enabled == "generated"
	isActive := active == "active" || active == "reloading" || active == "activating"
	if s.Disabled {
		if !isActive && !isEnabled {
			return nil, nil
		}
		var details []installer.Detail
		if isEnabled {
			details = append(details, installer.FromTo(installer.FieldEnabled, enabled, "disabled"))
		}
		if isActive {
			details = append(details, installer.FromTo(installer.FieldState, active, "inactive"))
		}
		return &installer.Change{Action: installer.ActionStop, Details: details, Apply: func(ctx context.Context, h *installer.Host) error {
			_, err := h.Run(ctx, "systemctl", "disable", "--now", s.Name)
			return err
		}}, nil
	}
	if isEnabled && isActive {
		return nil, nil
	}
	var details []installer.Detail
	if !isEnabled {
		details = append(details, installer.FromTo(installer.FieldEnabled, cmp.Or(enabled, "unknown"), "enabled"))
	}
	if !isActive {
		details = append(details, installer.FromTo(installer.FieldState, cmp.Or(active, "unknown"), "active"))
	}
	args := []string{"systemctl"}
	if strings.HasPrefix(enabled, "masked") {
		// Masked by hand: nothing can start it until it is unmasked.
		return &installer.Change{Action: installer.ActionService, Details: append(details, installer.Note("unmask, enable and start")),
			Warn: s.Name + " is masked (systemctl mask): the run unmasks it",
			Apply: func(ctx context.Context, h *installer.Host) error {
				if _, err := h.Run(ctx, "systemctl", "unmask", s.Name); err != nil {
					return err
				}
				return s.start(ctx, h, []string{"systemctl", "enable", "--now", s.Name})
			}}, nil
	}
	switch {
	case !isEnabled && !isActive:
		args = append(args, "enable", "--now", s.Name)
	case !isEnabled:
		args = append(args, "enable", s.Name)
	default:
		args = append(args, "start", s.Name)
	}
	return &installer.Change{Action: installer.ActionService, Details: details, Apply: func(ctx context.Context, h *installer.Host) error {
		return s.start(ctx, h, args)
	}}, nil
}

// start runs args, and on failure adds the unit's status to the error.
func (s *Service) start(ctx context.Context, h *installer.Host, args []string) error {
	_, err := h.Run(ctx, args...)
	if err != nil {
		status, _ := h.Run(ctx, "sh", "-c", `systemctl status --no-pager -n 15 "$1" 2>&1 || true`, "sh", s.Name)
		return fmt.Errorf("%w\n%s", err, strings.TrimSpace(status))
	}
	return nil
}
