package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport/sshtest"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// testHost is a test server with an authorized key and a known_hosts file
// that trusts it.
type testHost struct {
	srv  *sshtest.Server
	opts SSHOptions
}

func newTestHost(t *testing.T, o sshtest.Options) *testHost {
	t.Helper()
	t.Setenv("SSH_AUTH_SOCK", "")
	srv := sshtest.Start(t, o)
	keyFile, signer := sshtest.NewKeyFile(t, "")
	srv.AuthorizedKey(signer.PublicKey())
	return &testHost{srv: srv, opts: SSHOptions{
		Address:        srv.Host(),
		Port:           srv.Port(),
		User:           "root",
		KeyFile:        keyFile,
		KnownHostsFile: srv.WriteKnownHosts(),
	}}
}

func (h *testHost) dial(t *testing.T, edit func(*SSHOptions)) (*SSH, error) {
	t.Helper()
	o := h.opts
	if edit != nil {
		edit(&o)
	}
	s, err := DialSSH(t.Context(), o)
	if err == nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

func (h *testHost) mustDial(t *testing.T, edit func(*SSHOptions)) *SSH {
	t.Helper()
	s, err := h.dial(t, edit)
	if err != nil {
		t.Fatalf("DialSSH: %v", err)
	}
	return s
}

// silentPort is a port on 127.0.0.1 that accepts connections and never
// speaks, until the test ends.
func silentPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// needRoot skips a test that cannot run without root, saying why (fails
// it under CI=true).
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Skip(t, why+": needs root")
	}
}

// newSudoHost is a test host whose sudo asks for password ("" for none).
func newSudoHost(t *testing.T, password string) *testHost {
	t.Helper()
	return newTestHost(t, sshtest.Options{Path: sshtest.FakeSudo(t, password)})
}

// dialSudo connects as the unprivileged user deploy, root through sudo with
// password.
func (h *testHost) dialSudo(t *testing.T, password string) *SSH {
	t.Helper()
	return h.mustDial(t, func(o *SSHOptions) { o.User, o.SudoPassword = "deploy", password })
}

func mustRun(t *testing.T, tr Transport, c Cmd) Result {
	t.Helper()
	res, err := tr.Run(t.Context(), c)
	if err != nil {
		t.Fatalf("Run %q: %v", c.Args, err)
	}
	return res
}

func asError[T error](t *testing.T, err error) T {
	t.Helper()
	var target T
	if !errors.As(err, &target) {
		t.Fatalf("error %v (%T) is not a %T", err, err, target)
	}
	return target
}

func TestKeyAuthRunsCommand(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	s := h.mustDial(t, nil)
	res := mustRun(t, s, Cmd{Args: []string{"sh", "-c", "echo out; echo err >&2; exit 3"}})
	if string(res.Stdout) != "out\n" || string(res.Stderr) != "err\n" || res.ExitCode != 3 {
		t.Errorf("got stdout %q stderr %q exit %d, want out, err, 3", res.Stdout, res.Stderr, res.ExitCode)
	}
	if s.Host() != h.srv.Host() {
		t.Errorf("Host() = %q, want %q", s.Host(), h.srv.Host())
	}
}

func TestWrongKeyIsAuthError(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	other, _ := sshtest.NewKeyFile(t, "")
	_, err := h.dial(t, func(o *SSHOptions) { o.KeyFile = other })
	ae := asError[*AuthError](t, err)
	if !strings.Contains(ae.Error(), "key file "+other) {
		t.Errorf("message %q does not name the key file", ae)
	}
	if h := Hint(err); !strings.Contains(h, "authorized_keys") {
		t.Errorf("hint %q does not fit a refused key", h)
	}
}

func TestEncryptedKeyFile(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	keyFile, signer := sshtest.NewKeyFile(t, "correct horse")
	h.srv.AuthorizedKey(signer.PublicKey())
	answer := func(pass string) func(string) ([]byte, error) {
		return func(string) ([]byte, error) { return []byte(pass), nil }
	}
	tests := []struct {
		name    string
		ask     func(string) ([]byte, error)
		wantErr string // empty: connects
	}{
		{"passphrase asked", answer("correct horse"), ""},
		{"wrong passphrase", answer("wrong"), "wrong passphrase for key file"},
		{"no terminal", nil, "no terminal to ask for its passphrase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.dial(t, func(o *SSHOptions) { o.KeyFile, o.Passphrase = keyFile, tt.ask })
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("DialSSH: %v", err)
				}
				return
			}
			ae := asError[*AuthError](t, err)
			if !strings.Contains(ae.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", ae, tt.wantErr)
			}
		})
	}
}

