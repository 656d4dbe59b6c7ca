package standin

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Package is one stand-in package.
type Package struct {
	Name    string
	Version string
}

// libMarker is replaced by pkgs/common/lib.sh in maintainer scripts.
const libMarker = "#STANDIN_LIB#"

// shared files are written into more than one package.
var shared = map[string][][2]string{
	"jicofo":             {{"common/daemon.py", "usr/share/jicofo/jicofo.py"}},
	"jitsi-videobridge2": {{"common/daemon.py", "usr/share/jitsi-videobridge/jvb.py"}},
}

// noopModules are Prosody modules that Jitsi's Prosody config names and the
// stand-in only has to load: each becomes a module that does nothing. These
// are the current upstream names (the polls, speaker stats, A/V moderation
// and room metadata features are *_component modules now); a config that
// still names a module upstream removed fails to load it, as upstream.
var noopModules = []string{
	"av_moderation_component", "conference_duration", "end_conference",
	"features_identity", "filesharing_component", "limits_exception",
	"muc_breakout_rooms", "muc_domain_mapper", "muc_hide_all",
	"muc_lobby_rooms", "muc_password_whitelist", "muc_rate_limit",
	"polls_component", "room_metadata_component", "speakerstats_component",
}

const pluginDir = "usr/share/jitsi-meet/prosody-plugins"

const noopModule = `-- Stand-in for Jitsi's mod_%s: Prosody loads it, and it changes nothing.
module:log("debug", "stand-in module %%s loaded; it does nothing", module.name);
`

// release is one release of the packages, in one suite of the repository.
// Every release has every package of pkgs/.
type release struct {
	suite    string
	versions map[string]string // instead of the control files' Version
	// previous: a release before the newest one; the lines of its sources
	// marked as added in the newest release are left out (see sinceNext).
	previous bool
	// noJWKS: the token plugin predates cache_keys_url (see preJWKS).
	noJWKS bool
}

// releases: the newest first (the control files' versions), then the one
// before it in the same suite, then the older suite. They are not part of
// the source hash: bump buildFormat when they change.
var releases = []release{
	{suite: Suite},
	{suite: Suite, previous: true, versions: map[string]string{
		"jicofo":                "1.0-1100-1",
		"jitsi-meet":            "2.0.10078-1",
		"jitsi-meet-prosody":    "1.0.8542-1",
		"jitsi-meet-tokens":     "1.0.8542-1",
		"jitsi-meet-turnserver": "1.0.8542-1",
		"jitsi-meet-web":        "1.0.8542-1",
		"jitsi-meet-web-config": "1.0.8542-1",
		"jitsi-videobridge2":    "2.3-200-g1c5e9d1f-1",
	}},
	{suite: OldSuite, previous: true, noJWKS: true, versions: map[string]string{
		"jicofo":                "1.0-1062-1",
		"jitsi-meet":            "2.0.9258-1",
		"jitsi-meet-prosody":    "1.0.7762-1",
		"jitsi-meet-tokens":     "1.0.7762-1",
		"jitsi-meet-turnserver": "1.0.7762-1",
		"jitsi-meet-web":        "1.0.7762-1",
		"jitsi-meet-web-config": "1.0.7762-1",
		"jitsi-videobridge2":    "2.3-92-g64a4b6c0-1",
	}},
}

// Release is one release of the stand-in packages.
type Release struct {
	// Suite is the repository suite holding it: Suite or OldSuite.
	Suite string
	// Packages are its packages and their versions.
	Packages []Package
}

// Version returns the version of package name in the release, or "".
func (r Release) Version(name string) string {
	for _, p := range r.Packages {
		if p.Name == name {
			return p.Version
		}
	}
	return ""
}

// Releases lists every release in the repository, newest first: Suite's
// newest (apt's candidate), Suite's previous one (install it with
// "apt-get install PKG=VERSION" to test an upgrade to the newest), and
// OldSuite's.
func Releases() ([]Release, error) {
	var out []Release
	for _, r := range releases {
		pkgs, err := r.packages()
		if err != nil {
			return nil, err
		}
		out = append(out, Release{Suite: r.suite, Packages: pkgs})
	}
	return out, nil
}

// Packages lists the newest stand-in packages of Suite, apt's candidates.
func Packages() ([]Package, error) { return releases[0].packages() }

// PreviousPackages lists the stand-in packages of Suite's previous release.
func PreviousPackages() ([]Package, error) { return releases[1].packages() }

// OldPackages lists the stand-in packages of OldSuite.
func OldPackages() ([]Package, error) { return releases[2].packages() }

func (r release) packages() ([]Package, error) {
	names, err := packageNames()
	if err != nil {
		return nil, err
	}
	var pkgs []Package
	for _, n := range names {
		control, err := sources.ReadFile(path.Join("pkgs", n, "DEBIAN/control"))
		if err != nil {
			return nil, fmt.Errorf("read control of %s: %w", n, err)
		}
		v := controlField(control, "Version")
		if o, ok := r.versions[n]; ok {
			v = o
		}
		pkgs = append(pkgs, Package{Name: n, Version: v})
	}
	return pkgs, nil
}

