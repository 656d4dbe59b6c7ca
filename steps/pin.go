package steps

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// PinFile holds every Jitsi package at the release jitsi.version names, so
// neither apt upgrade nor unattended-upgrades moves them.
const PinFile = "/etc/apt/preferences.d/jitsi-installer.pref"

const (
	factAptCache  = "pin.apt-cache"
	factInstalled = "pin.installed"
)

// JitsiPackages are the packages a host's Jitsi release consists of: the
// metapackage, what it depends on, tokens and the TURN server.
func JitsiPackages(cfg *answers.Config) []string {
	ps := []string{"jitsi-meet", "jitsi-videobridge2", "jicofo", "jitsi-meet-web", "jitsi-meet-web-config", "jitsi-meet-prosody", "jitsi-meet-tokens"}
	if cfg.Jitsi.Turn {
		ps = append(ps, "jitsi-meet-turnserver")
	}
	return ps
}

// VersionError is a jitsi.version the repository does not have.
type VersionError struct {
	Want string
	Have []string // jitsi-meet versions the repository has, newest first
}

func (e *VersionError) Error() string {
	if len(e.Have) == 0 {
		return fmt.Sprintf("jitsi.version %s: the repository has no jitsi-meet package", e.Want)
	}
	return fmt.Sprintf("jitsi.version %s: the repository has no such release of jitsi-meet; it has %s (a release published in the last 10 minutes shows after apt-get update on the host)", e.Want, strings.Join(e.Have, ", "))
}

// pin writes the apt preferences that hold the Jitsi packages at the
// release jitsi.version names, with the exact versions the jitsi-meet
// metapackage of that release depends on.
type pin struct{ *env }

func (*pin) Name() string { return "Jitsi version pin" }

func (s *pin) Queries(*installer.Host) []installer.Query {
	pkgs := JitsiPackages(s.cfg)
	// A release newer than the host's package lists: read the repository
	// again, once, before saying it does not exist.
	refresh := ""
	if v := s.cfg.Jitsi.Version; v != answers.VersionLatest {
		// Not more often than every 10 minutes: status asks this too.
		refresh = fmt.Sprintf(`if [ -e %s ] && ! apt-cache show jitsi-meet 2>/dev/null | grep -qE '^Version: (%s|%s-[^-]*)$' && [ -z "$(find /var/lib/apt/lists/ -maxdepth 1 -name '*Packages' -mmin -10 2>/dev/null | head -n1)" ]; then apt-get -q update -o DPkg::Lock::Timeout=60 >/dev/null 2>&1; fi; `,
			jitsiList, regexp.QuoteMeta(v), regexp.QuoteMeta(v))
	}
	return []installer.Query{
		{Name: aptCacheFact.Name, Args: append([]string{"sh", "-c", refresh + `apt-cache show "$@" 2>/dev/null; true`, "sh"}, pkgs...)},
		{Name: installedFact.Name, Args: append([]string{"dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"}, pkgs...)},
		pinsFact.Query(),
	}
}

func (s *pin) Declare(h *installer.Host) ([]installer.Resource, error) {
	versions, err := s.pinVersions(h)
	if err != nil {
		return nil, err
	}
	if versions == nil {
		return nil, installer.Skip("the repository is not read yet: the versions are pinned once it is")
	}
	return []installer.Resource{&resource.File{Path: PinFile, Mode: 0o644, Content: pinFile(s.cfg.Jitsi.Version, versions, JitsiPackages(s.cfg))}}, nil
}

// pinVersions is what jitsi.version means on h, from the facts the pin step
// asks: package to version, nil while the repository is not read yet.
func (e *env) pinVersions(h *installer.Host) (map[string]string, error) {
	return ResolvePins(e.cfg.Jitsi.Version, JitsiPackages(e.cfg),
		aptCacheFact.Get(h), installedFact.Get(h), pinsFact.Get(h))
}