func TestPasswordAuth(t *testing.T) {
	h := newTestHost(t, sshtest.Options{Password: "s3cret pw"})
	if _, err := h.dial(t, func(o *SSHOptions) { o.KeyFile, o.Password = "", "s3cret pw" }); err != nil {
		t.Fatalf("right password: %v", err)
	}
	_, err := h.dial(t, func(o *SSHOptions) { o.KeyFile, o.Password = "", "wrong" })
	if ae := asError[*AuthError](t, err); strings.Contains(ae.Error(), "wrong") {
		t.Errorf("error %q shows the password", ae)
	}
}

func TestAgentAuth(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	h.srv.AuthorizedKey(signer.PublicKey())
	sock := sshtest.StartAgent(t, agent.AddedKey{PrivateKey: key})

	t.Setenv("SSH_AUTH_SOCK", sock)
	s := h.mustDial(t, func(o *SSHOptions) { o.KeyFile = "" })
	if res := mustRun(t, s, Cmd{Args: []string{"echo", "via agent"}}); string(res.Stdout) != "via agent\n" {
		t.Errorf("stdout %q", res.Stdout)
	}

	t.Setenv("SSH_AUTH_SOCK", "")
	_, err = h.dial(t, func(o *SSHOptions) { o.KeyFile = "" })
	if ae := asError[*AuthError](t, err); !strings.Contains(ae.Error(), "SSH_AUTH_SOCK is not set") {
		t.Errorf("without agent: %q", ae)
	}
}

// An encrypted key file whose key the agent holds is used through the
// agent, as ssh does: no passphrase is asked, also where none could be.
func TestEncryptedKeyFromTheAgent(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	keyFile, signer := sshtest.NewKeyFile(t, "correct horse")
	h.srv.AuthorizedKey(signer.PublicKey())
	data, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.ParseRawPrivateKeyWithPassphrase(data, []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", sshtest.StartAgent(t, agent.AddedKey{PrivateKey: key}))
	s := h.mustDial(t, func(o *SSHOptions) {
		o.KeyFile = keyFile
		o.Passphrase = func(string) ([]byte, error) { t.Error("the passphrase was asked"); return nil, errors.New("no") }
	})
	mustRun(t, s, Cmd{Args: []string{"true"}})

	// An agent without that key changes nothing: no terminal, no key.
	t.Setenv("SSH_AUTH_SOCK", sshtest.StartAgent(t, agent.AddedKey{PrivateKey: ed25519.NewKeyFromSeed(make([]byte, 32))}))
	_, err = h.dial(t, func(o *SSHOptions) { o.KeyFile = keyFile })
	if ae := asError[*AuthError](t, err); !strings.Contains(ae.Error(), "ssh-add") {
		t.Errorf("err %v", ae)
	}
}

func TestPinnedHostKey(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	other := sshtest.NewSigner(t, "ed25519").PublicKey()
	otherPin := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(other)))

	// known_hosts is ignored with a pin: point it at a file that does not exist.
	noKnownHosts := filepath.Join(t.TempDir(), "known_hosts")
	if _, err := h.dial(t, func(o *SSHOptions) { o.HostKey, o.KnownHostsFile = h.srv.PinnedHostKey(), noKnownHosts }); err != nil {
		t.Fatalf("matching pin: %v", err)
	}

	_, err := h.dial(t, func(o *SSHOptions) { o.HostKey = otherPin })
	he := asError[*HostKeyError](t, err)
	if he.Kind != HostKeyMismatchPin {
		t.Errorf("Kind = %q, want %q", he.Kind, HostKeyMismatchPin)
	}
	for _, fp := range []string{ssh.FingerprintSHA256(other), ssh.FingerprintSHA256(h.srv.HostKey())} {
		if !strings.Contains(he.Error(), fp) {
			t.Errorf("message %q lacks fingerprint %s", he, fp)
		}
	}
}

