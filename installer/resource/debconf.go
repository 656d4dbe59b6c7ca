package resource

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// Debconf is a preseeded answer to a package's question. An answer only
// matters when the package is installed, so it is converged once Package is.
type Debconf struct {
	Package  string // the package whose install reads the answer
	Question string // jitsi-videobridge/jvb-hostname
	Type     string // string, password, boolean, select
	Value    string
	Secret   bool
}

// Key implements Resource.
func (d *Debconf) Key() string { return "debconf " + d.Question }

// Probe prints whether Package is installed and, when not, a hash of the
// stored answer as debconf-communicate would give it ("0 VALUE"), read from
// debconf's database files: debconf itself is a slow perl start.
func (d *Debconf) Probe() string {
	return fmt.Sprintf(`case "$DPKG_STATUS" in *"
"%s" ii "*) echo installed -;; *) echo missing
awk -v q=%s %s /var/cache/debconf/config.dat /var/cache/debconf/passwords.dat 2>/dev/null | sed 's/ *$//' | sha256sum | cut -d' ' -f1;; esac`, sh(d.Package), sh(d.Question), sh(debconfValue))
}

// debconfValue is an awk program that prints "0 VALUE", the answer
// debconf's database files hold for question q (as debconf-communicate's
// GET says it), read from the files: debconf-communicate takes debconf's
// lock, and the probes of one batch run side by side.
const debconfValue = `BEGIN{RS=""; FS="\n"} {n=""; v=""; for (i = 1; i <= NF; i++) { if ($i ~ /^Name: /) n = substr($i, 7); if ($i ~ /^Value: /) v = substr($i, 8) } if (n == q && v != "") val = v} END{printf "0 %s", val}`

// Prelude implements Preluder.
func (d *Debconf) Prelude() string { return dpkgPrelude }

func (d *Debconf) want() string { return valueHash(d.Value) }

// valueHash is what a Debconf probe prints for an answer of value v: the
// probes compare hashes, so no secret travels back from the host.
func valueHash(v string) string {
	s := sha256.Sum256([]byte(strings.TrimRight("0 "+v, " ")))
	return hex.EncodeToString(s[:])
}

// Diff implements Resource.
func (d *Debconf) Diff(p installer.Probed) (*installer.Change, error) {
	f := strings.Fields(p.Out)
	if len(f) != 2 {
		return nil, fmt.Errorf("probe debconf %s: unexpected output", d.Question)
	}
	if f[0] == "installed" || f[1] == d.want() {
		return nil, nil
	}
	shown := d.Value
	if d.Secret {
		shown = installer.Masked
	}
	return &installer.Change{Action: installer.ActionPreseed, Details: []installer.Detail{{Field: installer.FieldValue, Name: d.Question, To: shown, Text: d.Type + " " + shown}}, Apply: func(ctx context.Context, h *installer.Host) error {
		line := fmt.Sprintf("%s %s %s %s\n", d.Package, d.Question, d.Type, d.Value)
		// The answer goes on stdin: it may be a password.
		_, err := h.RunWith(ctx, []byte(line), nil, "debconf-set-selections")
		return err
	}}, nil
}

// DebconfForget clears a secret answer left in debconf's database: by a
// package operation cut short (see Answer), by a package that stored it
// again outside one, or by an earlier installer that kept it. Debconf keeps
// answers in /var/cache/debconf/config.dat (world-readable; questions of
// type string) and passwords.dat, and the previous version of each in
// *-old. Only Value counts: an answer a package stored itself (a random one
// of its own, which nothing of ours uses) is not ours to clear.
type DebconfForget struct {
	Question string
	Value    string // the secret
}

// Key implements Resource.
func (d *DebconfForget) Key() string { return "debconf forget " + d.Question }

// Probe prints "stored" when the answer is in debconf's database or its
// backups, else "clear". Hashes are compared: the secret is not sent.
func (d *DebconfForget) Probe() string {
	return fmt.Sprintf(`stored=clear
for f in config.dat passwords.dat config.dat-old passwords.dat-old; do
	[ "$(awk -v q=%[1]s %[2]s "/var/cache/debconf/$f" 2>/dev/null | sed 's/ *$//' | sha256sum | cut -d' ' -f1)" != %[3]s ] || stored=stored
done
echo "$stored"`, sh(d.Question), sh(debconfValue), valueHash(d.Value))
}

// Diff implements Resource.
func (d *DebconfForget) Diff(p installer.Probed) (*installer.Change, error) {
	if strings.TrimSpace(p.Out) != "stored" {
		return nil, nil
	}
	return &installer.Change{Action: "forget", Details: []installer.Detail{{Field: installer.FieldValue, Name: d.Question, From: "stored", To: "cleared",
		Text: "a secret answer left in debconf's database: cleared"}},
		Apply: func(ctx context.Context, h *installer.Host) error {
			_, err := h.RunWith(ctx, []byte("SET "+d.Question+" \n"), nil, "sh", "-c",
				`debconf-communicate >/dev/null && cd /var/cache/debconf && for f in config.dat passwords.dat; do [ ! -e "$f-old" ] || cp -p -- "$f" "$f-old"; done`)
			return err
		}}, nil
}
