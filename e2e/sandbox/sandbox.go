// Package sandbox runs throw-away Debian and Ubuntu hosts on this machine:
// systemd as PID 1 under systemd-nspawn, each in its own network namespace
// on a /30 of 10.213.0.0/16, reachable over real SSH. Next to each target a
// daemon on the host side of its veth serves an apt proxy to Debian's and
// Ubuntu's mirrors, a stand-in Jitsi repository, Pebble (a real ACME
// server) and a Janssen stand-in.
//
// Targets are built on a cached minbase root file system with an overlay
// per target, so booting one takes seconds. Everything needs root.
//
// The daemon is this same binary started again with JITSI_SANDBOX_SERVE set:
// the package's init serves and exits in that case, so any program or test
// binary that imports the package can bring targets up.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
)

// Suites are the Debian and Ubuntu releases a target can run; the first is
// the default.
var Suites = []string{"trixie", "bookworm", "bullseye", "noble"}

// JitsiSuites are the stand-in Jitsi repository's suites a target's answers
// file can name; the first is the default. The second is an older release
// whose token plugin cannot read a JWKS (see ../standin).
var JitsiSuites = []string{standin.Suite, standin.OldSuite}

// Users a target can be reached as: root, or ops whose sudo needs a password.
var Users = []string{"root", "ops"}

const (
	envDir     = "JITSI_SANDBOX_DIR"
	defaultDir = "/var/lib/jitsi-installer-sandbox"

	// DomainSuffix is appended to a target's name to make its domain; Pebble's
	// mock DNS resolves every name to the target.
	DomainSuffix = ".sandbox.test"
)

// Options says what target to bring up.
type Options struct {
	Name  string
	Suite string // one of Suites; "" means Suites[0]
	User  string // one of Users; "" means root
	// JitsiSuite is one of JitsiSuites, for jitsi.repo.suite in the answers
	// file; "" means JitsiSuites[0].
	JitsiSuite string
	// Network, when set, puts the target on a shared network with the other
	// targets of that name (see network.go); its Address is then there.
	Network string
	// Behind, when set, names a running target through which alone this
	// one's SSH is reached (see behind.go); its Address is then there.
	Behind string
	// CPUs caps the target's CPU time (1.5: one and a half CPUs' worth;
	// 0: no cap), so that targets sharing this machine's CPUs behave like
	// hosts of their own that size: what the scale-out benchmark needs.
	CPUs float64
	Log  io.Writer // progress lines; nil discards them
}

// Info is what a user of a target needs; `sandbox up` prints it as JSON.
// Secrets are only ever referenced by file, never held here.
type Info struct {
	Name  string `json:"name"`
	Suite string `json:"suite"`
	SSHAccess
	SudoPasswordFile string `json:"sudo_password_file,omitempty"`
	Domain           string `json:"domain"`
	AnswersFile      string `json:"answers_file"`
	HostAddress      string `json:"host_address"`
	// Bastion is the target SSH goes through (Options.Behind).
	Bastion *BastionInfo `json:"bastion,omitempty"`
	Services
}

// SSHAccess is how to log in to a target: the key is in KeyFile, and
// KnownHosts holds its HostKey.
type SSHAccess struct {
	Address    string `json:"address"`
	Port       int    `json:"port"`
	User       string `json:"user"`
	KeyFile    string `json:"key_file"`
	HostKey    string `json:"host_key"`
	KnownHosts string `json:"known_hosts"`
}

// Services are what a target's daemon serves on the host side of its veth.
type Services struct {
	AptProxy        string `json:"apt_proxy"`
	RepoURL         string `json:"repo_url"`
	RepoSuite       string `json:"repo_suite"`
	RepoKeyURL      string `json:"repo_key_url"`
	RepoFingerprint string `json:"repo_fingerprint"`
	ACMEServer      string `json:"acme_server"`
	ACMECA          string `json:"acme_server_ca"` // CA of Pebble's own HTTPS certificate
	ACMERoot        string `json:"acme_root"`      // root of the certificates Pebble issues
	ACMECABundle    string `json:"acme_ca_bundle"` // both: what letsencrypt.ca_bundle takes
	ACMEDNSAdmin    string `json:"acme_dns_admin"` // pebble-challtestsrv's management API on loopback: tests change what names resolve to
	JanssenIssuer   string `json:"janssen_issuer"` // https://JanssenHost:8443
	JanssenHost     string `json:"janssen_host"`   // janssen.NAME.sandbox.test, resolved by the target and this machine
	JanssenAdmin    string `json:"janssen_admin"`  // loopback only
	JanssenCA       string `json:"janssen_ca"`
	JanssenClientID string `json:"janssen_client_id"`
	JanssenSecret   string `json:"janssen_client_secret_file"`
	// DemoUser signs in on the Janssen stand-in's login page with the
	// password in DemoPasswordFile (see registerWebClient).
	DemoUser         string `json:"demo_user,omitempty"`
	DemoPasswordFile string `json:"demo_password_file,omitempty"`
}