func TestUnknownHost(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	fp := ssh.FingerprintSHA256(h.srv.HostKey())

	t.Run("refused without accept-new", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "known_hosts")
		_, err := h.dial(t, func(o *SSHOptions) { o.KnownHostsFile = kh })
		he := asError[*HostKeyError](t, err)
		if he.Kind != HostKeyUnknown || !strings.Contains(he.Error(), fp) || !strings.Contains(he.Error(), "--accept-new-host-key") {
			t.Errorf("got %s: %q", he.Kind, he)
		}
		if _, err := os.Stat(kh); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("known_hosts was written: %v", err)
		}
	})

	t.Run("accepted and recorded with accept-new", func(t *testing.T) {
		kh := filepath.Join(t.TempDir(), "ssh", "known_hosts")
		if _, err := h.dial(t, func(o *SSHOptions) { o.KnownHostsFile, o.AcceptNewHostKey = kh, true }); err != nil {
			t.Fatalf("DialSSH: %v", err)
		}
		data, err := os.ReadFile(kh)
		if err != nil {
			t.Fatal(err)
		}
		if want := h.srv.KnownHostsLine(h.srv.HostKey()) + "\n"; string(data) != want {
			t.Errorf("known_hosts = %q, want %q", data, want)
		}
		if _, err := h.dial(t, func(o *SSHOptions) { o.KnownHostsFile = kh }); err != nil {
			t.Errorf("second connection without accept-new: %v", err)
		}
	})

	for _, yes := range []bool{true, false} {
		t.Run(fmt.Sprintf("confirmed %v", yes), func(t *testing.T) {
			kh := filepath.Join(t.TempDir(), "known_hosts")
			var shown string
			_, err := h.dial(t, func(o *SSHOptions) {
				o.KnownHostsFile = kh
				o.ConfirmHostKey = func(addr, keyType, fingerprint string) (bool, error) {
					shown = addr + " " + keyType + " " + fingerprint
					return yes, nil
				}
			})
			if want := h.srv.Addr() + " ssh-ed25519 " + fp; shown != want {
				t.Errorf("shown %q, want %q", shown, want)
			}
			_, statErr := os.Stat(kh)
			if yes && (err != nil || statErr != nil) {
				t.Errorf("accepted: dial %v, known_hosts %v", err, statErr)
			}
			if !yes && (asError[*HostKeyError](t, err).Kind != HostKeyUnknown || statErr == nil) {
				t.Errorf("declined: dial %v, known_hosts written", err)
			}
		})
	}
}

func TestChangedHostKeyRefusedEvenWithAcceptNew(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	old := sshtest.NewSigner(t, "ed25519").PublicKey()
	kh := h.srv.WriteKnownHosts(old)
	before, _ := os.ReadFile(kh)

	_, err := h.dial(t, func(o *SSHOptions) { o.KnownHostsFile, o.AcceptNewHostKey = kh, true })
	he := asError[*HostKeyError](t, err)
	if he.Kind != HostKeyChanged {
		t.Errorf("Kind = %q, want changed", he.Kind)
	}
	msg := he.Error()
	for _, want := range []string{ssh.FingerprintSHA256(old), ssh.FingerprintSHA256(h.srv.HostKey()), "ssh-keygen", "[127.0.0.1]:" + strconv.Itoa(h.srv.Port())} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if after, _ := os.ReadFile(kh); !bytes.Equal(before, after) {
		t.Errorf("known_hosts changed:\n%s", after)
	}
}

