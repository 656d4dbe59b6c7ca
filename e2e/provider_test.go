//go:build e2e

package e2e

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jitsi-installer/jitsi-installer/e2e/chrome"
	"github.com/jitsi-installer/jitsi-installer/e2e/oidc"
	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
)

// providerSignIn installs tg again with oidc-provider, a certified OpenID
// provider, as its issuer and signs in there with Chromium: the provider's
// login and consent, sso.html's code exchange with its token endpoint from
// the meeting origin, and the room joined over BOSH with the access token
// the provider signed, which the target's Prosody checks against the keys
// its JWKS refresh copied from the provider.
func providerSignIn(t *testing.T, tg *sandbox.Target) {
	testenv.Tools(t, "apt-get install nodejs npm", "node")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	module, err := oidc.Install(ctx, oidc.CacheDir())
	if err != nil {
		testenv.Skip(t, err.Error())
	}
	p, err := oidc.Start(ctx, oidc.Options{
		Module: module, Domain: tg.Domain, Audience: "jitsi", WebClient: sandbox.WebClientID,
		Host: tg.HostAddress, Log: testenv.Log(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)

	answers := providerAnswers(t, tg, p)
	mustInstall(t, answers, "install with oidc-provider as the issuer")
	v := jitsi(t, false, "verify", "--answers", answers)
	if want := "pass Janssen's token endpoint allows CORS from https://" + tg.Domain; v.code != 0 || !strings.Contains(v.out, want) {
		t.Fatalf("verify with oidc-provider: exit %d, want it to pass and say %q\n%s", v.code, want, v.out)
	}

	meetSPKI, err := sandbox.ServerSPKI(net.JoinHostPort(tg.Address, "443"), tg.Domain)
	if err != nil {
		t.Fatal(err)
	}
	provHost := strings.TrimPrefix(p.Issuer, "https://")
	provSPKI, err := sandbox.ServerSPKI(provHost, tg.HostAddress)
	if err != nil {
		t.Fatal(err)
	}
	tab := chrome.Start(t, map[string]string{tg.Domain: tg.Address}, []string{meetSPKI, provSPKI})
	chrome.Navigate(t, tab, "https://"+tg.Domain+"/provider"+randomWord())
	popup := chrome.ClickForPopup(t, tab, signInButton)
	chrome.Fill(t, popup.Tab(t), [][2]string{{`input[name="login"]`, "ada"}, {`input[name="password"]`, "any"}}, `button[type="submit"]`)
	chrome.Click(t, popup.Tab(t), `button[type="submit"]`) // consent
	chrome.WaitText(t, tab, pageStatus, "Joined provider", pageError)
}

// providerAnswers is tg's answers file with p as the issuer: its discovery
// document, its CA, and no test client (verify's token login is Janssen's).
func providerAnswers(t *testing.T, tg *sandbox.Target, p *oidc.Provider) string {
	t.Helper()
	b, err := os.ReadFile(tg.AnswersFile)
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]any
	if err := yaml.Unmarshal(b, &a); err != nil {
		t.Fatal(err)
	}
	j, _ := a["janssen"].(map[string]any)
	if j == nil {
		t.Fatalf("%s has no janssen section", tg.AnswersFile)
	}
	j["issuer"], j["discovery_url"], j["ca_bundle"] = p.Issuer, p.Discovery(), p.CAFile
	delete(j, "test_client")
	if b, err = yaml.Marshal(a); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "answers-oidc-provider.yaml")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
