//go:build e2e

package oidc_test

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/e2e/chrome"
	"github.com/jitsi-installer/jitsi-installer/e2e/oidc"
	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testca"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// webApp is the stand-in jitsi-meet-web package's files.
const webApp = "../standin/pkgs/jitsi-meet-web/usr/share/jitsi-meet"

// TestBrowserSignIn signs in with Chromium against oidc-provider, a
// certified provider, with the installer's config.js and the stand-in web
// app's pages: the room page's popup goes through the provider's login and
// consent, sso.html exchanges the code with PKCE at the provider's token
// endpoint from the meeting origin, and the room page connects with the
// access token, which the token doctor must find Jitsi accepts. With the
// provider's CORS excluding the meeting origin the sign-in fails as the
// browser reports it. No Prosody here: the meeting server records the
// token the page connects with.
func TestBrowserSignIn(t *testing.T) {
	t.Parallel()
	testenv.Root(t) // the meeting server listens on port 443
	testenv.Tools(t, "apt-get install chromium", "chromium")
	cases := []struct {
		name    string
		origins []string
		want    string // the room page's error; "" signs in
	}{
		{name: "signs in"},
		{name: "CORS refused", origins: []string{"https://other.example.com"}, want: "Sign-in failed: Failed to fetch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := startProviderWith(t, oidc.Options{WebClient: "jitsi-meet", CORSOrigins: tc.origins})
			m := serveMeeting(t, p)
			provSPKI, err := sandbox.ServerSPKI(strings.TrimPrefix(p.Issuer, "https://"), "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			tab := chrome.Start(t, map[string]string{domain: m.addr}, []string{m.spki, provSPKI})
			chrome.Navigate(t, tab, "https://"+domain+"/room1")
			popup := chrome.ClickForPopup(t, tab, "#signin")
			chrome.Fill(t, popup.Tab(t), [][2]string{{`input[name="login"]`, "ada"}, {`input[name="password"]`, "any"}}, `button[type="submit"]`)
			chrome.Click(t, popup.Tab(t), `button[type="submit"]`) // consent
			if tc.want != "" {
				chrome.WaitText(t, tab, "#error", tc.want, "")
				return
			}
			var token string
			select {
			case token = <-m.tokens:
			case <-time.After(60 * time.Second):
				t.Fatalf("the room page connected with no token; %s", chrome.Shows(tab))
			}
			answers := answersFile(t, p.Issuer, p.Discovery(), p.CAFile)
			code, out, errOut := run(t, token+"\n", "token", "check", "-a", answers, "-")
			if code != 0 || !strings.Contains(out, "Jitsi would accept this token.") {
				t.Fatalf("the token the browser signed in with: exit %d\n%s%s", code, out, errOut)
			}
			notIn(t, token, out+errOut)
		})
	}
}

// meeting is the meeting server of the test: the web app's files over TLS
// on port 443 of a loopback address, config.js as the installer renders it
// for the provider, sso.html with config.js included as nginx's SSI does,
// and a BOSH endpoint that records the token a page connects with.
type meeting struct {
	addr, spki string
	tokens     chan string
}

func serveMeeting(t *testing.T, p *oidc.Provider) *meeting {
	t.Helper()
	_, disc := discover(t, p)
	configJS, err := assets.Render(assets.ConfigJS, assets.Data{
		Domain: domain, ClientID: "jitsi-meet", ChannelLastN: -1,
		AuthorizeURL: disc.AuthorizationEndpoint, TokenURL: disc.TokenEndpoint, EndSessionURL: disc.EndSessionEndpoint,
	})
	if err != nil {
		t.Fatal(err)
	}
	files, err := testca.New("meeting", domain)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := files.TLS()
	if err != nil {
		t.Fatal(err)
	}
	m := &meeting{tokens: make(chan string, 4)}

	mux := http.NewServeMux()
	static := http.FileServer(http.Dir(webApp))
	mux.HandleFunc("/config.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/javascript")
		w.Write(configJS)
	})
	mux.HandleFunc("/static/sso.html", func(w http.ResponseWriter, _ *http.Request) {
		page, err := os.ReadFile(filepath.Join(webApp, "static", "sso.html"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(strings.Replace(string(page), `<!--#include virtual="/config.js" -->`, string(configJS), 1)))
	})
	mux.HandleFunc("/http-bind", func(w http.ResponseWriter, r *http.Request) {
		select {
		case m.tokens <- r.URL.Query().Get("token"):
		default:
		}
		http.Error(w, "no XMPP server here", http.StatusServiceUnavailable)
	})
	mux.Handle("/static/", static)
	mux.Handle("/libs/", static)
	mux.Handle("/interface_config.js", static)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, filepath.Join(webApp, "index.html"))
	})

	var l net.Listener
	for i := 0; l == nil && i < 20; i++ {
		addr := fmt.Sprintf("127.77.%d.%d", rand.IntN(250)+1, rand.IntN(250)+1)
		if l, err = net.Listen("tcp", addr+":443"); err == nil {
			m.addr = addr
		}
	}
	if l == nil {
		t.Fatalf("no loopback address with port 443 free: %v", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(tls.NewListener(l, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	t.Cleanup(func() { srv.Close() })
	if m.spki, err = sandbox.ServerSPKI(m.addr+":443", domain); err != nil {
		t.Fatal(err)
	}
	return m
}