func packageNames() ([]string, error) {
	entries, err := sources.ReadDir("pkgs")
	if err != nil {
		return nil, fmt.Errorf("read package sources: %w", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "common" {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func controlField(control []byte, name string) string {
	sc := bufio.NewScanner(bytes.NewReader(control))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// buildDebs writes every package of release r as a .deb into out.
func buildDebs(ctx context.Context, r release, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	tmp, err := os.MkdirTemp("", "standin-debs-")
	if err != nil {
		return fmt.Errorf("package trees: %w", err)
	}
	defer os.RemoveAll(tmp)
	pkgs, err := r.packages()
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		root := filepath.Join(tmp, p.Name)
		if err := r.writeTree(p, root); err != nil {
			return err
		}
		deb := filepath.Join(out, fmt.Sprintf("%s_%s_all.deb", p.Name, p.Version))
		cmd := exec.CommandContext(ctx, "dpkg-deb", "--root-owner-group", "-Zxz", "--build", root, deb)
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("dpkg-deb --build %s: %w: %s", p.Name, err, strings.TrimSpace(string(msg)))
		}
	}
	return nil
}

// writeTree writes package p's file tree, as release r has it, under root.
func (r release) writeTree(p Package, root string) error {
	name := p.Name
	lib, err := sources.ReadFile("pkgs/common/lib.sh")
	if err != nil {
		return fmt.Errorf("read lib.sh: %w", err)
	}
	src := path.Join("pkgs", name)
	err = fs.WalkDir(sources, src, func(fp string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(fp, src+"/")
		b, err := sources.ReadFile(fp)
		if err != nil {
			return err
		}
		if b, err = sinceNext(fp, b, !r.previous); err != nil {
			return err
		}
		switch {
		case isMaintScript(rel):
			b = bytes.Replace(b, []byte(libMarker), lib, 1)
		case rel == "DEBIAN/control":
			b = versionRE.ReplaceAll(b, []byte("${1}"+p.Version))
			if b, err = r.exactVersions(b); err != nil {
				return fmt.Errorf("%s control: %w", name, err)
			}
		case r.noJWKS && rel == jwkLib:
			return nil
		case r.noJWKS && rel == utilLib:
			if b, err = preJWKS(b); err != nil {
				return err
			}
		}
		return writeFile(root, rel, b)
	})
	if err != nil {
		return fmt.Errorf("write %s tree: %w", name, err)
	}
	for _, f := range shared[name] {
		b, err := sources.ReadFile(path.Join("pkgs", f[0]))
		if err != nil {
			return fmt.Errorf("read %s: %w", f[0], err)
		}
		b = bytes.ReplaceAll(b, []byte(versionMarker), []byte(upstreamVersion(p.Version)))
		if err := writeFile(root, f[1], b); err != nil {
			return fmt.Errorf("write %s tree: %w", name, err)
		}
	}
	if name == "jitsi-meet-prosody" {
		for _, m := range noopModules {
			body := fmt.Sprintf(noopModule, m)
			if err := writeFile(root, path.Join(pluginDir, "mod_"+m+".lua"), []byte(body)); err != nil {
				return fmt.Errorf("write %s tree: %w", name, err)
			}
		}
	}
	return nil
}

var versionRE = regexp.MustCompile(`(?m)^(Version: ).*$`)

// versionOf is ${version:NAME} in a control file: NAME's version in the same
// release. Upstream's metapackage depends on exact versions of the
// components it was built with, so apt installs a release whole or not at
// all.
var versionOf = regexp.MustCompile(`\$\{version:([a-z0-9.+-]+)\}`)

// exactVersions fills in control's ${version:NAME} from release r.
func (r release) exactVersions(control []byte) ([]byte, error) {
	if !versionOf.Match(control) {
		return control, nil
	}
	pkgs, err := r.packages()
	if err != nil {
		return nil, err
	}
	rel := Release{Suite: r.suite, Packages: pkgs}
	var missing []string
	out := versionOf.ReplaceAllFunc(control, func(m []byte) []byte {
		name := string(versionOf.FindSubmatch(m)[1])
		if v := rel.Version(name); v != "" {
			return []byte(v)
		}
		missing = append(missing, name)
		return m
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no package %s in the release", strings.Join(missing, ", "))
	}
	return out, nil
}

// versionMarker in a shared file becomes the package's upstream version.
const versionMarker = "__STANDIN_VERSION__"

// upstreamVersion drops the Debian revision: 1.0-1100-1 -> 1.0-1100.
func upstreamVersion(v string) string {
	if i := strings.LastIndex(v, "-"); i > 0 {
		return v[:i]
	}
	return v
}

// Lines between these markers (and the marker lines) were added in the
// newest release; a previous release leaves them out.
const (
	nextBegin = "#STANDIN_SINCE_NEXT_BEGIN#"
	nextEnd   = "#STANDIN_SINCE_NEXT_END#"
)

// sinceNext removes the marker lines from file b and, unless keep, the
// blocks between them: what the newest release added.
func sinceNext(name string, b []byte, keep bool) ([]byte, error) {
	if !bytes.Contains(b, []byte(nextBegin)) && !bytes.Contains(b, []byte(nextEnd)) {
		return b, nil
	}
	var out []string
	in := false
	for _, line := range strings.SplitAfter(string(b), "\n") {
		switch strings.TrimSpace(line) {
		case nextBegin, "-- " + nextBegin:
			if in {
				return nil, fmt.Errorf("%s: nested %s", name, nextBegin)
			}
			in = true
			continue
		case nextEnd, "-- " + nextEnd:
			if !in {
				return nil, fmt.Errorf("%s: %s without %s", name, nextEnd, nextBegin)
			}
			in = false
			continue
		}
		if !in || keep {
			out = append(out, line)
		}
	}
	if in {
		return nil, fmt.Errorf("%s: %s is not closed", name, nextBegin)
	}
	return []byte(strings.Join(out, "")), nil
}

const (
	jwkLib  = pluginDir + "/token/jwk.lib.lua"
	utilLib = pluginDir + "/token/util.lib.lua"
)

// preJWKS turns the token library into that of a release before JWKS
// support: it does not load token/jwk.lib.lua (absent then) and does not
// read cache_keys_url, so keys come only from asap_key_server
// (BASE/hex(sha256(kid)).pem), and a config with a JWKS URL alone has no
// key source.
func preJWKS(util []byte) ([]byte, error) {
	s := string(util)
	for _, e := range [][2]string{
		{`local jwk_to_pem = module:require "token/jwk".jwk_to_pem;`, `local jwk_to_pem = nil;`},
		{`	self.cacheKeysUrl = module:get_option_string("cache_keys_url");` + "\n", ""},
		{`'app_secret', 'asap_key_server or 'cacheKeysUrl' must be specified`, `'app_secret' or 'asap_key_server' must be specified`},
	} {
		if strings.Count(s, e[0]) != 1 {
			return nil, fmt.Errorf("%s: no single %q to replace for a release without JWKS", utilLib, e[0])
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	return []byte("-- A release before JWKS support: keys only from asap_key_server.\n" + s), nil
}

func isMaintScript(rel string) bool {
	switch rel {
	case "DEBIAN/config", "DEBIAN/preinst", "DEBIAN/postinst", "DEBIAN/prerm", "DEBIAN/postrm":
		return true
	}
	return false
}

// writeFile writes rel under root with the mode dpkg expects for it.
func writeFile(root, rel string, b []byte) error {
	mode := os.FileMode(0o644)
	if isMaintScript(rel) || strings.HasSuffix(rel, ".py") {
		mode = 0o755
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, b, mode); err != nil {
		return err
	}
	// WriteFile's mode is masked by the umask.
	return os.Chmod(p, mode)
}

// writeIndices writes the flat repository's indices in each suite's
// directory, signs them, and exports the public key.
func writeIndices(ctx context.Context, repo string, g *gpg, fpr string) error {
	for _, suite := range []string{Suite, OldSuite} {
		if err := writeSuite(ctx, repo, strings.TrimSuffix(suite, "/"), g, fpr); err != nil {
			return err
		}
	}
	return g.exportPublic(ctx, fpr, filepath.Join(repo, KeyFile))
}

func writeSuite(ctx context.Context, repo, suite string, g *gpg, fpr string) error {
	dir := filepath.Join(repo, suite)
	// Run from the repository root so Filename is "SUITE/NAME.deb", relative
	// to the URL in the sources line, as a flat repository needs.
	packages, err := output(ctx, repo, "apt-ftparchive", "packages", suite)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "Packages"), packages, 0o644); err != nil {
		return fmt.Errorf("write %s Packages: %w", suite, err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(packages)
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip %s Packages: %w", suite, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Packages.gz"), gz.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s Packages.gz: %w", suite, err)
	}
	release, err := output(ctx, dir, "apt-ftparchive",
		"-o", "APT::FTPArchive::Release::Origin=jitsi.org",
		"-o", "APT::FTPArchive::Release::Label=Jitsi Debian packages repository (stand-in)",
		"release", ".")
	if err != nil {
		return err
	}
	rel := filepath.Join(dir, "Release")
	if err := os.WriteFile(rel, release, 0o644); err != nil {
		return fmt.Errorf("write %s Release: %w", suite, err)
	}
	return g.sign(ctx, fpr, rel)
}

func output(ctx context.Context, dir, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
