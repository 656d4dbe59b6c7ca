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
// stand-in only has to load: each becomes a module that does nothing.
var noopModules = []string{
	"av_moderation", "av_moderation_component", "client_proxy",
	"conference_duration", "conference_duration_component", "end_conference",
	"limits_exception", "muc_breakout_rooms", "muc_domain_mapper",
	"muc_lobby_rooms", "muc_password_check", "muc_rate_limit", "polls",
	"room_metadata", "room_metadata_component", "speakerstats",
	"speakerstats_component",
}

const pluginDir = "usr/share/jitsi-meet/prosody-plugins"

const noopModule = `-- Stand-in for Jitsi's mod_%s: Prosody loads it, and it changes nothing.
module:log("debug", "stand-in module %%s loaded; it does nothing", module.name);
`

// release is one suite of the repository. Every suite has every package of
// pkgs/; an older release gives them lower versions and an older token plugin.
type release struct {
	suite    string
	versions map[string]string // instead of the control files' Version
	// noJWKS: the token plugin predates cache_keys_url (see preJWKS).
	noJWKS bool
}

// releases are built in this order; Suite first. They are not part of the
// source hash: bump buildFormat when they change.
var releases = []release{
	{suite: Suite},
	{suite: OldSuite, noJWKS: true, versions: map[string]string{
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

// Packages lists the stand-in packages of Suite.
func Packages() ([]Package, error) { return releases[0].packages() }

// OldPackages lists the stand-in packages of OldSuite.
func OldPackages() ([]Package, error) { return releases[1].packages() }

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
		switch {
		case isMaintScript(rel):
			b = bytes.Replace(b, []byte(libMarker), lib, 1)
		case rel == "DEBIAN/control":
			b = versionRE.ReplaceAll(b, []byte("${1}"+p.Version))
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

const (
	jwkLib  = pluginDir + "/token/jwk.lib.lua"
	utilLib = pluginDir + "/token/util.lib.lua"
)

// preJWKS turns the token library into that of a release before JWKS
// support: the key code token/jwk.lib.lua holds is built in, as it was then,
// and cache_keys_url is not an option it reads, so keys come only from
// asap_key_server (BASE/hex(sha256(kid)).pem).
func preJWKS(util []byte) ([]byte, error) {
	jwk, err := sources.ReadFile(path.Join("pkgs/jitsi-meet-prosody", jwkLib))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", jwkLib, err)
	}
	s := string(util)
	for _, e := range [][2]string{
		{`local jwk = module:require "token/jwk";`, "local jwk = (function()\n" + string(jwk) + "end)();"},
		{`    self.cache_keys_url = module:get_option_string("cache_keys_url");` + "\n", ""},
		{`'app_secret', 'asap_key_server' or 'cache_keys_url' must be specified`, `'app_secret' or 'asap_key_server' must be specified`},
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
	for _, r := range releases {
		if err := writeSuite(ctx, repo, strings.TrimSuffix(r.suite, "/"), g, fpr); err != nil {
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
