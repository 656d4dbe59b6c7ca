package sandbox

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// aptProxy is the forward HTTP proxy a target's apt uses. It forwards only to
// Debian's and Ubuntu's mirrors, answers requests for the host side of the veth itself
// (the stand-in repository), and refuses everything else. Files that never
// change under their URL (.deb files and by-hash indexes) are kept in a cache
// shared by all targets, so repeated installs do not download again.
type aptProxy struct {
	cache    string                  // directory of the shared cache
	upstream map[string]bool         // host names we forward to
	local    map[string]http.Handler // "host:port" served here
	rp       *httputil.ReverseProxy
	log      *log.Logger
}

var mirrors = map[string]bool{
	"deb.debian.org": true, "security.debian.org": true,
	"archive.ubuntu.com": true, "security.ubuntu.com": true,
}

func newAptProxy(cache string, local map[string]http.Handler, transport http.RoundTripper, logger *log.Logger) *aptProxy {
	p := &aptProxy{cache: cache, upstream: mirrors, local: local, log: logger}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL = r.In.URL
			r.Out.Host = r.In.URL.Host
		},
		Transport:      transport,
		ModifyResponse: p.store,
		ErrorLog:       logger,
	}
	return p
}

func (p *aptProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	u := r.URL
	if r.Method == http.MethodConnect || !u.IsAbs() || u.Scheme != "http" {
		p.refuse(w, r, "only plain http:// requests through the proxy")
		return
	}
	if h, ok := p.local[u.Host]; ok {
		// Served locally, as a request the handler would have got directly.
		r2 := r.Clone(r.Context())
		r2.RequestURI = u.RequestURI()
		h.ServeHTTP(w, r2)
		return
	}
	if !p.upstream[u.Hostname()] || (u.Port() != "" && u.Port() != "80") {
		p.refuse(w, r, "host not allowed")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		p.refuse(w, r, "method not allowed")
		return
	}
	if file := p.cachePath(r); file != "" {
		if f, err := os.Open(file); err == nil {
			defer f.Close()
			if st, err := f.Stat(); err == nil {
				http.ServeContent(w, r, "", st.ModTime(), f)
				return
			}
		}
	}
	p.rp.ServeHTTP(w, r)
}

func (p *aptProxy) refuse(w http.ResponseWriter, r *http.Request, why string) {
	p.log.Printf("apt proxy: refused %s %s: %s", r.Method, r.URL, why)
	http.Error(w, "sandbox apt proxy: "+why, http.StatusForbidden)
}

// cachePath is where r's response is cached, or "" when it must not be:
// only whole GETs of files that never change under their URL.
func (p *aptProxy) cachePath(r *http.Request) string {
	if p.cache == "" || r.Method != http.MethodGet || r.Header.Get("Range") != "" {
		return ""
	}
	clean := path.Clean("/" + r.URL.Path)
	if !strings.HasSuffix(clean, ".deb") && !strings.Contains(clean, "/by-hash/") {
		return ""
	}
	return filepath.Join(p.cache, r.URL.Hostname(), filepath.FromSlash(clean))
}

// store tees a cacheable response into the cache while it streams to apt.
func (p *aptProxy) store(resp *http.Response) error {
	file := p.cachePath(resp.Request)
	if file == "" || resp.StatusCode != http.StatusOK {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return nil // caching is best effort
	}
	tmp, err := os.CreateTemp(filepath.Dir(file), ".part-*")
	if err != nil {
		return nil
	}
	resp.Body = &cacheBody{ReadCloser: resp.Body, tmp: tmp, dst: file, want: resp.ContentLength}
	return nil
}

// cacheBody copies what is read into tmp and moves it to dst if the whole
// body arrived.
type cacheBody struct {
	io.ReadCloser
	tmp    *os.File
	dst    string
	want   int64
	n      int64
	failed bool
	eof    bool
}

func (c *cacheBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	if n > 0 && !c.failed {
		if _, werr := c.tmp.Write(b[:n]); werr != nil {
			c.failed = true
		}
		c.n += int64(n)
	}
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

func (c *cacheBody) Close() error {
	err := c.ReadCloser.Close()
	cerr := c.tmp.Close()
	if c.failed || !c.eof || cerr != nil || (c.want >= 0 && c.n != c.want) {
		os.Remove(c.tmp.Name())
		return err
	}
	if rerr := os.Rename(c.tmp.Name(), c.dst); rerr != nil {
		os.Remove(c.tmp.Name())
	}
	return err
}

// listen binds addr, naming it in the error.
func listen(addr string) (net.Listener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}
