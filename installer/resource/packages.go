package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// Packages are Debian packages that must be installed.
type Packages struct {
	Names   []string
	Answers []installer.Answer // in debconf for the install only
	// Purge are the packages of Names uninstall --purge-packages purges
	// (the Jitsi packages, not the libraries they came with).
	Purge []string
	installer.Notify
}

// Key implements Resource.
func (p *Packages) Key() string { return "packages " + strings.Join(p.Names, " ") }

// Probe prints "NAME STATUS VERSION" for each package dpkg knows, then
// "candidate NAME VERSION" for each not installed: what apt would install.
// The status comes from the batch's one dpkg-query (Prelude).
func (p *Packages) Probe() string {
	return fmt.Sprintf(`m=; for n in %[1]s; do case "$DPKG_STATUS" in *"
$n ii "*) echo "$n ii";; *) m="$m $n";; esac; done
[ -z "$m" ] || dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\n' $m 2>/dev/null
[ -z "$m" ] || apt-cache policy $m 2>/dev/null | awk '/^[^ ]/{p=$1; sub(/:$/,"",p)} /Candidate:/{print "candidate", p, $2}'`, sh(p.Names...))
}

// Prelude implements Preluder: dpkg's status of every package, once.
func (p *Packages) Prelude() string { return dpkgPrelude }

// Diff implements Resource.
func (p *Packages) Diff(pr installer.Probed) (*installer.Change, error) {
	installed, status, candidate := map[string]string{}, map[string]string{}, map[string]string{}
	for _, line := range strings.Split(pr.Out, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "candidate":
			candidate[f[1]] = f[2]
		case len(f) >= 2:
			status[f[0]] = f[1]
			if f[1] == "ii" {
				installed[f[0]] = strings.Join(f[2:], " ")
			}
		}
	}
	var missing []string
	var details []installer.Detail
	for _, n := range p.Names {
		if _, ok := installed[n]; ok {
			continue
		}
		missing = append(missing, n)
		to := candidate[n]
		if to == "(none)" {
			to = ""
		}
		d := installer.Detail{Field: installer.FieldVersion, Name: n, To: to, Text: n}
		switch st := status[n]; {
		case st == "rc":
			d.Text += " removed (its configuration kept)"
		case st != "" && st != "un" && st != "pn":
			d.Text += " half-installed (" + st + ")"
		case to != "":
			d.Text += " not installed"
		}
		if to != "" {
			d.Text += " -> " + to
		}
		details = append(details, d)
	}
	if len(missing) == 0 {
		return nil, nil
	}
	return &installer.Change{Action: installer.ActionInstall, Details: details, Apply: func(ctx context.Context, h *installer.Host) error {
		args := append([]string{"apt-get", "install", "-y", "-q", "--no-install-recommends",
			"-o", "DPkg::Lock::Timeout=300",
			"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"}, missing...)
		return aptInstall(ctx, h, p.Answers, args)
	}}, nil
}
