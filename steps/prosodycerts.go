package steps

import (
	"path"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// copiesInPlace succeeds when every copy ($2, $5, ...) equals its source
// ($1, $4, ...) and has the stat given as MODE:OWNER:GROUP ($3, $6, ...).
// It prints each difference, for the plan: "PATH: owner root:root, want
// root:prosody".
const copiesInPlace = `r=0; while [ $# -ge 3 ]; do
  if [ -L "$2" ]; then echo "$2: a symlink, want a copy of $1"; r=1
  elif [ ! -f "$2" ]; then echo "$2: missing"; r=1
  else
    cmp -s "$1" "$2" || { echo "$2: content differs from $1"; r=1; }
    s=$(stat -c '%a %U:%G' "$2"); m=${s%% *}; o=${s#* }; wm=${3%%:*}; wo=${3#*:}
    [ "$o" = "$wo" ] || { echo "$2: owner $o, want $wo"; r=1; }
    [ "$m" = "$wm" ] || { echo "$2: mode $m, want $wm"; r=1; }
  fi; shift 3; done`

// coturnReady fails when coturn's user cannot read its copies ($1, $2), or
// when coturn runs without its TLS listener on 5349: it read its
// certificate at start and has to be restarted, which the hook does.
const coturnReady = `
for f in "$1" "$2"; do runuser -u turnserver -- test -r "$f" || { echo "$f: turnserver cannot read it"; r=1; }; done
if systemctl is-active --quiet coturn && ! ss -Hltn 'sport = :5349' | grep -q .; then echo "coturn runs without its TLS listener on 5349"; r=1; fi`

// prosodyCerts gives Prosody (and coturn) the domain's certificate through
// the same deploy hook certbot runs after each renewal. auth.DOMAIN's
// certificate is never touched: Jicofo and the bridge trust it through the
// system CA store.
type prosodyCerts struct{ *env }

func (*prosodyCerts) Name() string  { return "Certificates for Prosody" }
func (*prosodyCerts) Group() string { return "configure" }

func (s *prosodyCerts) Declare(*installer.Host) ([]installer.Resource, error) {
	crt, key := certPaths(s.cfg)
	d := s.cfg.Domain
	prosody := assets.ProsodyCert(d)
	copies := []string{
		crt, prosody.Cert, "640:root:prosody",
		key, prosody.Key, "640:root:prosody",
	}
	guard := copiesInPlace + "\nexit $r"
	var rs []installer.Resource
	if s.cfg.Jitsi.Turn {
		turn := assets.TURNCert(d)
		copies = append(copies,
			crt, turn.Cert, "400:turnserver:turnserver",
			key, turn.Key, "400:turnserver:turnserver")
		guard = copiesInPlace + "\nset -- " + transport.Join([]string{turn.Cert, turn.Key}) + coturnReady + "\nexit $r"
		// Declared too, so that drift shows in plan and verify; the hook
		// sets the same, since certbot runs it without the installer.
		rs = append(rs,
			&resource.Dir{Path: path.Dir(path.Dir(turn.Cert)), Mode: 0o755},
			&resource.Dir{Path: path.Dir(turn.Cert), Mode: 0o700, Owner: "turnserver", Group: "turnserver"})
	}
	var made []string
	for i := 1; i < len(copies); i += 3 {
		made = append(made, copies[i])
	}
	return append(rs, &resource.Command{
		Name:   "deploy the certificate of " + d + " to Prosody",
		Args:   []string{assets.Dest(assets.CertbotDeployHook, d)},
		Unless: append([]string{"sh", "-c", guard, "sh"}, copies...),
		// Uninstall removes the copies, whatever state they are in.
		Undo:       append([]string{"rm", "-f", "--"}, made...),
		Made:       made,
		UndoUnless: append([]string{"sh", "-c", `for f; do [ -e "$f" ] && exit 1; done; exit 0`, "sh"}, made...),
	}), nil
}
