//go:build e2e

package sandbox

// The harness's own tests: real targets booted with systemd-nspawn, the
// system SSH client, Debian's packages through the apt proxy, Pebble and the
// stand-ins. They need root; without it they skip, and under CI=true a skip
// is a failure.

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/standin"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

const testTimeout = 5 * time.Minute

func TestMain(m *testing.M) {
	flag.Parse()
	// Targets wait on the network and on boots far more than on CPU: run
	// more of them at once than the default of one per core, unless the
	// caller chose.
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "12")
	}
	os.Exit(m.Run())
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// bringUp brings a target up (after removing one left by an aborted run)
// and downs it when the test ends.
func bringUp(t testing.TB, o Options) *Target {
	t.Helper()
	testenv.Root(t)
	ctx := testContext(t)
	if err := Down(ctx, o.Name); err != nil {
		t.Fatal(err)
	}
	o.Log = testenv.Log(t)
	tg, err := Up(ctx, o)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Cleanup(func() {
		if err := tg.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	return tg
}

func mustSSH(t testing.TB, tg *Target, cmd string) string {
	t.Helper()
	out, err := tg.SSH(testContext(t), cmd)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// sshWith runs the system ssh client with only the printed key, user and
// host key, strict host key checking on, and no other configuration.
func sshWith(ctx context.Context, info Info, knownHosts, cmd string) (string, error) {
	c := exec.CommandContext(ctx, "ssh", "-F", "/dev/null",
		"-i", info.KeyFile, "-p", strconv.Itoa(info.Port),
		"-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile="+knownHosts,
		"-o", "GlobalKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		info.User+"@"+info.Address, cmd)
	out, err := c.CombinedOutput()
	return string(out), err
}

// assertGone checks that nothing of a downed target is left on this machine.
func assertGone(t testing.TB, st State) {
	t.Helper()
	for _, pid := range append([]int{st.NspawnPID, st.LeaderPID, st.DaemonPID}, st.ChildPIDs...) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// A zombie is gone but for its exit status, which only its parent
		// (possibly an init that does not reap) can collect.
		if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] != "Z" {
			t.Errorf("process %d (%s) still runs", pid, bytes.Fields(stat)[1])
		}
	}
	mounts, _ := os.ReadFile("/proc/mounts")
	if strings.Contains(string(mounts), TargetDir(st.Name)) {
		t.Errorf("still mounted under %s", TargetDir(st.Name))
	}
	if _, err := net.InterfaceByName(st.Veth); err == nil {
		t.Errorf("veth %s still exists", st.Veth)
	}
	if st.NetNS == "" {
		t.Errorf("state has no network namespace to check")
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/ns/net")
	for _, p := range procs {
		if ns, _ := os.Readlink(p); ns == st.NetNS {
			t.Errorf("%s still lives in the target's network namespace %s", filepath.Dir(filepath.Dir(p)), ns)
		}
	}
	cgroups, _ := filepath.Glob("/sys/fs/cgroup/*/jitsi-sandbox/" + st.Name)
	if cg := "/sys/fs/cgroup/jitsi-sandbox/" + st.Name; fileExists(cg) {
		cgroups = append(cgroups, cg)
	}
	if len(cgroups) > 0 {
		t.Errorf("cgroups left: %v", cgroups)
	}
	if _, err := os.Stat(TargetDir(st.Name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s still exists", TargetDir(st.Name))
	}
	if hosts, _ := os.ReadFile(HostsFile); strings.Contains(string(hosts), hostsBegin(st.Name)+"\n") {
		t.Errorf("%s still names %s", HostsFile, JanssenHost(st.Name))
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestBoot(t *testing.T) {
	t.Parallel()
	for _, suite := range Suites {
		t.Run(suite, func(t *testing.T) {
			t.Parallel()
			tg := bringUp(t, Options{Name: "b-" + suite, Suite: suite})
			ctx := testContext(t)
			t.Logf("%s: booted in %s, ready in %s", suite, tg.BootTime, tg.ReadyAfter)

			// Only what `up` printed: key, user, address and host key.
			known := filepath.Join(t.TempDir(), "known_hosts")
			os.WriteFile(known, []byte(tg.Address+" "+tg.HostKey+"\n"), 0o600)
			out, err := sshWith(ctx, tg.Info, known, "systemctl is-system-running; . /etc/os-release; echo $VERSION_CODENAME")
			if f := strings.Fields(out); len(f) != 2 || (f[0] != "running" && f[0] != "degraded") || f[1] != suite {
				t.Fatalf("system state and release = %q (%v), want running or degraded, and %s", out, err, suite)
			}
			// And the host key is really checked.
			_, other, _ := sshKey("")
			os.WriteFile(known, []byte(tg.Address+" "+other+"\n"), 0o600)
			if out, err := sshWith(ctx, tg.Info, known, "true"); err == nil || !strings.Contains(out, "Host key verification failed") {
				t.Errorf("ssh with a wrong pinned host key: %v %q, want a host key failure", err, out)
			}

			if _, err := answers.Load(tg.AnswersFile); err != nil {
				t.Errorf("the installer rejects %s: %v", tg.AnswersFile, err)
			}

			if err := tg.Down(ctx); err != nil {
				t.Fatalf("down: %v", err)
			}
			assertGone(t, tg.State)
			if err := Down(ctx, tg.Name); err != nil {
				t.Errorf("second down: %v", err)
			}
		})
	}
}

// TestServices checks, from inside a target, what its daemon serves.
func TestServices(t *testing.T) {
	t.Parallel()
	tg := bringUp(t, Options{Name: "services"})
	for _, f := range []string{tg.ACMECA, tg.JanssenCA} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		copyTo(t, tg, b, "/tmp/"+filepath.Base(filepath.Dir(f))+".pem")
	}
	tests := []struct {
		name, cmd, want string
	}{
		{"proxy refuses other hosts", "curl -s -o /dev/null -w '%{http_code}' -x " + tg.AptProxy + " http://example.com/", "403"},
		{"proxy reaches Debian", "curl -s -o /dev/null -w '%{http_code}' -x " + tg.AptProxy + " http://deb.debian.org/debian/dists/" + tg.Suite + "/InRelease", "200"},
		{"repository key", "curl -fsS " + tg.RepoKeyURL + " | gpg --show-keys --with-colons 2>/dev/null | awk -F: '$1==\"fpr\"{print $10; exit}'", tg.RepoFingerprint},
		{"repository through the proxy", "curl -fsS -x " + tg.AptProxy + " " + tg.RepoURL + "stable/Release | grep -c '^SHA256:'", "1"},
		{"pebble", "curl -fsS --cacert /tmp/pebble.pem " + tg.ACMEServer + " | grep -o newAccount | head -1", "newAccount"},
		{"janssen discovery", "curl -fsS --cacert /tmp/janssen.pem " + tg.JanssenIssuer + "/jans-auth/.well-known/openid-configuration | grep -o '\"issuer\":\"[^\"]*\"'", `"issuer":"` + tg.JanssenIssuer + `"`},
		{"janssen has a DNS name", "getent hosts " + tg.JanssenHost + " | awk '{print $1}'", tg.HostAddress},
		{"janssen JWKS by name, certificate checked", "curl -fsS -o /dev/null -w '%{http_code}' --cacert /tmp/janssen.pem https://" + tg.JanssenHost + ":8443/jans-auth/restv1/jwks", "200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustSSH(t, tg, tt.cmd); got != tt.want {
				t.Errorf("%s\n= %q, want %q", tt.cmd, got, tt.want)
			}
		})
	}
	t.Run("janssen by name from this machine", func(t *testing.T) {
		if want := "https://" + JanssenHost(tg.Name) + ":8443"; tg.JanssenIssuer != want {
			t.Fatalf("issuer %s, want %s", tg.JanssenIssuer, want)
		}
		c, err := jwks.NewClient(tg.JanssenCA)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jwks.FetchDiscovery(testContext(t), c, tg.JanssenIssuer+"/jans-auth/.well-known/openid-configuration", tg.JanssenIssuer); err != nil {
			t.Errorf("discovery by name from this machine: %v", err)
		}
	})
	t.Run("janssen admin on loopback mints tokens", func(t *testing.T) {
		if !strings.HasPrefix(tg.JanssenAdmin, "http://127.0.0.1:") {
			t.Fatalf("admin API at %s, want loopback", tg.JanssenAdmin)
		}
		resp, err := http.Post(tg.JanssenAdmin+"/mint", "application/json", strings.NewReader(`{"claims":{"room":"*"}}`))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.Count(string(tok), ".") != 2 {
			t.Errorf("POST /mint = %s %q, want a JWT", resp.Status, tok)
		}
	})
}

// copyTo writes data to path on the target.
func copyTo(t testing.TB, tg *Target, data []byte, path string) {
	t.Helper()
	if _, err := tg.Run(testContext(t), bytes.NewReader(data), "cat > "+ShellQuote(path)); err != nil {
		t.Fatal(err)
	}
}

// useProxy points the target's apt at its proxy and the stand-in Jitsi
// repository, as the installer does, and updates the package lists.
func useProxy(t testing.TB, tg *Target, jitsi bool) {
	t.Helper()
	mustSSH(t, tg, fmt.Sprintf(`echo 'Acquire::http::Proxy "%s";' > /etc/apt/apt.conf.d/01proxy`, tg.AptProxy))
	if jitsi {
		mustSSH(t, tg, fmt.Sprintf(`curl -fsS %s | gpg --dearmor > /usr/share/keyrings/jitsi.gpg && echo 'deb [signed-by=/usr/share/keyrings/jitsi.gpg] %s %s' > /etc/apt/sources.list.d/jitsi.list`,
			tg.RepoKeyURL, tg.RepoURL, tg.RepoSuite))
	}
	mustSSH(t, tg, "apt-get update -q >/tmp/apt-update.log 2>&1 || { cat /tmp/apt-update.log; exit 1; }")
}

const aptInstall = "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "

func TestStandinPackage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		preseed bool
		suite   string
	}{
		{"pkg-preseed", true, ""},
		{"pkg-bare", false, ""},
		{"pkg-old", true, standin.OldSuite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tg := bringUp(t, Options{Name: tt.name, JitsiSuite: tt.suite})
			useProxy(t, tg, true)
			if tt.preseed {
				copyTo(t, tg, []byte("jitsi-videobridge2 jitsi-videobridge/jvb-hostname string "+tg.Domain+"\n"), "/tmp/preseed")
				mustSSH(t, tg, "debconf-set-selections /tmp/preseed")
			}
			out, err := tg.SSH(testContext(t), aptInstall+"jitsi-videobridge2 2>&1")
			status, _ := tg.SSH(testContext(t), "dpkg-query -W -f='${db:Status-Status}' jitsi-videobridge2")
			if !tt.preseed {
				if err == nil || !strings.Contains(out, "jitsi-videobridge/jvb-hostname is not preseeded") || status == "installed" {
					t.Fatalf("install without answers: err %v, status %q, want a failed postinst naming the question:\n%s", err, status, out)
				}
				return
			}
			if err != nil || status != "installed" {
				t.Fatalf("install with answers: %v, status %q:\n%s", err, status, out)
			}
			list := standin.Packages
			if tt.suite == standin.OldSuite {
				list = standin.OldPackages
			}
			pkgs, err := list()
			if err != nil {
				t.Fatal(err)
			}
			got := mustSSH(t, tg, "dpkg-query -W -f='${Version}' jitsi-videobridge2")
			for _, p := range pkgs {
				if p.Name == "jitsi-videobridge2" && got != p.Version {
					t.Errorf("installed jitsi-videobridge2 %s from %s, want %s", got, tg.RepoSuite, p.Version)
				}
			}
			if got := mustSSH(t, tg, "systemctl is-active jitsi-videobridge2 || true"); got != "active" && got != "activating" {
				t.Errorf("jitsi-videobridge2 is %s", got)
			}
		})
	}
}

