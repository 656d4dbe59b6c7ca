package sandbox

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

// newTestProxy runs the proxy on loopback with an upstream that stands in
// for every mirror, and returns a client that uses the proxy.
func newTestProxy(t *testing.T) (client *http.Client, hits *atomic.Int32) {
	t.Helper()
	hits = new(atomic.Int32)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.WriteString(w, "from "+r.Host+r.URL.Path)
	}))
	t.Cleanup(upstream.Close)
	toUpstream := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "tcp", upstream.Listener.Addr().String())
	}}
	local := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "local "+r.URL.RequestURI())
	})
	p := newAptProxy(t.TempDir(), map[string]http.Handler{"10.213.9.1:8000": local}, toUpstream, log.New(io.Discard, "", 0))
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	pu, _ := url.Parse(srv.URL)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}, hits
}

func TestAptProxy(t *testing.T) {
	tests := []struct {
		name, method, url string
		want              int
		body              string
	}{
		{"debian mirror", "GET", "http://deb.debian.org/debian/dists/trixie/InRelease", 200, "from deb.debian.org/debian/dists/trixie/InRelease"},
		{"security mirror", "GET", "http://security.debian.org/debian-security/dists/trixie-security/InRelease", 200, "from security.debian.org/"},
		{"ubuntu archive", "GET", "http://archive.ubuntu.com/ubuntu/dists/noble/InRelease", 200, "from archive.ubuntu.com/ubuntu/dists/noble/InRelease"},
		{"ubuntu security", "GET", "http://security.ubuntu.com/ubuntu/dists/noble-security/InRelease", 200, "from security.ubuntu.com/"},
		{"stand-in repository served locally", "GET", "http://10.213.9.1:8000/stable/Release", 200, "local /stable/Release"},
		{"other host", "GET", "http://example.com/", 403, ""},
		{"mirror on another port", "GET", "http://deb.debian.org:8080/debian/", 403, ""},
		{"other port of the host side", "GET", "http://10.213.9.1:3142/", 403, ""},
		{"write method", "POST", "http://deb.debian.org/debian/", 403, ""},
	}
	client, _ := newTestProxy(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.want || !strings.HasPrefix(string(body), tt.body) {
				t.Errorf("%s %s = %d %q, want %d %q", tt.method, tt.url, resp.StatusCode, body, tt.want, tt.body)
			}
		})
	}
}

func TestAptProxyRefusesConnect(t *testing.T) {
	client, _ := newTestProxy(t)
	_, err := client.Get("https://deb.debian.org/debian/")
	if err == nil || !strings.Contains(err.Error(), "Forbidden") {
		t.Fatalf("HTTPS through the proxy: %v, want Forbidden", err)
	}
}

func TestAptProxyCache(t *testing.T) {
	tests := []struct {
		path       string
		wantCached bool
	}{
		{"/debian/pool/main/n/nginx/nginx_1.26.3-3_amd64.deb", true},
		{"/debian/dists/trixie/main/binary-amd64/by-hash/SHA256/0a1b2c", true},
		{"/debian/dists/trixie/InRelease", false},
		{"/debian/dists/trixie/main/binary-amd64/Packages.xz", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			client, hits := newTestProxy(t)
			for i := 0; i < 2; i++ {
				resp, err := client.Get("http://deb.debian.org" + tt.path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := "from deb.debian.org" + tt.path; string(body) != want {
					t.Fatalf("request %d: body %q, want %q", i+1, body, want)
				}
			}
			want := int32(2)
			if tt.wantCached {
				want = 1
			}
			if got := hits.Load(); got != want {
				t.Errorf("upstream saw %d requests for two GETs, want %d", got, want)
			}
		})
	}
}
