package installer

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// ReadHostFile reads the file at path on target (as the answers the
// installer recorded there), and when it was written; no data when there is
// none. One connection, one read-only command, as root: the TUI's defaults
// from the last run come through here, not through a shell of the CLI's.
func ReadHostFile(ctx context.Context, target Target, path string) ([]byte, time.Time, error) {
	t, err := target.Dial(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer t.Close()
	const missing = 3
	res, err := t.Run(ctx, transport.Cmd{Sudo: true, Args: []string{"sh", "-c",
		`test -e "$1" || exit 3; stat -c %Y "$1" && exec cat "$1"`, "sh", path}})
	switch {
	case err != nil:
		return nil, time.Time{}, fmt.Errorf("read %s: %w", path, err)
	case res.ExitCode == missing:
		return nil, time.Time{}, nil
	case res.ExitCode != 0:
		return nil, time.Time{}, fmt.Errorf("read %s: %s", path, strings.TrimSpace(string(res.Stderr)))
	}
	stamp, data, _ := bytes.Cut(res.Stdout, []byte("\n"))
	secs, err := strconv.ParseInt(string(stamp), 10, 64)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("read %s: no modification time in %q", path, stamp)
	}
	return data, time.Unix(secs, 0), nil
}
