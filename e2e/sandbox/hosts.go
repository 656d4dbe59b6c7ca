package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// JanssenHost is the DNS name of target name's Janssen stand-in, as a real
// Janssen has one: Prosody's HTTP client verifies the JWKS's certificate
// against a name, and cannot for a bare IP address. The target resolves it
// through its /etc/hosts, this machine through a marked block in its own
// (see HostsFile).
func JanssenHost(name string) string { return "janssen." + name + DomainSuffix }

// HostsFile is this machine's hosts file, where `up` adds a block naming
// the target's Janssen stand-in and `down` removes it.
const HostsFile = "/etc/hosts"

// hostsLock serialises edits of the hosts file between all sandbox
// processes of this machine, whatever their JITSI_SANDBOX_DIR: target
// names, and so the blocks, are machine-wide.
const hostsLock = "/run/lock/jitsi-installer-sandbox-hosts.lock"

// hostsLockFor is the lock for edits of the hosts file at path: the
// machine-wide one for /etc/hosts, one beside any other file (a test's).
func hostsLockFor(path string) string {
	if path == HostsFile {
		return hostsLock
	}
	return path + ".lock"
}

func hostsBegin(name string) string { return "# BEGIN jitsi-installer sandbox target " + name }
func hostsEnd(name string) string   { return "# END jitsi-installer sandbox target " + name }

// addHosts sets target name's block in the hosts file at path to lines
// ("ADDRESS NAME..."), replacing an earlier block of that target.
func addHosts(path, name string, lines []string) error {
	return editHosts(path, func(text string) string {
		block := hostsBegin(name) + "\n" + strings.Join(lines, "\n") + "\n" + hostsEnd(name) + "\n"
		text = withoutBlock(text, name)
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		return text + block
	})
}

// removeHosts removes target name's block from the hosts file at path.
func removeHosts(path, name string) error {
	return editHosts(path, func(text string) string { return withoutBlock(text, name) })
}

// withoutBlock is text without target name's block; everything else stays
// byte for byte.
func withoutBlock(text, name string) string {
	begin, end := hostsBegin(name)+"\n", hostsEnd(name)+"\n"
	for {
		i := strings.Index(text, begin)
		if i < 0 || i > 0 && text[i-1] != '\n' {
			return text
		}
		j := strings.Index(text[i:], end)
		if j < 0 {
			return text // a block without its end marker: not ours to guess at
		}
		text = text[:i] + text[i+j+len(end):]
	}
}

// editHosts rewrites the hosts file at path with edit, under hostsLock.
// The file is replaced by rename when it can be, and written in place when
// it is a mount point (a container's bind-mounted /etc/hosts).
func editHosts(path string, edit func(string) string) error {
	unlock, err := lock(hostsLockFor(path))
	if err != nil {
		return err
	}
	defer unlock()
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("hosts file: %w", err)
	}
	text := edit(string(old))
	if text == string(old) {
		return nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("hosts file: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".sandbox-*")
	if err != nil {
		return writeInPlace(path, text)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return fmt.Errorf("hosts file: %w", err)
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return fmt.Errorf("hosts file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("hosts file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if errors.Is(err, syscall.EBUSY) || errors.Is(err, syscall.EXDEV) {
			return writeInPlace(path, text)
		}
		return fmt.Errorf("hosts file: %w", err)
	}
	return nil
}

func writeInPlace(path, text string) error {
	if err := os.WriteFile(path, []byte(text), 0); err != nil {
		return fmt.Errorf("hosts file: %w", err)
	}
	return nil
}