func TestKnownHostsWithSeveralKeyTypes(t *testing.T) {
	h := newTestHost(t, sshtest.Options{KeyTypes: []string{"ed25519", "ecdsa", "rsa"}})
	keys := h.srv.HostKeys()
	tests := []struct {
		name  string
		known []ssh.PublicKey
	}{
		{"only rsa known", []ssh.PublicKey{keys[2]}},
		{"only ecdsa known", []ssh.PublicKey{keys[1]}},
		{"rsa and ed25519 known", []ssh.PublicKey{keys[2], keys[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kh := h.srv.WriteKnownHosts(tt.known...)
			if _, err := h.dial(t, func(o *SSHOptions) { o.KnownHostsFile = kh }); err != nil {
				t.Fatalf("DialSSH: %v", err)
			}
		})
	}

	t.Run("server lacks the known type", func(t *testing.T) {
		only := newTestHost(t, sshtest.Options{KeyTypes: []string{"ed25519"}})
		rsaKey := sshtest.NewSigner(t, "rsa").PublicKey()
		kh := only.srv.WriteKnownHosts(rsaKey)
		_, err := only.dial(t, func(o *SSHOptions) { o.KnownHostsFile, o.AcceptNewHostKey = kh, true })
		he := asError[*HostKeyError](t, err)
		offered := ssh.FingerprintSHA256(only.srv.HostKey())
		if he.Kind != HostKeyChanged || !strings.Contains(he.Error(), ssh.FingerprintSHA256(rsaKey)) || !strings.Contains(he.Error(), offered) {
			t.Errorf("got %s: %q", he.Kind, he)
		}
	})
}

func TestConnectErrors(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	keyFile, _ := sshtest.NewKeyFile(t, "")

	t.Run("closed port", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		_, err = DialSSH(t.Context(), SSHOptions{Address: "127.0.0.1", Port: port, KeyFile: keyFile, ConnectTimeout: 5 * time.Second})
		ce := asError[*ConnectError](t, err)
		if want := fmt.Sprintf("connect 127.0.0.1:%d: connection refused", port); ce.Error() != want {
			t.Errorf("error %q, want %q", ce, want)
		}
		if h := Hint(err); !strings.Contains(h, "nothing listens on that port") {
			t.Errorf("hint %q does not fit a refused connection", h)
		}
	})

	t.Run("no handshake", func(t *testing.T) {
		port := silentPort(t)
		_, err := DialSSH(t.Context(), SSHOptions{Address: "127.0.0.1", Port: port, KeyFile: keyFile, ConnectTimeout: 200 * time.Millisecond})
		ce := asError[*ConnectError](t, err)
		if want := fmt.Sprintf("connect 127.0.0.1:%d: timed out after 200ms", port); ce.Error() != want {
			t.Errorf("error %q, want %q", ce, want)
		}
		if h := Hint(err); !strings.Contains(h, "did not answer in time") {
			t.Errorf("hint %q does not fit a timeout", h)
		}
	})
}

// TestQuoting sends arguments that a shell would mangle if pasted, for root
// and through sudo (with and without a password), and checks each arrives
// byte-exact.
func TestQuoting(t *testing.T) {
	args := []string{
		"plain",
		"",
		"with space",
		"  leading and trailing  ",
		`single ' quote`,
		`double " quote`,
		`$(touch /tmp/pwned) and $HOME and ${PATH}`,
		"`backticks`",
		"new\nline\n",
		"tab\tand\\backslash",
		"semi;colon && or || pipe | amp &",
		"glob * ? [a-z]",
		"~ tilde",
		"-dash",
		"=eq",
		"utf-8: Grüße ☃",
		"'''",
	}
	envs := map[string]string{"A_VAR": `v'a"l $(x) ` + "\n", "EMPTY": ""}
	printArgs := []string{"sh", "-c", `printf '%s\0' "$@"; printf '%s\0' "$A_VAR" "$EMPTY" "${SSHTEST_SUDO-}"`, "sh"}

	password := `p@ss 'w"rd $x`
	h := newSudoHost(t, password)
	nopass := newSudoHost(t, "")
	root := h.mustDial(t, nil)
	sudoPW := h.dialSudo(t, password)
	sudoN := nopass.mustDial(t, func(o *SSHOptions) { o.User = "deploy" })

	tests := []struct {
		name     string
		tr       Transport
		wantSudo string
	}{
		{"root", root, ""},
		{"sudo with password", sudoPW, "root"},
		{"sudo -n", sudoN, "root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := mustRun(t, tt.tr, Cmd{Args: append(printArgs, args...), Env: envs, Sudo: true})
			got := strings.Split(string(res.Stdout), "\x00")
			want := append(append([]string{}, args...), envs["A_VAR"], "", tt.wantSudo, "")
			if len(got) != len(want) {
				t.Fatalf("got %d fields %q, want %d (stderr %q)", len(got), got, len(want), res.Stderr)
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("field %d: got %q, want %q", i, got[i], want[i])
				}
			}
			if len(res.Stderr) != 0 {
				t.Errorf("stderr %q, want none (markers stripped)", res.Stderr)
			}
		})
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Error("a command substitution ran")
	}
}

