package steps

import (
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

func clusterConfig(t *testing.T, extra string) *answers.Config {
	t.Helper()
	cfg, err := answers.Parse("test.yaml", []byte(`version: 1
domain: meet.example.com
hosts:
  - address: 203.0.113.10
  - address: 203.0.113.21
    role: videobridge
    region: eu-west
  - address: bridge2.example.com
    role: videobridge
letsencrypt:
  email: ops@example.com
janssen:
  issuer: https://login.example.com
  client_id: jitsi-meet
`+extra), answers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// declared returns the resources the named step declares on h, by key.
func declared(t *testing.T, list []installer.Step, name string, h *installer.Host) map[string]installer.Resource {
	t.Helper()
	for _, s := range list {
		if s.Name() != name {
			continue
		}
		rs, err := s.Declare(h)
		if err != nil && !installer.IsSkip(err) {
			t.Fatalf("%s on %s: %v", name, h.Name, err)
		}
		if p, ok := s.(installer.Producer); ok && err == nil {
			p.Produce(h) // as the engine does after Declare
		}
		m := map[string]installer.Resource{}
		for _, r := range rs {
			m[r.Key()] = r
		}
		return m
	}
	t.Fatalf("no step %s", name)
	return nil
}

func content(t *testing.T, rs map[string]installer.Resource, key string) string {
	t.Helper()
	f, ok := rs[key].(*resource.File)
	if !ok {
		t.Fatalf("no %s in %v", key, keys(rs))
	}
	return string(f.Content)
}

func keys(rs map[string]installer.Resource) []string {
	var out []string
	for k := range rs {
		out = append(out, k)
	}
	return out
}

const coreSecrets = `{"focus":"focusPw1","jvb":"jvbPw2","turn":"turnPw3","app_secret":"app4","jvb_instance_id":"jvb-core"}`

// The core hands its videobridges its address, the jvb password and
// Prosody's certificate; each bridge gets its own id and region, the core's
// firewall and nginx name every bridge.
func TestCoreAndBridges(t *testing.T) {
	cfg := clusterConfig(t, "")
	roles := Roles(cfg, Options{})
	if roles[0].Name != answers.RoleCore || roles[1].Name != answers.RoleVideobridge {
		t.Fatalf("roles %v", roles)
	}
	names := func(ss []installer.Step) string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Name())
		}
		return strings.Join(out, ", ")
	}
	// What runs while the core converges needs nothing from it.
	if got := names(roles[1].Ahead); got != "Recovery, Preflight, APT settings, Base packages, Jitsi repository" {
		t.Errorf("videobridge steps ahead of the core: %s", got)
	}
	// The packages wait for the core's secrets (the jvb password), the
	// rest for its certificate; nothing waits for the whole core.
	w := roles[1].Waits
	if len(w) != 2 || len(roles[1].Steps) != 0 {
		t.Fatalf("videobridge stages: %d waits, then %s", len(w), names(roles[1].Steps))
	}
	if got := names(w[0].Steps); got != "Debconf answers, Jitsi version pin, Jitsi packages" {
		t.Errorf("videobridge steps after the core's secrets: %s", got)
	}
	if got := names(w[1].Steps); got != "The core's certificate, Videobridge, Firewall, Services, Backups" {
		t.Errorf("videobridge steps after the core's certificate: %s", got)
	}
	if len(roles[0].Ahead) != 0 {
		t.Errorf("the core has steps ahead: %s", names(roles[0].Ahead))
	}

	core := answersHost(cfg, "203.0.113.10", map[string]string{factOS: bookworm, factSecrets: coreSecrets,
		factAuthCert: "-----BEGIN CERTIFICATE-----\nAUTH\n-----END CERTIFICATE-----", factResolve + "bridge2.example.com": "198.51.100.22 STREAM bridge2.example.com"})
	declared(t, roles[0].Steps, "Secrets", core)
	declared(t, roles[0].Steps, "Videobridges", core)
	fw := declared(t, roles[0].Steps, "Firewall", core)
	for _, from := range []string{"203.0.113.21", "198.51.100.22"} {
		if _, ok := fw["ufw allow 5222/tcp from "+from]; !ok {
			t.Errorf("core: no XMPP rule for %s: %v", from, keys(fw))
		}
	}
	if _, ok := fw["ufw rules '"+xmppComment+"' not declared"]; !ok {
		t.Errorf("core: no pruning of removed bridges: %v", keys(fw))
	}

	b1 := answersHost(cfg, "203.0.113.21", map[string]string{factOS: bookworm})
	jvb := content(t, declared(t, roles[1].All(), "Videobridge", b1), "file "+assets.Dest(assets.JVB, ""))
	for _, want := range []string{`HOSTNAME = "203.0.113.10"`, `PASSWORD = "jvbPw2"`, `MUC_NICKNAME = "jvb-203-0-113-21"`, `server-id = "jvb-203-0-113-21"`,
		`region = "eu-west"`, `relay-id = "jvb-203-0-113-21"`, `host = "0.0.0.0"`} {
		if !strings.Contains(jvb, want) {
			t.Errorf("bridge jvb.conf lacks %s:\n%s", want, jvb)
		}
	}
	trust := declared(t, roles[1].All(), "The core's certificate", b1)
	if got := content(t, trust, "file "+coreAuthCA); !strings.Contains(got, "AUTH") {
		t.Errorf("trusted certificate %q", got)
	}
	for k := range declared(t, roles[1].All(), "Base packages", b1) {
		if strings.Contains(k, "nginx") || strings.Contains(k, "certbot") || strings.Contains(k, "software-properties-common") {
			t.Errorf("bridge base packages: %s", k)
		}
	}
	// The core's jvb password goes with the bridge's install, and is
	// cleared from debconf after it.
	pkgs := declared(t, roles[1].All(), "Jitsi packages", b1)
	if p, ok := pkgs["packages jitsi-videobridge2"].(*resource.Packages); !ok || len(p.Answers) != 1 || p.Answers[0].Value != "jvbPw2" {
		t.Errorf("bridge packages %v", keys(pkgs))
	}
	if f, ok := pkgs["debconf forget jitsi-videobridge/jvbsecret"].(*resource.DebconfForget); !ok || f.Value != "jvbPw2" || len(pkgs) != 2 {
		t.Errorf("bridge packages %v", keys(pkgs))
	}
	if pre := declared(t, roles[1].All(), "Debconf answers", b1); len(pre) != 1 {
		t.Errorf("bridge preseed %v", keys(pre))
	}
	bfw := declared(t, roles[1].All(), "Firewall", b1)
	for _, k := range []string{"ufw allow 9090/tcp from 203.0.113.10", "ufw allow 10000/udp", "ufw allow 22/tcp"} {
		if _, ok := bfw[k]; !ok {
			t.Errorf("bridge firewall lacks %s: %v", k, keys(bfw))
		}
	}
	if _, ok := bfw["ufw allow 443/tcp"]; ok {
		t.Error("bridge firewall opens 443")
	}
	svc := declared(t, roles[1].All(), "Services", b1)
	if len(svc) != 1 {
		t.Errorf("bridge services %v", keys(svc))
	}

	// The second bridge takes the deployment's region.
	b2 := answersHost(cfg, "bridge2.example.com", map[string]string{factOS: bookworm})
	jvb2 := content(t, declared(t, roles[1].All(), "Videobridge", b2), "file "+assets.Dest(assets.JVB, ""))
	if !strings.Contains(jvb2, `region = "default"`) || !strings.Contains(jvb2, `server-id = "jvb-bridge2-example-com"`) {
		t.Errorf("second bridge:\n%s", jvb2)
	}
}

