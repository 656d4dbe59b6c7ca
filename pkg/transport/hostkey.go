package transport

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"

	"github.com/skeema/knownhosts"
	"golang.org/x/crypto/ssh"
	xknownhosts "golang.org/x/crypto/ssh/knownhosts"
)

// hostKeyCheck is the host-key policy of one dial.
type hostKeyCheck struct {
	callback ssh.HostKeyCallback
	// algos restricts the key types the server may offer to those we know,
	// so a host with several keys offers one we can check.
	algos []string
	// known describes what we expected, for a failed negotiation.
	known *HostKeyError
}

// newHostKeyCheck builds the policy for addr (host:port). pause is called
// around the interactive confirmation so the connect timeout does not run
// while a person reads the fingerprint.
func newHostKeyCheck(o *SSHOptions, addr string, pause func(func() (bool, error)) (bool, error)) (*hostKeyCheck, error) {
	if o.HostKey != "" {
		return pinnedCheck(o.HostKey, addr)
	}
	file := o.KnownHostsFile
	var db *knownhosts.HostKeyDB
	if _, err := os.Stat(file); err == nil {
		if db, err = knownhosts.NewDB(file); err != nil {
			return nil, fmt.Errorf("read known_hosts %s: %w", file, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read known_hosts %s: %w", file, err)
	}
	base := &HostKeyError{Addr: addr, File: file, Hosts: knownhosts.Normalize(addr)}
	hc := &hostKeyCheck{}
	if db != nil {
		hc.algos = db.HostKeyAlgorithms(addr)
		for _, k := range db.HostKeys(addr) {
			base.Want = append(base.Want, ssh.FingerprintSHA256(k))
		}
		if len(base.Want) > 0 {
			known := *base
			known.Kind = HostKeyChanged
			hc.known = &known
		}
	}
	hc.callback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		var cbErr error = &xknownhosts.KeyError{} // unknown: no known_hosts file yet
		if db != nil {
			cbErr = db.HostKeyCallback()(hostname, remote, key)
		}
		if cbErr == nil {
			return nil
		}
		he := *base
		he.Got, he.Type = ssh.FingerprintSHA256(key), key.Type()
		var revoked *xknownhosts.RevokedError
		switch {
		case errors.As(cbErr, &revoked):
			he.Kind = HostKeyRevoked
			return &he
		case knownhosts.IsHostKeyChanged(cbErr):
			he.Kind = HostKeyChanged
			return &he
		case !knownhosts.IsHostUnknown(cbErr):
			return cbErr
		}
		he.Kind = HostKeyUnknown
		accept := o.AcceptNewHostKey
		if !accept && o.ConfirmHostKey != nil {
			var askErr error
			accept, askErr = pause(func() (bool, error) { return o.ConfirmHostKey(addr, he.Type, he.Got) })
			if askErr != nil {
				return fmt.Errorf("confirm host key: %w", askErr)
			}
		}
		if !accept {
			return &he
		}
		if err := appendKnownHost(file, hostname, remote, key); err != nil {
			return fmt.Errorf("record host key in %s: %w", file, err)
		}
		return nil
	}
	return hc, nil
}

// pinnedCheck accepts exactly one key, given in authorized_keys format.
func pinnedCheck(pinned, addr string) (*hostKeyCheck, error) {
	pin, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pinned))
	if err != nil {
		return nil, fmt.Errorf("pinned host_key: %w", err)
	}
	want := &HostKeyError{Addr: addr, Kind: HostKeyMismatchPin, Want: []string{ssh.FingerprintSHA256(pin)}}
	algos := []string{pin.Type()}
	if pin.Type() == ssh.KeyAlgoRSA {
		algos = []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return &hostKeyCheck{
		algos: algos,
		known: want,
		callback: func(_ string, _ net.Addr, key ssh.PublicKey) error {
			if bytes.Equal(key.Marshal(), pin.Marshal()) {
				return nil
			}
			he := *want
			he.Got, he.Type = ssh.FingerprintSHA256(key), key.Type()
			return &he
		},
	}, nil
}

// appendKnownHost records a newly accepted key, creating ~/.ssh if needed.
func appendKnownHost(file, hostname string, remote net.Addr, key ssh.PublicKey) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := knownhosts.WriteKnownHost(f, hostname, remote, key); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