func TestCertbot(t *testing.T) {
	t.Parallel()
	tg := bringUp(t, Options{Name: "certbot"})
	useProxy(t, tg, false)
	mustSSH(t, tg, aptInstall+"nginx certbot python3-certbot-nginx >/tmp/install.log 2>&1 || { tail -30 /tmp/install.log; exit 1; }")
	ca, err := os.ReadFile(tg.ACMECA)
	if err != nil {
		t.Fatal(err)
	}
	copyTo(t, tg, ca, "/etc/ssl/pebble-ca.pem")
	copyTo(t, tg, []byte("server {\n  listen 80;\n  server_name "+tg.Domain+";\n  root /var/www/html;\n}\n"), "/etc/nginx/sites-enabled/"+tg.Domain)
	mustSSH(t, tg, "nginx -t 2>&1 && systemctl reload nginx")
	cmd := fmt.Sprintf("REQUESTS_CA_BUNDLE=/etc/ssl/pebble-ca.pem certbot --nginx -d %s --agree-tos -m ops@example.com --no-eff-email --non-interactive --server %s 2>&1",
		tg.Domain, tg.ACMEServer)
	if out, err := tg.SSH(testContext(t), cmd); err != nil {
		t.Fatalf("certbot: %v\n%s", err, out)
	}
	mustSSH(t, tg, "test -s /etc/letsencrypt/live/"+tg.Domain+"/fullchain.pem")

	// The served certificate chains to Pebble's root, for the target's name.
	pool, err := tg.ACMERoots()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", tg.Address+":443", &tls.Config{ServerName: tg.Domain, RootCAs: pool})
	if err != nil {
		t.Fatalf("TLS to nginx with Pebble's root: %v", err)
	}
	conn.Close()
}

