package steps

import (
	"fmt"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// backups deletes the backups of all but the last backups.keep runs. Run
// ids sort by time, so the oldest directories go first.
type backups struct{ *env }

func (*backups) Name() string { return "Backups" }

func (s *backups) Declare(*installer.Host) ([]installer.Resource, error) {
	dir, keep := installer.DefaultBackups, s.cfg.Backups.Keep
	return []installer.Resource{&resource.Command{
		Name:   fmt.Sprintf("keep the backups of the last %d runs", keep),
		Args:   []string{"sh", "-c", `cd "$1" && ls -1 | sort | head -n -"$2" | while read -r d; do rm -rf -- "./$d"; done`, "sh", dir, fmt.Sprint(keep)},
		Unless: []string{"sh", "-c", `[ ! -d "$1" ] || [ "$(ls -1 "$1" | wc -l)" -le "$2" ]`, "sh", dir, fmt.Sprint(keep)},
	}}, nil
}
