package assets

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/jwttest"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

func TestDeployHookIsShell(t *testing.T) {
	sh := tool(t, "sh")
	dir := t.TempDir()
	for _, v := range variants() {
		if v.name != CertbotDeployHook {
			continue
		}
		p := writeTemp(t, dir, v.file, mustRender(t, v.name, v.data))
		run(t, exec.Command(sh, "-n", p))
		if sc, err := exec.LookPath("shellcheck"); err == nil {
			run(t, exec.Command(sc, "-s", "sh", p))
		}
	}
}

// hookHost is a fake host root with stubs for the commands the hook runs as
// root; each stub logs its arguments.
type hookHost struct {
	root, bin, log string
}

func newHookHost(t *testing.T) hookHost {
	t.Helper()
	dir := t.TempDir()
	h := hookHost{root: filepath.Join(dir, "root"), bin: filepath.Join(dir, "bin"), log: filepath.Join(dir, "calls")}
	for _, d := range []string{h.bin, h.root + "/etc/prosody/certs", h.root + "/var/lib/prosody",
		h.root + "/etc/letsencrypt/live/meet.example.com", dir + "/lineage"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		h.root + "/var/lib/prosody/meet.example.com.crt":                "PACKAGE CERT",
		h.root + "/etc/prosody/certs/auth.meet.example.com.crt":         "AUTH CERT",
		h.root + "/etc/prosody/certs/auth.meet.example.com.key":         "AUTH KEY",
		h.root + "/etc/letsencrypt/live/meet.example.com/fullchain.pem": "LIVE CHAIN",
		h.root + "/etc/letsencrypt/live/meet.example.com/privkey.pem":   "LIVE KEY",
		dir + "/lineage/fullchain.pem":                                  "RENEWED CHAIN",
		dir + "/lineage/privkey.pem":                                    "RENEWED KEY",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// What jitsi-meet-prosody leaves: a link to Prosody's own certificate.
	if err := os.Symlink("../../../var/lib/prosody/meet.example.com.crt", h.root+"/etc/prosody/certs/meet.example.com.crt"); err != nil {
		t.Fatal(err)
	}
	stub := "#!/bin/sh\necho \"$(basename \"$0\") $*\" >>" + h.log + "\n"
	for _, c := range []string{"chown", "systemctl", "nginx"} {
		s := stub
		if c == "nginx" {
			s += "[ -z \"$NGINX_FAIL\" ]\n"
		}
		if err := os.WriteFile(filepath.Join(h.bin, c), []byte(s), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h hookHost) run(t *testing.T, hook []byte, env ...string) string {
	t.Helper()
	calls, err := h.try(t, hook, env...)
	if err != nil {
		t.Fatalf("hook: %v\n%s", err, calls)
	}
	return calls
}

// try runs the hook and returns the stubs' log and the hook's exit error.
func (h hookHost) try(t *testing.T, hook []byte, env ...string) (string, error) {
	t.Helper()
	p := filepath.Join(filepath.Dir(h.bin), "hook.sh")
	if err := os.WriteFile(p, hook, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", p)
	cmd.Env = append([]string{"PATH=" + h.bin + ":/usr/bin:/bin", "JITSI_INSTALLER_ROOT=" + h.root}, env...)
	out, err := cmd.CombinedOutput()
	b, _ := os.ReadFile(h.log)
	os.Remove(h.log)
	return string(b) + string(out), err
}

func (h hookHost) file(t *testing.T, rel string) (string, os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(h.root + rel)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(h.root + rel)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), fi.Mode()
}

func TestDeployHookCopiesAndReloads(t *testing.T) {
	tool(t, "sh")
	tool(t, "mktemp")
	h := newHookHost(t)
	hook := mustRender(t, CertbotDeployHook, testData())

	// Run by the installer: the certificate nginx serves.
	calls := h.run(t, hook)
	// Where Prosody's and coturn's configurations read them.
	prosody, turn := ProsodyCert("meet.example.com"), TURNCert("meet.example.com")
	for _, c := range []struct {
		path, want string
		mode       os.FileMode
	}{
		{prosody.Cert, "LIVE CHAIN", 0o640},
		{prosody.Key, "LIVE KEY", 0o640},
		{turn.Cert, "LIVE CHAIN", 0o400},
		{turn.Key, "LIVE KEY", 0o400},
	} {
		if got, mode := h.file(t, c.path); got != c.want || mode != c.mode {
			t.Errorf("%s = %q %v, want %q %v", c.path, got, mode, c.want, c.mode)
		}
	}
	for rel, want := range map[string]string{
		"/var/lib/prosody/meet.example.com.crt":        "PACKAGE CERT",
		"/etc/prosody/certs/auth.meet.example.com.crt": "AUTH CERT",
		"/etc/prosody/certs/auth.meet.example.com.key": "AUTH KEY",
	} {
		if got, _ := h.file(t, rel); got != want {
			t.Errorf("%s changed to %q", rel, got)
		}
	}
	for _, want := range []string{"root:prosody", "turnserver:turnserver", "systemctl reload prosody",
		"nginx -t -q", "systemctl reload nginx", "systemctl restart coturn"} {
		if !strings.Contains(calls, want) {
			t.Errorf("hook did not run %q; ran:\n%s", want, calls)
		}
	}
	// coturn's user passes through /etc/coturn to its copies.
	if fi, err := os.Stat(filepath.Join(h.root, "etc/coturn")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("/etc/coturn: %v %v, want mode 0755", fi.Mode(), err)
	}
	if matches, _ := filepath.Glob(h.root + "/etc/prosody/certs/*.??????"); len(matches) > 0 {
		t.Errorf("temporary files left: %v", matches)
	}

	// Run by certbot after a renewal of this lineage, on a host whose
	// /etc/coturn an earlier hook left 0700: the renewal repairs it.
	if err := os.Chmod(filepath.Join(h.root, "etc/coturn"), 0o700); err != nil {
		t.Fatal(err)
	}
	lineage := filepath.Join(filepath.Dir(h.bin), "lineage")
	h.run(t, hook, "RENEWED_LINEAGE="+lineage, "RENEWED_DOMAINS=meet.example.com")
	if got, _ := h.file(t, "/etc/prosody/certs/meet.example.com.crt"); got != "RENEWED CHAIN" {
		t.Errorf("after renewal Prosody has %q", got)
	}
	if fi, err := os.Stat(filepath.Join(h.root, "etc/coturn")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("after renewal /etc/coturn: %v %v, want mode 0755", fi.Mode(), err)
	}

	// Another certificate on the host renewed: nothing happens.
	os.WriteFile(lineage+"/fullchain.pem", []byte("OTHER"), 0o600)
	if calls := h.run(t, hook, "RENEWED_LINEAGE="+lineage, "RENEWED_DOMAINS=other.example.org meet.example.com.evil"); calls != "" {
		t.Errorf("hook acted for another lineage: %s", calls)
	}
	if got, _ := h.file(t, "/etc/prosody/certs/meet.example.com.crt"); got != "RENEWED CHAIN" {
		t.Errorf("another lineage replaced Prosody's certificate with %q", got)
	}

	// A broken nginx config: the other services still get the certificate, and the hook fails.
	calls, err := h.try(t, hook, "NGINX_FAIL=1")
	if err == nil || strings.Contains(calls, "reload nginx") || !strings.Contains(calls, "reload prosody") ||
		!strings.Contains(calls, "restart coturn") || !strings.Contains(calls, "nginx -t failed") {
		t.Errorf("with nginx -t failing: err %v, calls:\n%s", err, calls)
	}

	// Without coturn, the hook leaves coturn alone.
	h2 := newHookHost(t)
	calls = h2.run(t, mustRender(t, CertbotDeployHook, minimalData()))
	if strings.Contains(calls, "coturn") || strings.Contains(calls, "turnserver") {
		t.Errorf("hook touched coturn without a TURN server: %s", calls)
	}
}

// jwksServer serves a JWKS on loopback that the test can rotate.
type jwksServer struct {
	mu   sync.Mutex
	keys []map[string]any
	fail bool
	*httptest.Server
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fail {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": s.keys})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(keys ...map[string]any) {
	s.mu.Lock()
	s.keys, s.fail = keys, false
	s.mu.Unlock()
}

// keyFile is where Prosody's asap_key_server lookup goes for kid.
func keyFile(dir, kid string) string {
	return filepath.Join(dir, jwks.KeyFileName(kid))
}

func readKey(t *testing.T, path string) *rsa.PublicKey {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		t.Fatalf("%s is not a PUBLIC KEY PEM: %q", path, b)
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	pub, ok := k.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("%s holds a %T", path, k)
	}
	return pub
}

func TestKeyRefresh(t *testing.T) {
	python := tool(t, "python3")
	srv := newJWKSServer(t)
	d := testData()
	d.JWKSURL = srv.URL + "/jans-auth/restv1/jwks"
	dir := t.TempDir()
	script := writeTemp(t, dir, "jwks-refresh.py", mustRender(t, KeyRefresh, d))
	keys := filepath.Join(dir, "keys")
	refresh := func() (string, error) {
		out, err := exec.Command(python, script, "--dir", keys).CombinedOutput()
		return string(out), err
	}

	k1, k2 := jwttest.NewKey(t, "kid-1"), jwttest.NewKey(t, "2f1c6b8e-sig-ü")
	enc := jwttest.NewKey(t, "enc-key").JWK()
	enc["use"], enc["alg"] = "enc", "RSA-OAEP"
	srv.set(k1.JWK(), k2.JWK(), enc, jwttest.ECJWK(t, "ec-key"))
	if out, err := refresh(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for kid, pub := range map[string]*rsa.PublicKey{k1.Kid: k1.Public(), k2.Kid: k2.Public()} {
		if got := readKey(t, keyFile(keys, kid)); !got.Equal(pub) {
			t.Errorf("key for %s differs from the JWKS", kid)
		}
		if fi, _ := os.Stat(keyFile(keys, kid)); fi.Mode().Perm() != 0o644 {
			t.Errorf("key for %s has mode %v", kid, fi.Mode())
		}
	}
	if ents, _ := os.ReadDir(keys); len(ents) != 3 {
		t.Errorf("%d files in the key directory, want the 2 RSA signing keys and %s", len(ents), KeysJWKS)
	}
	// The JWKS Prosody reads holds the RSA signing keys only: its plugin
	// converts every key as RSA and stops at the first it cannot.
	if got := jwksKids(t, filepath.Join(keys, KeysJWKS)); strings.Join(got, ",") != "2f1c6b8e-sig-ü,kid-1" {
		t.Errorf("%s lists %q, want the 2 RSA signing keys", KeysJWKS, got)
	}

	// Janssen rotates: the new key appears next to the one it still
	// publishes; a key it no longer publishes is retired and goes.
	k3 := jwttest.NewKey(t, "kid-3")
	srv.set(k2.JWK(), k3.JWK())
	if out, err := refresh(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := readKey(t, keyFile(keys, "kid-3")); !got.Equal(k3.Public()) {
		t.Error("rotated key differs from the JWKS")
	}
	if _, err := os.Stat(keyFile(keys, "kid-1")); !os.IsNotExist(err) {
		t.Error("a key gone from the JWKS is still served")
	}
	if _, err := os.Stat(keyFile(keys, "2f1c6b8e-sig-ü")); err != nil {
		t.Error("a key still in the JWKS was removed")
	}
	if got := jwksKids(t, filepath.Join(keys, KeysJWKS)); strings.Join(got, ",") != "2f1c6b8e-sig-ü,kid-3" {
		t.Errorf("after the rotation %s lists %q", KeysJWKS, got)
	}

	// --check asks the key server for every key of the JWKS as Prosody does.
	ks := httptest.NewServer(http.StripPrefix("/asap/", http.FileServer(http.Dir(keys))))
	defer ks.Close()
	check := func() (string, error) {
		out, err := exec.Command(python, script, "--check", ks.URL+"/asap").CombinedOutput()
		return string(out), err
	}
	if out, err := check(); err != nil {
		t.Errorf("--check with every key served: %v: %s", err, out)
	}
	if err := os.Rename(keyFile(keys, "kid-3"), keyFile(keys, "kid-1")); err != nil {
		t.Fatal(err)
	}
	if out, err := check(); err == nil || !strings.Contains(out, "kid kid-3") {
		t.Errorf("--check with kid-3 missing: %v: %s", err, out)
	}
	if out, err := refresh(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := os.Stat(keyFile(keys, "kid-1")); !os.IsNotExist(err) {
		t.Error("a file for a kid the JWKS lacks is still served")
	}
	if out, err := check(); err != nil {
		t.Errorf("--check after a refresh: %v: %s", err, out)
	}

	// Janssen down or publishing nothing usable: exit 1, keys untouched.
	srv.mu.Lock()
	srv.fail = true
	srv.mu.Unlock()
	if out, err := refresh(); err == nil {
		t.Errorf("refresh succeeded against a failing JWKS: %s", out)
	}
	srv.set(enc)
	if out, err := refresh(); err == nil {
		t.Errorf("refresh succeeded without RSA signing keys: %s", out)
	}
	if _, err := os.Stat(keyFile(keys, "kid-3")); err != nil {
		t.Error("a failed refresh removed a key")
	}
}

// jwksKids lists the kids of a JWKS file, sorted, each key checked to be an
// RSA signing key.
func jwksKids(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var kids []string
	for _, k := range doc.Keys {
		if k["kty"] != "RSA" || k["use"] == "enc" || k["n"] == "" || k["e"] == "" {
			t.Errorf("%s holds %v", path, k)
		}
		kids = append(kids, k["kid"])
	}
	sort.Strings(kids)
	return kids
}

func TestKeyRefreshScriptShape(t *testing.T) {
	b := string(mustRender(t, KeyRefresh, testData()))
	if !strings.HasPrefix(b, "#!/usr/bin/python3\n") {
		t.Error("refresh script does not start with a python3 shebang")
	}
	svc := string(mustRender(t, KeyRefreshService, testData()))
	if !strings.Contains(svc, "ExecStart=/usr/bin/python3 "+Dest(KeyRefresh, "")) ||
		!strings.Contains(svc, "StateDirectory="+strings.TrimPrefix(KeysDir, "/var/lib/")) {
		t.Errorf("service does not run %s with %s writable:\n%s", Dest(KeyRefresh, ""), KeysDir, svc)
	}
	if python, err := exec.LookPath("python3"); err == nil {
		p := writeTemp(t, t.TempDir(), "r.py", []byte(b))
		run(t, exec.Command(python, "-m", "py_compile", p))
	}
}
