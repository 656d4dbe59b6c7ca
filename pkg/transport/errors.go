package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
)

// ConnectError means the host could not be reached: the TCP dial failed or
// the SSH handshake did not finish within the connect timeout.
type ConnectError struct {
	Addr   string // host:port
	Reason string // "connection refused", "timed out after 10s", ...
	Via    string // jump host (host:port) the connection went through; empty: from here
	Err    error
}

func (e *ConnectError) Error() string {
	switch {
	case e.Addr == "":
		return "connect: " + e.Reason
	case e.Via != "" && !strings.Contains(e.Reason, e.Via):
		return "connect " + e.Addr + " through " + e.Via + ": " + e.Reason
	}
	return "connect " + e.Addr + ": " + e.Reason
}
func (e *ConnectError) Unwrap() error { return e.Err }

// connectError describes err the way an operator reads it, without Go's
// "dial tcp" prefixes.
func connectError(addr string, err error, timeout time.Duration) *ConnectError {
	reason := err.Error()
	var sysErr *os.SyscallError
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		reason = fmt.Sprintf("timed out after %s", timeout)
	case errors.As(err, &dnsErr):
		reason = "cannot resolve host: " + dnsErr.Err
	case errors.As(err, &sysErr):
		reason = sysErr.Err.Error()
	case errors.Is(err, context.Canceled):
		reason = "canceled"
	}
	return &ConnectError{Addr: addr, Reason: reason, Err: err}
}

// AuthError means the server refused every credential offered, or the
// credentials could not be loaded (unreadable key file, passphrase unknown).
type AuthError struct {
	User   string
	Addr   string
	Reason string
	Err    error // may be nil
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("authenticate %s@%s: %s", e.User, e.Addr, e.Reason)
}
func (e *AuthError) Unwrap() error { return e.Err }

// HostKeyKind says why a host key was refused.
type HostKeyKind string

const (
	// HostKeyUnknown: the host is not in known_hosts and no pin is set.
	HostKeyUnknown HostKeyKind = "unknown"
	// HostKeyChanged: known_hosts has other keys for the host. Always refused.
	HostKeyChanged HostKeyKind = "changed"
	// HostKeyMismatchPin: the offered key is not the pinned host_key.
	HostKeyMismatchPin HostKeyKind = "mismatch-pin"
	// HostKeyRevoked: known_hosts marks the offered key @revoked.
	HostKeyRevoked HostKeyKind = "revoked"
	// HostKeyInvalid: the pin or the known_hosts file could not be read; Err says why.
	HostKeyInvalid HostKeyKind = "invalid"
)

// HostKeyError means the server's host key was not accepted.
type HostKeyError struct {
	Addr  string // host:port
	Kind  HostKeyKind
	Got   string   // fingerprint offered by the server (SHA256:...); empty when none was offered
	Type  string   // key type offered (ssh-ed25519, ...)
	Want  []string // fingerprints known (known_hosts) or pinned
	File  string   // known_hosts file consulted; empty with a pin
	Hosts string   // name to pass to ssh-keygen -R ("host" or "[host]:port")
	Err   error    // HostKeyInvalid only
}

