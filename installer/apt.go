package installer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// aptEnv makes apt and dpkg never wait at a prompt.
var aptEnv = map[string]string{"DEBIAN_FRONTEND": "noninteractive", "NEEDRESTART_MODE": "a"}

// AptUpdate is the handler that refreshes apt's lists after a source changed.
var AptUpdate = Handler{Name: "apt-get update", Cmds: [][]string{{"env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "-q", "update", "-o", "DPkg::Lock::Timeout=300"}}}

// AptKey is a repository signing key fetched on the host, checked against an
// optional fingerprint pin, and stored dearmored at Path.
type AptKey struct {
	Path        string
	URL         string
	Fingerprint string // 40 hex digits; empty means not pinned
	Proxy       string // HTTP proxy for the fetch, as apt uses; empty: direct
	Notify
}

// Key implements Resource.
func (k *AptKey) Key() string { return "apt key " + k.Path }

// keyFprs prints the fingerprints of the keys in the file named by "$1".
const keyFprs = `fprs() { g=$(mktemp -d); GNUPGHOME=$g gpg --batch --quiet --show-keys --with-colons "$1" 2>/dev/null | awk -F: '$1=="fpr"{print $10}'; rm -rf "$g"; }`

// Probe prints the fingerprints of the installed keyring, or "absent" and the
// fingerprints of the key at URL, so the plan shows what would be trusted.
func (k *AptKey) Probe() string {
	return keyFprs + fmt.Sprintf(`
if [ -s %[1]s ]; then echo present; fprs %[1]s; else echo absent; t=$(mktemp); if curl -fsSL --max-time 20 --proxy %[3]s -o "$t" %[2]s; then fprs "$t"; else echo fetch-failed; fi; rm -f "$t"; fi`, sh(k.Path), sh(k.URL), sh(k.Proxy))
}

func (k *AptKey) pin() string {
	return strings.ToUpper(strings.ReplaceAll(k.Fingerprint, " ", ""))
}

// Diff implements Resource.
func (k *AptKey) Diff(p Probed) (*Change, error) {
	lines := strings.Fields(p.Out)
	if len(lines) == 0 {
		return nil, fmt.Errorf("probe %s: no output", k.Path)
	}
	state, fprs := lines[0], lines[1:]
	if state == "present" {
		if k.pin() == "" || slices.Contains(fprs, k.pin()) {
			return nil, nil
		}
		have := strings.Join(fprs, " ")
		c := &Change{Action: ActionReplace, Details: []Detail{{Field: FieldKey, From: have, To: k.pin(), Text: fmt.Sprintf("keyring has %s, pinned %s", have, k.pin())}}}
		c.apply = k.fetch
		return c, nil
	}
	c := &Change{Action: ActionFetch, Details: []Detail{{Field: FieldKey, Name: k.URL, Text: k.URL}}}
	switch {
	case len(fprs) == 1 && fprs[0] == "fetch-failed":
		c.Warn = "the key could not be fetched from the host now; apply will try again"
	case k.pin() != "" && !slices.Contains(fprs, k.pin()):
		c.Warn = fmt.Sprintf("the key at %s has fingerprint %s, not the pinned %s: apply will refuse it", k.URL, strings.Join(fprs, " "), k.pin())
	case k.pin() != "":
		c.Details[0].To = k.pin()
		c.Details = append(c.Details, note("fingerprint %s (pinned)", k.pin()))
	default:
		c.Details[0].To = strings.Join(fprs, " ")
		c.Details = append(c.Details, note("fingerprint %s", strings.Join(fprs, " ")))
		c.Warn = "the key's fingerprint is not pinned: check it and set key_fingerprint"
	}
	c.apply = k.fetch
	c.Hint = "the host must reach " + k.URL + " (through apt's proxy when one is set); or put the key where it can, and set the key URL in the answers file"
	return c, nil
}

func (k *AptKey) fetch(ctx context.Context, h *Host) error {
	script := keyFprs + `
set -e
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
curl -fsSL --max-time 60 --proxy "$4" -o "$t/key" "$2"
if grep -q -- '-----BEGIN PGP' "$t/key"; then g=$(mktemp -d); GNUPGHOME=$g gpg --batch --quiet --dearmor -o "$t/key.gpg" "$t/key"; rm -rf "$g"; else cp "$t/key" "$t/key.gpg"; fi
if [ -n "$3" ] && ! fprs "$t/key.gpg" | grep -qx "$3"; then echo "fingerprint mismatch: the key at $2 has $(fprs "$t/key.gpg" | tr '\n' ' ')but the pin is $3" >&2; exit 1; fi
mkdir -p "$(dirname "$1")"; install -m 0644 "$t/key.gpg" "$1.tmp"; mv "$1.tmp" "$1"`
	if _, err := h.Run(ctx, "sh", "-c", script, "sh", k.Path, k.URL, k.pin(), k.Proxy); err != nil {
		return fmt.Errorf("fetch the key %s: %w", k.URL, err)
	}
	return nil
}

// Packages are Debian packages that must be installed.
type Packages struct {
	Names   []string
	Answers []Answer // in debconf for the install only
	Notify
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

const dpkgPrelude = `DPKG_STATUS="
$(dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Version}\n' 2>/dev/null)
"`

// Diff implements Resource.
func (p *Packages) Diff(pr Probed) (*Change, error) {
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
	var details []Detail
	for _, n := range p.Names {
		if _, ok := installed[n]; ok {
			continue
		}
		missing = append(missing, n)
		to := candidate[n]
		if to == "(none)" {
			to = ""
		}
		d := Detail{Field: FieldVersion, Name: n, To: to, Text: n}
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
	return &Change{Action: ActionInstall, Details: details, apply: func(ctx context.Context, h *Host) error {
		args := append([]string{"apt-get", "install", "-y", "-q", "--no-install-recommends",
			"-o", "DPkg::Lock::Timeout=300",
			"-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold"}, missing...)
		args, in := WithAnswers(p.Answers, args)
		_, err := h.run(ctx, in, aptEnv, args...)
		return err
	}}, nil
}

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
func (d *Debconf) Diff(p Probed) (*Change, error) {
	f := strings.Fields(p.Out)
	if len(f) != 2 {
		return nil, fmt.Errorf("probe debconf %s: unexpected output", d.Question)
	}
	if f[0] == "installed" || f[1] == d.want() {
		return nil, nil
	}
	shown := d.Value
	if d.Secret {
		shown = Masked
	}
	return &Change{Action: ActionPreseed, Details: []Detail{{Field: FieldValue, Name: d.Question, To: shown, Text: d.Type + " " + shown}}, apply: func(ctx context.Context, h *Host) error {
		line := fmt.Sprintf("%s %s %s %s\n", d.Package, d.Question, d.Type, d.Value)
		// The answer goes on stdin: it may be a password.
		_, err := h.run(ctx, []byte(line), nil, "debconf-set-selections")
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
func (d *DebconfForget) Diff(p Probed) (*Change, error) {
	if strings.TrimSpace(p.Out) != "stored" {
		return nil, nil
	}
	return &Change{Action: "forget", Details: []Detail{{Field: FieldValue, Name: d.Question, From: "stored", To: "cleared",
		Text: "a secret answer left in debconf's database: cleared"}},
		apply: func(ctx context.Context, h *Host) error {
			_, err := h.run(ctx, []byte("SET "+d.Question+" \n"), nil, "sh", "-c",
				`debconf-communicate >/dev/null && cd /var/cache/debconf && for f in config.dat passwords.dat; do [ ! -e "$f-old" ] || cp -p -- "$f" "$f-old"; done`)
			return err
		}}, nil
}