func TestSudoWithPassword(t *testing.T) {
	const password = "sudo-secret-1"
	h := newSudoHost(t, password)
	s := h.dialSudo(t, password)

	stdin := []byte("first line\nsecond line without newline")
	res := mustRun(t, s, Cmd{Args: []string{"sh", "-c", `printf '%s|' "$SSHTEST_SUDO"; cat; echo warn >&2`}, Stdin: stdin, Sudo: true})
	if want := "root|" + string(stdin); string(res.Stdout) != want {
		t.Errorf("stdout %q, want %q", res.Stdout, want)
	}
	if string(res.Stderr) != "warn\n" {
		t.Errorf("stderr %q, want the command's own", res.Stderr)
	}

	// Without Sudo the command runs as the login user, with no sudo at all.
	res = mustRun(t, s, Cmd{Args: []string{"sh", "-c", `printf '%s' "${SSHTEST_SUDO-none}"`}})
	if string(res.Stdout) != "none" {
		t.Errorf("unprivileged command went through sudo: %q", res.Stdout)
	}
	for _, line := range h.srv.Commands() {
		if strings.Contains(line, password) {
			t.Errorf("password on a command line: %q", line)
		}
	}

	// A host that does not ask (NOPASSWD) must not get the password on stdin.
	nopass := newSudoHost(t, "")
	s = nopass.dialSudo(t, password)
	res = mustRun(t, s, Cmd{Args: []string{"cat"}, Stdin: stdin, Sudo: true})
	if !bytes.Equal(res.Stdout, stdin) {
		t.Errorf("NOPASSWD host: command read %q, want %q", res.Stdout, stdin)
	}
}

func TestSudoRefused(t *testing.T) {
	const password = "sudo-secret-2"
	h := newSudoHost(t, password)
	tests := []struct {
		name, password, want, hint string
	}{
		{"wrong password", "not-the-" + password, "wrong sudo password for deploy", "is not that user's password"},
		{"password required", "", "sudo refused: a password is required", "allow the SSH user to run sudo without a password, or set hosts[].sudo_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := h.mustDial(t, func(o *SSHOptions) {
				o.User, o.SudoPassword, o.CommandTimeout = "deploy", tt.password, time.Minute
			})
			_, err := s.Run(t.Context(), Cmd{Args: []string{"touch", "/tmp/never"}, Stdin: []byte("data"), Sudo: true})
			if !errors.Is(err, ErrSudo) {
				t.Fatalf("err = %v, want ErrSudo", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q lacks %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "sudo:") {
				t.Errorf("error %q repeats sudo's own prefix", err)
			}
			if h := Hint(err); !strings.Contains(h, tt.hint) {
				t.Errorf("hint %q lacks %q", h, tt.hint)
			}
			if tt.password != "" && strings.Contains(err.Error(), tt.password) {
				t.Errorf("error %q shows the password", err)
			}
			if !IsConnectFailure(err) {
				t.Error("IsConnectFailure(ErrSudo) = false")
			}
		})
	}
}

// asRootAndThroughSudo runs test as subtests: on a connection as root, and
// on one as deploy, root through sudo.
func asRootAndThroughSudo(t *testing.T, test func(t *testing.T, s *SSH)) {
	h := newSudoHost(t, "pw")
	for _, tt := range []struct {
		name string
		s    *SSH
	}{{"root", h.mustDial(t, nil)}, {"sudo", h.dialSudo(t, "pw")}} {
		t.Run(tt.name, func(t *testing.T) { test(t, tt.s) })
	}
}

func TestWriteFile(t *testing.T) {
	needRoot(t, "writes files owned by other users")
	asRootAndThroughSudo(t, func(t *testing.T, s *SSH) { testWriteFile(t, s) })
}

