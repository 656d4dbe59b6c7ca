// Package standin builds a local, signed apt repository that stands in for
// Jitsi's (download.jitsi.org is out of reach of the sandbox targets). Its
// packages have the real names, dependencies, debconf questions, users,
// files and systemd units; README.md says where they differ from the real
// ones.
package standin

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Suite is the flat-repository suite, as in Jitsi's
// "deb [signed-by=...] URL stable/".
const Suite = "stable/"

// OldSuite is an older release of the same packages, from before Jitsi's
// token plugin read a JWKS: jitsi-meet-prosody has no token/jwk.lib.lua and
// mod_auth_token reads keys only from asap_key_server.
const OldSuite = "oldstable/"

// KeyFile is the armored public key's name in Repo.Dir, as Jitsi serves
// https://download.jitsi.org/jitsi-key.gpg.key.
const KeyFile = "jitsi-key.gpg.key"

// HostPackages are the Debian packages BuildRepo needs on the machine that
// builds the repository (dpkg-deb comes with dpkg).
var HostPackages = []string{"apt-utils", "gnupg", "gpgv"}

// buildFormat is part of the cache key: change it when the way a repository
// is built from the same sources changes.
const buildFormat = "standin-repo-4"

//go:embed all:pkgs
var sources embed.FS

// Repo is a built repository.
type Repo struct {
	// Dir is the repository root: serve it with http.FileServer. It holds
	// Suite and OldSuite (each with Packages, Packages.gz, Release,
	// Release.gpg, InRelease and the .debs) and KeyFile.
	Dir string
	// Suite is "stable/".
	Suite string
	// KeyPath is the ASCII-armored public key, Dir/jitsi-key.gpg.key.
	KeyPath string
	// Fingerprint is the signing key's fingerprint, 40 upper-case hex digits.
	Fingerprint string
}

// BuildRepo builds the repository under dir, or returns the one already
// there when it was built from the same sources. dir also keeps the signing
// key (generated once per dir, outside the served tree) and a lock, so
// concurrent callers build it once.
func BuildRepo(ctx context.Context, dir string) (*Repo, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("repository dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	unlock, err := lock(filepath.Join(dir, ".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	hash, err := sourceHash()
	if err != nil {
		return nil, err
	}
	repo := &Repo{Dir: filepath.Join(dir, "repo"), Suite: Suite}
	repo.KeyPath = filepath.Join(repo.Dir, KeyFile)
	if fpr, ok := cached(dir, repo, hash); ok {
		repo.Fingerprint = fpr
		return repo, nil
	}

	g, err := newGPG()
	if err != nil {
		return nil, err
	}
	defer g.close()
	fpr, err := g.loadKey(ctx, filepath.Join(dir, "key"))
	if err != nil {
		return nil, err
	}

	// Build next to the served tree and swap it in, so a server that is
	// running never sees half a repository.
	next := filepath.Join(dir, "repo.next")
	if err := os.RemoveAll(next); err != nil {
		return nil, fmt.Errorf("clean %s: %w", next, err)
	}
	for _, r := range releases {
		if err := buildDebs(ctx, r, filepath.Join(next, strings.TrimSuffix(r.suite, "/"))); err != nil {
			return nil, err
		}
	}
	if err := writeIndices(ctx, next, g, fpr); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(repo.Dir); err != nil {
		return nil, fmt.Errorf("remove old repository: %w", err)
	}
	if err := os.Rename(next, repo.Dir); err != nil {
		return nil, fmt.Errorf("install repository: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fingerprint"), []byte(fpr+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write fingerprint: %w", err)
	}
	// Written last: it marks a complete build.
	if err := os.WriteFile(filepath.Join(dir, "source.sha256"), []byte(hash+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write source hash: %w", err)
	}
	repo.Fingerprint = fpr
	return repo, nil
}

// cached reports whether dir holds a complete build of the sources with
// this hash, and its key's fingerprint.
func cached(dir string, repo *Repo, hash string) (string, bool) {
	got, err := os.ReadFile(filepath.Join(dir, "source.sha256"))
	if err != nil || strings.TrimSpace(string(got)) != hash {
		return "", false
	}
	fpr, err := os.ReadFile(filepath.Join(dir, "fingerprint"))
	if err != nil {
		return "", false
	}
	for _, f := range []string{repo.KeyPath, "stable/InRelease", "stable/Release.gpg", "stable/Packages",
		"oldstable/InRelease", "oldstable/Release.gpg", "oldstable/Packages"} {
		if !filepath.IsAbs(f) {
			f = filepath.Join(repo.Dir, f)
		}
		if _, err := os.Stat(f); err != nil {
			return "", false
		}
	}
	return strings.TrimSpace(string(fpr)), true
}

// SourceHash identifies the embedded package sources: a cache of the
// repository kept under a name with it is never rebuilt from other sources
// under a server that still serves it (another checkout's e2e run).
func SourceHash() (string, error) { return sourceHash() }

// sourceHash identifies the embedded package sources.
func sourceHash() (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n", buildFormat)
	var paths []string
	err := fs.WalkDir(sources, "pkgs", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return "", fmt.Errorf("walk package sources: %w", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		b, err := sources.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("read %s: %w", p, err)
		}
		fmt.Fprintf(h, "%s %d\n", p, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
