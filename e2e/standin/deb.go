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

// Packages lists the stand-in packages.
func Packages() ([]Package, error) {
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
		pkgs = append(pkgs, Package{Name: n, Version: controlField(control, "Version")})
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

// buildDebs writes every package's .deb into out.
func buildDebs(ctx context.Context, out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	tmp, err := os.MkdirTemp("", "standin-debs-")
	if err != nil {
		return fmt.Errorf("package trees: %w", err)
	}
	defer os.RemoveAll(tmp)
	pkgs, err := Packages()
	if err != nil {
		return err
	}
	for _, p := range pkgs {
		root := filepath.Join(tmp, p.Name)
		if err := writeTree(p.Name, root); err != nil {
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

// writeTree writes package name's file tree under root.
func writeTree(name, root string) error {
	lib, err := sources.ReadFile("pkgs/common/lib.sh")
	if err != nil {
		return fmt.Errorf("read lib.sh: %w", err)
	}
	src := path.Join("pkgs", name)
	err = fs.WalkDir(sources, src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, src+"/")
		b, err := sources.ReadFile(p)
		if err != nil {
			return err
		}
		if isMaintScript(rel) {
			b = bytes.Replace(b, []byte(libMarker), lib, 1)
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

// writeIndices writes the flat repository's indices in repo/stable, signs
// them, and exports the public key.
func writeIndices(ctx context.Context, repo string, g *gpg, fpr string) error {
	stable := filepath.Join(repo, "stable")
	// Run from the repository root so Filename is "stable/NAME.deb", relative
	// to the URL in the sources line, as a flat repository needs.
	packages, err := output(ctx, repo, "apt-ftparchive", "packages", "stable")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(stable, "Packages"), packages, 0o644); err != nil {
		return fmt.Errorf("write Packages: %w", err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(packages)
	if err := zw.Close(); err != nil {
		return fmt.Errorf("gzip Packages: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stable, "Packages.gz"), gz.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write Packages.gz: %w", err)
	}
	release, err := output(ctx, stable, "apt-ftparchive",
		"-o", "APT::FTPArchive::Release::Origin=jitsi.org",
		"-o", "APT::FTPArchive::Release::Label=Jitsi Debian packages repository (stand-in)",
		"release", ".")
	if err != nil {
		return err
	}
	rel := filepath.Join(stable, "Release")
	if err := os.WriteFile(rel, release, 0o644); err != nil {
		return fmt.Errorf("write Release: %w", err)
	}
	if err := g.sign(ctx, fpr, rel); err != nil {
		return err
	}
	return g.exportPublic(ctx, fpr, filepath.Join(repo, KeyFile))
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