// pinned returns the versions the pin step holds h's packages at, in
// package order.
func (e *env) pinned(h *installer.Host) ([]resource.PackageVersion, error) {
	versions, err := e.pinVersions(h)
	if err != nil {
		return nil, err
	}
	var out []resource.PackageVersion
	for _, p := range JitsiPackages(e.cfg) {
		if v := versions[p]; v != "" {
			out = append(out, resource.PackageVersion{Name: p, Version: v})
		}
	}
	return out, nil
}

func pinFile(want string, versions map[string]string, pkgs []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Managed by jitsi-installer: jitsi.version %s (jitsi-meet %s).\n", want, versions["jitsi-meet"])
	b.WriteString("# apt upgrade and unattended-upgrades keep these packages at these versions;\n# change jitsi.version in the answers file to move them.\n")
	for _, p := range pkgs {
		if v := versions[p]; v != "" {
			fmt.Fprintf(&b, "\nPackage: %s\nPin: version %s\nPin-Priority: 1001\n", p, v)
		}
	}
	return []byte(b.String())
}

// The pin step's facts. The queries of the repository's and dpkg's name
// the answers' packages: the step builds them, with the facts' names.
var (
	aptCacheFact = &installer.Fact[[]map[string]string]{Name: factAptCache,
		Parse: func(out string, _ int) []map[string]string { return parseStanzas(out) }}
	installedFact = &installer.Fact[map[string]string]{Name: factInstalled,
		Parse: func(out string, _ int) map[string]string { return installedVersions(out) }}
	// pinsFact is PinFile, package to pinned version; status reads it too.
	pinsFact = &installer.Fact[map[string]string]{Name: qPins, Args: []string{"cat", PinFile},
		Parse: func(out string, _ int) map[string]string { return ParsePins(out) }}
)

// ParsePins reads PinFile: package to pinned version.
func ParsePins(s string) map[string]string {
	pins := map[string]string{}
	for _, st := range parseStanzas(s) {
		if v, ok := strings.CutPrefix(st["Pin"], "version "); ok && st["Package"] != "" {
			pins[st["Package"]] = strings.TrimSpace(v)
		}
	}
	return pins
}

// parseStanzas splits deb822 text (apt-cache show, preferences) into
// paragraphs of fields; continuation lines are dropped.
func parseStanzas(s string) []map[string]string {
	var out []map[string]string
	cur := map[string]string{}
	for _, l := range strings.Split(s+"\n", "\n") {
		switch {
		case strings.TrimSpace(l) == "":
			if len(cur) > 0 {
				out = append(out, cur)
				cur = map[string]string{}
			}
		case l[0] == ' ' || l[0] == '\t' || l[0] == '#':
		default:
			if k, v, ok := strings.Cut(l, ":"); ok {
				cur[k] = strings.TrimSpace(v)
			}
		}
	}
	return out
}

func installedVersions(s string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		f := strings.Split(l, "\t")
		if len(f) == 3 && strings.HasPrefix(f[2], "ii") {
			m[f[0]] = f[1]
		}
	}
	return m
}

// relation is one entry of a Depends field: name (op version).
var relation = regexp.MustCompile(`^\s*([a-z0-9][a-z0-9+.-]*)(?::[a-z0-9]+)?\s*(?:\(\s*(<<|<=|=|>=|>>)\s*([^)\s]+)\s*\))?`)

