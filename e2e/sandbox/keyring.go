package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// Debian 12 has no ubuntu-keyring package, so Ubuntu's archive key comes
// from Ubuntu's pool, pinned: mmdebstrap checks noble's Release file with
// it, and a key we did not pin would make that check worth nothing.
const (
	ubuntuKeyringURL    = "http://archive.ubuntu.com/ubuntu/pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb"
	ubuntuKeyringSHA256 = "36de43b15853ccae0028e9a767613770c704833f82586f28eb262f0311adb8a8"
	ubuntuKeyringFile   = "usr/share/keyrings/ubuntu-archive-keyring.gpg"
)

// ubuntuKeyring returns the path of Ubuntu's archive keyring, fetching and
// checking the package the first time. Callers hold the rootfs lock.
func ubuntuKeyring(ctx context.Context) (string, error) {
	dst := filepath.Join(cacheDir(), "ubuntu-archive-keyring-"+ubuntuKeyringSHA256[:12]+".gpg")
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	deb, err := fetchPinned(ctx, ubuntuKeyringURL, ubuntuKeyringSHA256)
	if err != nil {
		return "", fmt.Errorf("ubuntu keyring: %w", err)
	}
	dir, err := os.MkdirTemp(cacheDir(), ".tmp-ubuntu-keyring-")
	if err != nil {
		return "", fmt.Errorf("ubuntu keyring: %w", err)
	}
	defer removeAll(dir)
	debPath := filepath.Join(dir, "keyring.deb")
	if err := os.WriteFile(debPath, deb, 0o644); err != nil {
		return "", fmt.Errorf("ubuntu keyring: %w", err)
	}
	if err := run(ctx, nil, "dpkg-deb", "-x", debPath, filepath.Join(dir, "root")); err != nil {
		return "", fmt.Errorf("ubuntu keyring: %w", err)
	}
	if err := os.Rename(filepath.Join(dir, "root", ubuntuKeyringFile), dst); err != nil {
		return "", fmt.Errorf("ubuntu keyring: %w", err)
	}
	return dst, nil
}
