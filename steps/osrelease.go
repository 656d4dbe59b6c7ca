package steps

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// osRelease is what /etc/os-release says.
type osRelease struct {
	ID       string // debian, ubuntu
	Version  int    // major: 11, 12, 13, 20, 22, 24
	Minor    int
	Codename string
	Pretty   string
}

func (o osRelease) String() string { return o.Pretty }

func (o osRelease) ubuntu() bool { return o.ID == "ubuntu" }

// atLeast compares the release with major.minor.
func (o osRelease) atLeast(major, minor int) bool {
	return o.Version > major || o.Version == major && o.Minor >= minor
}

func parseOSRelease(s string) osRelease {
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			kv[k] = strings.Trim(v, `"'`)
		}
	}
	o := osRelease{ID: kv["ID"], Codename: kv["VERSION_CODENAME"], Pretty: kv["PRETTY_NAME"]}
	maj, min, _ := strings.Cut(kv["VERSION_ID"], ".")
	o.Version, _ = strconv.Atoi(maj)
	o.Minor, _ = strconv.Atoi(min)
	if o.Pretty == "" {
		o.Pretty = strings.TrimSpace(o.ID + " " + kv["VERSION_ID"])
	}
	return o
}

// osFact is /etc/os-release, parsed.
var osFact = &installer.Fact[osRelease]{Name: factOS, Args: []string{"cat", "/etc/os-release"},
	Parse: func(out string, _ int) osRelease { return parseOSRelease(out) }}

func hostOS(h *installer.Host) osRelease { return osFact.Get(h) }

// supported refuses releases the guide does not cover.
func supported(o osRelease) error {
	switch {
	case o.ID == "debian" && o.Version >= 11:
		return nil
	case o.ID == "ubuntu" && o.atLeast(20, 4):
		return nil
	case o.ID == "":
		return fmt.Errorf("cannot tell the operating system: /etc/os-release is missing or empty")
	}
	return fmt.Errorf("%s is not supported: Jitsi Meet needs Debian 11 or later, or Ubuntu 20.04 or later", o)
}