// State is what the harness records about a target in state.json.
type State struct {
	Info
	Net        int       `json:"net"` // the N of 10.213.N.0/30
	Network    string    `json:"network,omitempty"`
	NetOctet   int       `json:"net_octet,omitempty"`    // the X of the shared 10.213.X.0/24
	CPUs       float64   `json:"cpus,omitempty"`         // the CPU cap, Options.CPUs
	Link       string    `json:"link_address,omitempty"` // the target's end of its /30 when Address is on a shared network
	Rootfs     string    `json:"rootfs"`
	Merged     string    `json:"merged"`
	Veth       string    `json:"veth"`
	NspawnPID  int       `json:"nspawn_pid"`
	LeaderPID  int       `json:"leader_pid"`
	NetNS      string    `json:"netns"` // e.g. net:[4026532301], to prove it is gone
	DaemonPID  int       `json:"daemon_pid"`
	ChildPIDs  []int     `json:"child_pids,omitempty"` // Pebble and its DNS
	Created    time.Time `json:"created"`
	BootTime   string    `json:"boot_time,omitempty"`
	ReadyAfter string    `json:"ready_after,omitempty"`
}

// Target is a running sandbox host.
type Target struct {
	State
	dir string
}

// Dir is the harness's state directory.
func Dir() string {
	if d := os.Getenv(envDir); d != "" {
		return d
	}
	return defaultDir
}

func targetsDir() string { return filepath.Join(Dir(), "targets") }
func cacheDir() string   { return filepath.Join(Dir(), "cache") }

// TargetDir is where a target's files live.
func TargetDir(name string) string { return filepath.Join(targetsDir(), name) }

// Names must fit the veth name ve-NAME into Linux's 15 bytes and be a hostname.
var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,10}[a-z0-9]$`)

func validate(o *Options) error {
	var errs []error
	if !nameRE.MatchString(o.Name) {
		errs = append(errs, fmt.Errorf("name %q: want 2 to 12 of a-z, 0-9 and -, starting with a letter", o.Name))
	}
	if o.Suite == "" {
		o.Suite = Suites[0]
	}
	if !slices.Contains(Suites, o.Suite) {
		errs = append(errs, fmt.Errorf("suite %q: want one of %s", o.Suite, strings.Join(Suites, ", ")))
	}
	if o.JitsiSuite == "" {
		o.JitsiSuite = JitsiSuites[0]
	}
	if !slices.Contains(JitsiSuites, o.JitsiSuite) {
		errs = append(errs, fmt.Errorf("jitsi suite %q: want one of %s", o.JitsiSuite, strings.Join(JitsiSuites, ", ")))
	}
	if o.User == "" {
		o.User = "root"
	}
	if err := validNetwork(o.Network); err != nil {
		errs = append(errs, err)
	}
	if o.Behind != "" && o.Network != "" {
		errs = append(errs, errors.New("a target behind a bastion is on no shared network"))
	}
	if o.Behind != "" && o.Suite == "noble" {
		errs = append(errs, errors.New("a target behind a bastion runs Debian: Ubuntu's sshd is socket-activated and ignores ListenAddress"))
	}
	if o.Behind == o.Name {
		errs = append(errs, fmt.Errorf("target %s cannot be its own bastion", o.Name))
	}
	if !slices.Contains(Users, o.User) {
		errs = append(errs, fmt.Errorf("user %q: want one of %s", o.User, strings.Join(Users, ", ")))
	}
	return errors.Join(errs...)
}

// Load reads the state of target name.
func Load(name string) (*Target, error) {
	dir := TargetDir(name)
	b, err := os.ReadFile(filepath.Join(dir, "state.json"))
	if err != nil {
		return nil, fmt.Errorf("target %s: %w", name, err)
	}
	t := &Target{dir: dir}
	if err := json.Unmarshal(b, &t.State); err != nil {
		return nil, fmt.Errorf("read %s state: %w", name, err)
	}
	return t, nil
}

func (t *Target) save() error {
	b, err := json.MarshalIndent(t.State, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s state: %w", t.Name, err)
	}
	return writeFileAtomic(filepath.Join(t.dir, "state.json"), append(b, '\n'), 0o600)
}

// Running reports whether the target's nspawn process is alive.
func (t *Target) Running() bool { return alive(t.NspawnPID, "systemd-nspawn") }

// List returns every recorded target, sorted by name.
func List() ([]*Target, error) {
	entries, err := os.ReadDir(targetsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list targets: %w", err)
	}
	var ts []*Target
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		t, err := Load(e.Name())
		if err != nil {
			// A target whose up died before state was written still shows, so
			// that it can be downed.
			t = &Target{dir: TargetDir(e.Name()), State: State{Info: Info{Name: e.Name()}}}
		}
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return ts, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "sandbox: "+format+"\n", args...)
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