// hostFirewall is this machine's ruleset, without counters and timestamps.
func hostFirewall(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	counters := regexp.MustCompile(`\[\d+:\d+\]|counter packets \d+ bytes \d+`)
	for _, c := range [][]string{{"nft", "list", "ruleset"}, {"iptables-save"}, {"ip6tables-save"}, {"iptables-legacy-save"}} {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		out, err := exec.Command(c[0], c[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", c[0], err, out)
		}
		fmt.Fprintf(&b, "== %s\n", c[0])
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.HasPrefix(l, "#") {
				b.WriteString(counters.ReplaceAllString(l, "") + "\n")
			}
		}
	}
	return b.String()
}

// probe reports how a TCP connection to a closed port ends: "refused" when
// the target answers with a reset, "dropped" when nothing answers.
func probe(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	switch {
	case err == nil:
		c.Close()
		return "open"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	default:
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "dropped"
		}
		return err.Error()
	}
}

func TestUFW(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	ctx := testContext(t)
	_, nft := exec.LookPath("nft")
	_, ipt := exec.LookPath("iptables-save")
	if nft != nil && ipt != nil {
		if err := EnsureHost(ctx, testenv.Log(t), "nftables", "iptables"); err != nil {
			t.Fatal(err)
		}
	}
	tg := bringUp(t, Options{Name: "ufw", Suite: "bookworm"})
	useProxy(t, tg, false)
	mustSSH(t, tg, aptInstall+"ufw >/tmp/install.log 2>&1 || { tail -30 /tmp/install.log; exit 1; }")
	closed := tg.Address + ":9"
	if got := probe(closed); got != "refused" {
		t.Fatalf("closed port before ufw: %s, want refused", got)
	}

	before := hostFirewall(t)
	mustSSH(t, tg, "ufw allow 22/tcp && ufw --force enable")
	if got := mustSSH(t, tg, "ufw status | head -1"); got != "Status: active" {
		t.Fatalf("ufw status: %q", got)
	}
	if after := hostFirewall(t); after != before {
		t.Errorf("the host's firewall changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// A new connection: SSH is still allowed, the rest is dropped by the
	// target's own firewall.
	if got := mustSSH(t, tg, "echo ok"); got != "ok" {
		t.Errorf("ssh after ufw enable: %q", got)
	}
	if got := probe(closed); got != "dropped" {
		t.Errorf("closed port with ufw enabled: %s, want dropped", got)
	}
}

func TestTwoTargets(t *testing.T) {
	t.Parallel()
	names := []string{"pair-a", "pair-b"}
	tgs := make([]*Target, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tgs[i] = bringUpNoFatal(t, name)
		}()
	}
	wg.Wait()
	for _, tg := range tgs {
		if tg == nil {
			t.FailNow()
		}
	}
	if tgs[0].Address == tgs[1].Address {
		t.Fatalf("both targets at %s", tgs[0].Address)
	}
	for _, tg := range tgs {
		if got := mustSSH(t, tg, "hostname"); got != tg.Name {
			t.Errorf("hostname at %s = %q, want %q", tg.Address, got, tg.Name)
		}
	}
	if err := tgs[0].Down(testContext(t)); err != nil {
		t.Fatal(err)
	}
	assertGone(t, tgs[0].State)
	if got := mustSSH(t, tgs[1], "systemctl is-system-running || true"); got != "running" && got != "degraded" {
		t.Errorf("%s after %s went down: %q", tgs[1].Name, tgs[0].Name, got)
	}
}

// bringUpNoFatal is bringUp for other goroutines than the test's.
func bringUpNoFatal(t *testing.T, name string) *Target {
	ctx := testContext(t)
	Down(ctx, name)
	tg, err := Up(ctx, Options{Name: name, Log: testenv.Log(t)})
	if err != nil {
		t.Errorf("up %s: %v", name, err)
		return nil
	}
	t.Cleanup(func() {
		if err := tg.Down(context.Background()); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	return tg
}

func TestOpsSudo(t *testing.T) {
	t.Parallel()
	tg := bringUp(t, Options{Name: "ops", Suite: "bookworm", User: "ops"})
	if got := mustSSH(t, tg, "id -un"); got != "ops" {
		t.Fatalf("logged in as %q", got)
	}
	st, err := os.Stat(tg.SudoPasswordFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("sudo password file: %v %v, want mode 0600", st, err)
	}
	pw, _ := os.ReadFile(tg.SudoPasswordFile)
	a, _ := os.ReadFile(tg.AnswersFile)
	if !strings.Contains(string(a), "${file:"+tg.SudoPasswordFile+"}") || strings.Contains(string(a), string(pw)) {
		t.Errorf("answers file must reference the password by file, not hold it:\n%s", a)
	}
	info, _ := json.Marshal(tg.Info)
	if strings.Contains(string(info), string(pw)) {
		t.Errorf("printed JSON holds the sudo password")
	}

	ctx := testContext(t)
	if out, err := tg.SSH(ctx, "sudo -n true 2>&1"); err == nil {
		t.Errorf("sudo without a password worked: %q", out)
	}
	if out, err := tg.Run(ctx, strings.NewReader("wrong\n"), "sudo -S -p '' id -u 2>&1"); err == nil {
		t.Errorf("sudo with a wrong password worked: %q", out)
	}
	if got, err := tg.Run(ctx, bytes.NewReader(append(pw, '\n')), "sudo -S -p '' id -u"); err != nil || strings.TrimSpace(got) != "0" {
		t.Errorf("sudo -S with the password: %q %v, want 0", got, err)
	}
	if got, err := tg.Sudo(ctx, "id -u"); err != nil || strings.TrimSpace(got) != "0" {
		t.Errorf("Sudo: %q %v, want 0", got, err)
	}
}

// BenchmarkUp measures bringing a target up from the cache and down again.
func BenchmarkUp(b *testing.B) {
	testenv.Root(b)
	ctx := context.Background()
	if _, err := EnsureRootfs(ctx, Suites[0], testenv.Log(b)); err != nil {
		b.Fatal(err)
	}
	Down(ctx, "bench")
	var ready time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tg, err := Up(ctx, Options{Name: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		ready += time.Since(start)
		if err := tg.Down(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(ready.Milliseconds())/float64(b.N), "ms-to-ready/op")
}