// testWriteFile checks WriteFile on any transport whose host is this machine.
func testWriteFile(t *testing.T, tr Transport) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.conf")
	if err := os.WriteFile(p, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reader, err := os.Open(p) // a reader of the old version, as a running daemon would be
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	backup := filepath.Join(t.TempDir(), "backups")
	data := []byte("new content\nwith 'quotes' and $(no expansion)\n\x00binary\xff")
	f := File{Path: p, Data: data, Mode: 0o640, BackupDir: backup}
	if nobody, err := user.Lookup("nobody"); err == nil {
		f.Owner = nobody.Username
	}
	if err := tr.WriteFile(t.Context(), f); err != nil {
		t.Fatalf("WriteFile: %v", err)
	}

	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Errorf("content %q, want %q", got, data)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode())
	}
	if f.Owner != "" {
		nobody, _ := user.Lookup(f.Owner)
		sys := st.Sys().(*syscall.Stat_t)
		if strconv.Itoa(int(sys.Uid)) != nobody.Uid || sys.Gid != 0 {
			t.Errorf("owner %d:%d, want %s:0", sys.Uid, sys.Gid, nobody.Uid)
		}
	}
	bst, err := os.Stat(backup + p)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if got, _ := os.ReadFile(backup + p); string(got) != "old\n" || bst.Mode() != 0o600 {
		t.Errorf("backup %q mode %v, want old version with mode 0600", got, bst.Mode())
	}
	if old, _ := readAll(reader); old != "old\n" {
		t.Errorf("open reader sees %q, want the old content", old)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %v, want only app.conf (no temp file left)", entries)
	}

	// A second write in the same run keeps the first backup.
	if err := tr.WriteFile(t.Context(), File{Path: p, Data: []byte("newer\n"), BackupDir: backup}); err != nil {
		t.Fatalf("second WriteFile: %v", err)
	}
	if got, _ := os.ReadFile(backup + p); string(got) != "old\n" {
		t.Errorf("backup after second write %q, want old", got)
	}
	if st, _ := os.Stat(p); st.Mode() != DefaultFileMode {
		t.Errorf("zero Mode gave %v, want %v", st.Mode(), DefaultFileMode)
	}

	missing := filepath.Join(dir, "no", "such", "dir", "f")
	err = tr.WriteFile(t.Context(), File{Path: missing, Data: data})
	if err == nil || !strings.Contains(err.Error(), "directory "+filepath.Dir(missing)+" does not exist") {
		t.Errorf("write into a missing directory: %v", err)
	}
	if err := tr.WriteFile(t.Context(), File{Path: "relative/path"}); err == nil {
		t.Error("relative path accepted")
	}
}

func readAll(f *os.File) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(f)
	return b.String(), err
}

func TestUploadAndReadFile(t *testing.T) {
	needRoot(t, "uploads files owned by root")
	asRootAndThroughSudo(t, func(t *testing.T, s *SSH) {
		dir := t.TempDir()
		p := filepath.Join(dir, "blob")
		data := bytes.Repeat([]byte("0123456789abcdef"), 100_000)
		if err := s.Upload(t.Context(), bytes.NewReader(data), p); err != nil {
			t.Fatalf("Upload: %v", err)
		}
		got, err := s.ReadFile(t.Context(), p)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("ReadFile: %d bytes, %v; want %d bytes", len(got), err, len(data))
		}
		if st, _ := os.Stat(p); st.Mode() != 0o644 {
			t.Errorf("mode %v, want 0644", st.Mode())
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Errorf("directory holds %v, want only blob", entries)
		}
		if _, err := s.ReadFile(t.Context(), filepath.Join(dir, "absent")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile of a missing file: %v, want fs.ErrNotExist", err)
		}
		err = s.Upload(t.Context(), strings.NewReader("x"), filepath.Join(dir, "none", "f"))
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Errorf("Upload into a missing directory: %v", err)
		}
	})
}

func TestOneConnectionAndRoundTrips(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	s := h.mustDial(t, nil)
	if s.RoundTrips() != 1 {
		t.Errorf("after connect: %d round trips, want 1", s.RoundTrips())
	}
	const n = 5
	for i := range n {
		mustRun(t, s, Cmd{Args: []string{"true", strconv.Itoa(i)}})
	}
	if got := s.RoundTrips(); got != n+1 {
		t.Errorf("after %d runs: %d round trips, want %d", n, got, n+1)
	}
	p := filepath.Join(t.TempDir(), "f")
	owner, group := sshtest.Self(t)
	if err := s.WriteFile(t.Context(), File{Path: p, Data: []byte("x"), Owner: owner, Group: group}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadFile(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if got := s.RoundTrips(); got != n+3 {
		t.Errorf("after a write and a read: %d round trips, want %d", got, n+3)
	}
	if h.srv.Execs() != n+1 || h.srv.Conns() != 1 {
		t.Errorf("server saw %d commands on %d connections, want %d on 1", h.srv.Execs(), h.srv.Conns(), n+1)
	}
}

func TestCommandTimeout(t *testing.T) {
	h := newTestHost(t, sshtest.Options{})
	s := h.mustDial(t, func(o *SSHOptions) { o.CommandTimeout = 300 * time.Millisecond })
	_, err := s.Run(t.Context(), Cmd{Args: []string{"sleep", "60"}})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 300ms") {
		t.Fatalf("err = %v, want a timeout", err)
	}
	// The connection survives a timed-out command.
	if res := mustRun(t, s, Cmd{Args: []string{"echo", "alive"}}); string(res.Stdout) != "alive\n" {
		t.Errorf("next command: %q", res.Stdout)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Run(ctx, Cmd{Args: []string{"sleep", "60"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}
