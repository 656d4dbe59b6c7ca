package resource

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
)

// AptKey is a repository signing key fetched on the host, checked against an
// optional fingerprint pin, and stored dearmored at Path.
type AptKey struct {
	Path        string
	URL         string
	Fingerprint string // 40 hex digits; empty means not pinned
	Proxy       string // HTTP proxy for the fetch, as apt uses; empty: direct
	installer.Notify
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
func (k *AptKey) Diff(p installer.Probed) (*installer.Change, error) {
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
		c := &installer.Change{Action: installer.ActionReplace, Details: []installer.Detail{{Field: installer.FieldKey, From: have, To: k.pin(), Text: fmt.Sprintf("keyring has %s, pinned %s", have, k.pin())}}}
		c.Apply = k.fetch
		return c, nil
	}
	c := &installer.Change{Action: installer.ActionFetch, Details: []installer.Detail{{Field: installer.FieldKey, Name: k.URL, Text: k.URL}}}
	switch {
	case len(fprs) == 1 && fprs[0] == "fetch-failed":
		c.Warn = "the key could not be fetched from the host now; apply will try again"
	case k.pin() != "" && !slices.Contains(fprs, k.pin()):
		c.Warn = fmt.Sprintf("the key at %s has fingerprint %s, not the pinned %s: apply will refuse it", k.URL, strings.Join(fprs, " "), k.pin())
	case k.pin() != "":
		c.Details[0].To = k.pin()
		c.Details = append(c.Details, installer.Note("fingerprint %s (pinned)", k.pin()))
	default:
		c.Details[0].To = strings.Join(fprs, " ")
		c.Details = append(c.Details, installer.Note("fingerprint %s", strings.Join(fprs, " ")))
		c.Warn = "the key's fingerprint is not pinned: check it and set key_fingerprint"
	}
	c.Apply = k.fetch
	c.Hint = "the host must reach " + k.URL + " (through apt's proxy when one is set); or put the key where it can, and set the key URL in the answers file"
	return c, nil
}

func (k *AptKey) fetch(ctx context.Context, h *installer.Host) error {
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
