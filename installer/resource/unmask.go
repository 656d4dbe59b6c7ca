package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// Unmasked undoes `systemctl mask` on a unit: a masked unit can be neither
// started nor restarted, so a run that needs it unmasks it first, saying so.
type Unmasked struct{ Name string }

// Key implements Resource.
func (u *Unmasked) Key() string { return "unmask " + u.Name }

// Probe implements Resource.
func (u *Unmasked) Probe() string {
	return fmt.Sprintf("systemctl is-enabled %s 2>/dev/null || true", sh(u.Name))
}

// Diff implements Resource.
func (u *Unmasked) Diff(p installer.Probed) (*installer.Change, error) {
	state := strings.TrimSpace(p.Out)
	if !strings.HasPrefix(state, "masked") {
		return nil, nil
	}
	return &installer.Change{Action: "unmask", Details: []installer.Detail{installer.FromTo(installer.FieldEnabled, state, "unmasked")},
		Warn: u.Name + " is masked (systemctl mask): the run unmasks it, as it must start and restart it",
		Apply: func(ctx context.Context, h *installer.Host) error {
			_, err := h.Run(ctx, "systemctl", "unmask", u.Name)
			return err
		}}, nil
}