// A bridge planned without its core fails, naming why.
func TestBridgeWithoutCore(t *testing.T) {
	cfg := clusterConfig(t, "")
	roles := Roles(cfg, Options{})
	b1 := answersHost(cfg, "203.0.113.21", map[string]string{factOS: bookworm})
	for _, s := range roles[1].All() {
		if s.Name() == "Videobridge" {
			if _, err := s.Declare(b1); err == nil || !strings.Contains(err.Error(), "core") {
				t.Errorf("declare without the core: %v", err)
			}
		}
	}
}

func TestBridgeCount(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  int
		ok bool
	}{
		{`{"bridge_selector":{"bridge_count":3,"operational_bridge_count":3}}`, 3, true},
		{`{"bridge_count":2}`, 2, true},
		{`{"conferences":0}`, 0, false},
		{`<html>`, 0, false},
	} {
		if n, ok := bridgeCount(tc.in); n != tc.n || ok != tc.ok {
			t.Errorf("bridgeCount(%s) = %d, %v", tc.in, n, ok)
		}
	}
}

func TestBridgeID(t *testing.T) {
	for in, want := range map[string]string{"10.213.251.3": "jvb-10-213-251-3", "Bridge-1.Example.com": "jvb-bridge-1-example-com", "2001:db8::2": "jvb-2001-db8--2"} {
		if got := bridgeID(in); got != want {
			t.Errorf("bridgeID(%s) = %s, want %s", in, got, want)
		}
	}
}

// Without a bridge of its own the core installs jitsi-meet's other
// packages, writes no jvb.conf, runs no bridge and opens no media port.
func TestCoreWithoutBridge(t *testing.T) {
	cfg := clusterConfig(t, "jitsi:\n  core_bridge: false\n")
	core := Roles(cfg, Options{})[0].Steps
	h := answersHost(cfg, "203.0.113.10", map[string]string{factOS: bookworm, factSecrets: coreSecrets})
	for k := range declared(t, core, "Jitsi packages", h) {
		if strings.HasPrefix(k, "debconf forget ") {
			continue // jitsi-meet-prosody reads the jvb password
		}
		if strings.Contains(k, "jitsi-meet ") || strings.Contains(k, "jitsi-videobridge2") || !strings.Contains(k, "jicofo") {
			t.Errorf("core packages without a bridge: %s", k)
		}
	}
	if rs := declared(t, core, "Videobridge", h); len(rs) != 0 {
		t.Errorf("videobridge step declares %v", keys(rs))
	}
	if _, ok := declared(t, core, "Firewall", h)["ufw allow 10000/udp"]; ok {
		t.Error("media port open on a core without a bridge")
	}
	for k := range declared(t, core, "Services", h) {
		if strings.Contains(k, "videobridge") {
			t.Errorf("service %s on a core without a bridge", k)
		}
	}
}

// answersHost is the host at addr of cfg, as the command line hands it to
// the engine: with its answers file entry.
func answersHost(cfg *answers.Config, addr string, facts map[string]string) *installer.Host {
	h := installertest.NewHost(addr, 22, facts)
	for _, a := range cfg.Hosts {
		if a.Address == addr {
			h.Data = a
		}
	}
	return h
}