func (e *HostKeyError) Error() string {
	want := strings.Join(e.Want, ", ")
	switch e.Kind {
	case HostKeyUnknown:
		return fmt.Sprintf("host key of %s is unknown (%s %s): not in %s; "+
			"check the fingerprint, then pass --accept-new-host-key or pin host_key in the answers file",
			e.Addr, e.Type, e.Got, e.File)
	case HostKeyChanged:
		if e.Got == "" {
			return fmt.Sprintf("host key of %s has CHANGED: %s knows %s, but the server offers none of those key types; "+
				"if the host was reinstalled, remove the old key with `ssh-keygen -f %s -R %s`",
				e.Addr, e.File, want, Quote(e.File), Quote(e.Hosts))
		}
		return fmt.Sprintf("host key of %s has CHANGED: known %s, offered %s (%s); this may be an attack. "+
			"If the host was reinstalled, remove the old key with `ssh-keygen -f %s -R %s`",
			e.Addr, want, e.Got, e.Type, Quote(e.File), Quote(e.Hosts))
	case HostKeyMismatchPin:
		if e.Got == "" {
			return fmt.Sprintf("host key of %s does not match the pinned host_key: pinned %s, but the server offers no key of that type; "+
				"check host_key in the answers file", e.Addr, want)
		}
		return fmt.Sprintf("host key of %s does not match the pinned host_key: pinned %s, offered %s (%s); "+
			"check host_key in the answers file", e.Addr, want, e.Got, e.Type)
	case HostKeyInvalid:
		return fmt.Sprintf("host key check for %s: %v", e.Addr, e.Err)
	case HostKeyRevoked:
		return fmt.Sprintf("host key of %s (%s %s) is marked @revoked in %s", e.Addr, e.Type, e.Got, e.File)
	}
	return fmt.Sprintf("host key of %s refused (%s)", e.Addr, e.Kind)
}

func (e *HostKeyError) Unwrap() error { return e.Err }

// IsConnectFailure reports whether err is a connection, authentication or
// host-key failure (exit code 4 in the CLI) rather than a failed command.
func IsConnectFailure(err error) bool {
	var ce *ConnectError
	var ae *AuthError
	var he *HostKeyError
	return errors.As(err, &ce) || errors.As(err, &ae) || errors.As(err, &he) || errors.Is(err, ErrSudo)
}

// Hint says what to check for a connection, authentication, host-key or
// sudo failure, by its cause; "" for any other error.
func Hint(err error) string {
	var ce *ConnectError
	var ae *AuthError
	var he *HostKeyError
	var dnsErr *net.DNSError
	var je *JumpError
	switch {
	case errors.As(err, &je):
		// The jump host's keys are hosts[].bastion's, or ~/.ssh/config's.
		return "the jump host (hosts[].bastion, or ProxyJump in ~/.ssh/config) failed: " +
			strings.ReplaceAll(Hint(je.Err), "hosts[].", "hosts[].bastion.")
	case errors.As(err, &ce) && ce.Via != "" && errors.As(err, new(*ssh.OpenChannelError)):
		return "the jump host " + ce.Via + " could not open the connection: check hosts[].address and hosts[].port as the jump host sees them, and that its sshd allows TCP forwarding (AllowTcpForwarding)"
	case errors.Is(err, ErrSudoPassword):
		return "sudo on the host asked again: hosts[].sudo_password in the answers file is not that user's password there"
	case errors.Is(err, ErrSudo):
		return "sudo on the host refused: allow the SSH user to run sudo without a password, or set hosts[].sudo_password in the answers file"
	case errors.As(err, &he):
		if he.Kind == HostKeyInvalid {
			return "check hosts[].host_key in the answers file and that the known_hosts file is readable"
		}
		return "compare the fingerprint with the host's own, on its console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub"
	case errors.As(err, &ae):
		return "check hosts[].user and hosts[].key_file in the answers file, and that the key's public half is in that user's ~/.ssh/authorized_keys on the host"
	case errors.As(err, &ce) && errors.As(err, &dnsErr):
		return "the name does not resolve here: check hosts[].address in the answers file, or give the host's IP address"
	case errors.As(err, &ce) && errors.Is(err, syscall.ECONNREFUSED):
		return "the host answers but nothing listens on that port: check hosts[].port in the answers file and that sshd runs on the host"
	case errors.As(err, &ce) && (errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)):
		return "no route to the host from here: check hosts[].address in the answers file and this machine's network"
	case errors.As(err, &ce) && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)):
		return "the host did not answer in time: check hosts[].address, and that no firewall drops SSH on that port (or raise --connect-timeout)"
	case errors.As(err, &ce):
		return "check hosts[].address and hosts[].port in the answers file, and that sshd runs on the host"
	}
	return ""
}
