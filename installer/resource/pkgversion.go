package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// PackageVersion is a package at an exact version.
type PackageVersion struct {
	Name, Version string
}

// PackageVersions are Debian packages that must be installed at exactly
// these versions: missing ones are installed, others upgraded or
// downgraded, all in one apt transaction so their dependencies agree.
type PackageVersions struct {
	Packages []PackageVersion
	Answers  []installer.Answer // in debconf for the apt run only
	// Purge are the packages uninstall --purge-packages purges.
	Purge []string
	installer.Notify
}

// Key implements Resource.
func (p *PackageVersions) Key() string {
	names := make([]string, len(p.Packages))
	for i, pv := range p.Packages {
		names[i] = pv.Name
	}
	return "package versions " + strings.Join(names, " ")
}

// Probe implements Resource.
func (p *PackageVersions) Probe() string {
	args := []string{"dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"}
	for _, pv := range p.Packages {
		args = append(args, pv.Name)
	}
	return sh(args...) + " 2>/dev/null"
}

// Diff implements Resource.
func (p *PackageVersions) Diff(pr installer.Probed) (*installer.Change, error) {
	have := map[string]string{}
	for _, l := range strings.Split(pr.Out, "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 && strings.HasPrefix(f[2], "ii") {
			have[f[0]] = f[1]
		}
	}
	var details []installer.Detail
	changes := 0
	for _, pv := range p.Packages {
		switch v := have[pv.Name]; {
		case v == pv.Version:
		case v == "":
			details = append(details, installer.Detail{Field: installer.FieldVersion, Name: pv.Name, To: pv.Version, Text: pv.Name + " " + pv.Version})
		default:
			changes++
			details = append(details, installer.Detail{Field: installer.FieldVersion, Name: pv.Name, From: v, To: pv.Version,
				Text: fmt.Sprintf("%s %s -> %s", pv.Name, v, pv.Version)})
		}
	}
	if details == nil {
		return nil, nil
	}
	action := installer.ActionInstall
	if changes > 0 {
		action = installer.ActionUpgrade
	}
	return &installer.Change{Action: action, Details: details, Apply: func(ctx context.Context, h *installer.Host) error {
		args := []string{"apt-get", "install", "-y", "-q", "--no-install-recommends", "--allow-downgrades",
			"-o", "DPkg::Lock::Timeout=300",
			"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"}
		for _, pv := range p.Packages {
			args = append(args, pv.Name+"="+pv.Version)
		}
		return aptInstall(ctx, h, p.Answers, args)
	}}, nil
}