// ResolvePins maps jitsi.version to the exact version of every package, as
// apt would install that jitsi-meet: from the release's jitsi-meet stanza's
// Pre-Depends and Depends (exact versions, as upstream's metapackage names
// them; a dependency without one gets the component's release as many
// releases back as jitsi-meet's); packages it does not name (tokens, the
// TURN server) at the version of jitsi-meet-prosody, which comes from the
// same source. latest is the installed release, or the newest. It returns nil
// when the repository's packages are not known yet (a fresh host).
func ResolvePins(want string, pkgs []string, cache []map[string]string, installed, current map[string]string) (map[string]string, error) {
	byPkg := map[string][]map[string]string{}
	for _, st := range cache {
		if n := st["Package"]; n != "" && st["Version"] != "" {
			byPkg[n] = append(byPkg[n], st)
		}
	}
	for _, sts := range byPkg {
		sort.SliceStable(sts, func(i, j int) bool { return compareVersions(sts[i]["Version"], sts[j]["Version"]) > 0 })
	}
	metas := byPkg["jitsi-meet"]
	var have []string
	for _, st := range metas {
		if !slices.Contains(have, st["Version"]) {
			have = append(have, st["Version"])
		}
	}
	target := ""
	switch {
	case want != answers.VersionLatest:
		for _, v := range have {
			if v == want || upstreamVersion(v) == want {
				target = v
				break
			}
		}
		if target == "" && (installed["jitsi-meet"] == want || upstreamVersion(installed["jitsi-meet"]) == want) {
			return copyVersions(pkgs, installed), nil
		}
		if target == "" {
			if len(metas) == 0 && installed["jitsi-meet"] == "" {
				return nil, nil
			}
			return nil, &VersionError{Want: want, Have: have}
		}
	case installed["jitsi-meet"] != "":
		target = installed["jitsi-meet"]
		if !slices.Contains(have, target) {
			return copyVersions(pkgs, installed), nil
		}
	case current["jitsi-meet"] != "" && slices.Contains(have, current["jitsi-meet"]):
		target = current["jitsi-meet"]
	case len(have) > 0:
		target = have[0]
	default:
		return nil, nil
	}
	var meta map[string]string
	for _, st := range metas {
		if st["Version"] == target {
			meta = st
			break
		}
	}
	versions := map[string]string{"jitsi-meet": target}
	for _, field := range []string{"Pre-Depends", "Depends"} {
		for _, alt := range strings.Split(meta[field], ",") {
			m := relation.FindStringSubmatch(strings.Split(alt, "|")[0])
			if m == nil || !slices.Contains(pkgs, m[1]) {
				continue
			}
			if m[2] == "" {
				// Upstream's metapackage names exact versions; without
				// them, the component of the same release: as many
				// releases back as jitsi-meet is.
				versions[m[1]] = sameRelease(byPkg[m[1]], slices.Index(have, target))
				continue
			}
			versions[m[1]] = pick(byPkg[m[1]], m[2], m[3])
		}
	}
	for _, p := range pkgs {
		if versions[p] != "" {
			continue
		}
		// Built from jitsi-meet's source: the same version as its siblings.
		if sib := versions["jitsi-meet-prosody"]; sib != "" && hasVersion(byPkg[p], sib) {
			versions[p] = sib
			continue
		}
		versions[p] = pick(byPkg[p], "", "")
	}
	for p, v := range versions {
		if v == "" {
			delete(versions, p)
		}
	}
	return versions, nil
}

func copyVersions(pkgs []string, installed map[string]string) map[string]string {
	out := map[string]string{}
	for _, p := range pkgs {
		if v := installed[p]; v != "" {
			out[p] = v
		}
	}
	return out
}

// sameRelease is the version n releases back among sts (newest first),
// the oldest when there are fewer.
func sameRelease(sts []map[string]string, n int) string {
	var vs []string
	for _, st := range sts {
		if !slices.Contains(vs, st["Version"]) {
			vs = append(vs, st["Version"])
		}
	}
	if len(vs) == 0 {
		return ""
	}
	return vs[min(max(n, 0), len(vs)-1)]
}

func hasVersion(sts []map[string]string, v string) bool {
	return slices.ContainsFunc(sts, func(st map[string]string) bool { return st["Version"] == v })
}

// pick is the newest version among sts (sorted newest first) that
// satisfies op version, as apt would choose; "" when none does.
func pick(sts []map[string]string, op, ver string) string {
	for _, st := range sts {
		v := st["Version"]
		c := compareVersions(v, ver)
		ok := true
		switch op {
		case "=":
			ok = c == 0
		case ">=":
			ok = c >= 0
		case "<=":
			ok = c <= 0
		case ">>":
			ok = c > 0
		case "<<":
			ok = c < 0
		}
		if ok {
			return v
		}
	}
	if op == "=" {
		return ver // not in the lists: apt will say so when installing
	}
	return ""
}
