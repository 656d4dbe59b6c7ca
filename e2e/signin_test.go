//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
)

// Elements of the sign-in pages: the stand-in web app's room page, Janssen's
// login and consent pages, sso.html.
const (
	signInButton  = "#signin"
	signOutButton = "#signout"
	pageStatus    = "#status"
	pageError     = "#error"
	loginUser     = `input[name="loginForm:username"]`
	loginPassword = `input[name="loginForm:password"]`
	loginButton   = `[id="loginForm:loginButton"]`
	allowButton   = `[id="authorizeForm:allowButton"]`
)

// browserSignIn signs in on an installed target as a person would, in
// Chromium: the room page's sign-in opens Janssen's login in a popup
// (tokenAuthUrl, PKCE, nonce), consent, sso.html exchanges the code at
// Janssen's token endpoint from the meeting origin, and the room page joins
// the room over BOSH with the access token. Then what users see when
// sign-in is set up wrong: Janssen's CORS excluding the meeting origin, the
// nonce missing (tokenAuthInline off), a redirect URI Janssen does not
// know.
func browserSignIn(t *testing.T, tg *sandbox.Target) {
	janssenHost := sandbox.JanssenHost(tg.Name)
	issuer, err := url.Parse(tg.JanssenIssuer)
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]string{tg.Domain: tg.Address, janssenHost: tg.HostAddress}
	ctx := browser(t, hosts, tg.Domain+":443", issuer.Host)
	password, err := os.ReadFile(tg.DemoPasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	room := "https://" + tg.Domain + "/signin" + strings.ToLower(randomWord())

	t.Run("popup", func(t *testing.T) {
		popup := openSignIn(t, ctx, room)
		login(t, popup, sandbox.DemoUser, string(password))
		consent(t, popup)
		waitText(t, ctx, pageStatus, "Joined signin", pageError)
	})
	t.Run("sign out", func(t *testing.T) {
		click(t, ctx, signOutButton)
		waitText(t, ctx, pageStatus, "Signed out", pageError)
		// Janssen's session ended: signing in asks for the password again.
		popup := openSignIn(t, ctx, "")
		waitVisible(t, popup, loginUser)
		chromedp.Cancel(popup)
	})
	t.Run("CORS refused", func(t *testing.T) {
		setCORS(t, tg, []string{"https://other.example.test"})
		defer setCORS(t, tg, []string{"*"})
		popup := openSignIn(t, ctx, room)
		login(t, popup, sandbox.DemoUser, string(password))
		consent(t, popup)
		// The browser refuses sso.html the token endpoint's answer.
		waitText(t, ctx, pageError, "Sign-in failed: Failed to fetch", "")
		chromedp.Cancel(popup)
	})
	t.Run("nonce missing", func(t *testing.T) {
		// tokenAuthInline off: the app sends no nonce and keeps none.
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		navigate(t, tab, room+"#config.tokenAuthInline=false")
		click(t, tab, signInButton)
		signInIfAsked(t, tab, string(password))
		waitText(t, tab, pageError, "Error: No OAuth nonce found in session", "")
	})
	t.Run("wrong redirect URI", func(t *testing.T) {
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		navigate(t, tab, room)
		authURL, err := chromedp.Run(tab, chromedp.Evaluate[string](`config.tokenAuthUrl`))
		if err != nil {
			t.Fatal(err)
		}
		sso := url.QueryEscape("https://" + tg.Domain + "/static/sso.html")
		wrong := url.QueryEscape("https://" + tg.Domain + "/sso.html")
		if !strings.Contains(authURL, sso) {
			t.Fatalf("tokenAuthUrl %s does not name %s", authURL, sso)
		}
		navigate(t, tab, strings.NewReplacer(sso, wrong, "{state}", "%7B%7D", "{code_challenge}", "x").Replace(authURL))
		waitText(t, tab, pageError, "invalid_request_redirect_uri", "")
	})
}

// openSignIn (on room, or the page ctx shows when room is "") clicks the
// sign-in button and returns the popup it opens.
func openSignIn(t *testing.T, ctx context.Context, room string) context.Context {
	t.Helper()
	if room != "" {
		navigate(t, ctx, room)
	}
	opened := chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return i.Type == "page" })
	click(t, ctx, signInButton)
	select {
	case id := <-opened:
		popup, _ := chromedp.NewContext(ctx, chromedp.WithTargetID(id))
		return popup
	case <-time.After(30 * time.Second):
		t.Fatal("the sign-in opened no window")
	}
	return nil
}

func login(t *testing.T, tab context.Context, user, password string) {
	t.Helper()
	if err := do(tab,
		chromedp.WaitVisible(chromedp.CSS(loginUser)),
		chromedp.SendKeys(chromedp.CSS(loginUser), user),
		chromedp.SendKeys(chromedp.CSS(loginPassword), password),
		chromedp.Click(chromedp.CSS(loginButton)),
	); err != nil {
		t.Fatalf("Janssen's login page: %v", err)
	}
}

func consent(t *testing.T, tab context.Context) {
	t.Helper()
	if err := do(tab, chromedp.WaitVisible(chromedp.CSS(allowButton)), chromedp.Click(chromedp.CSS(allowButton))); err != nil {
		t.Fatalf("Janssen's consent page: %v", err)
	}
}

// signInIfAsked logs in and consents when Janssen asks (no session yet)
// and waits for sso.html.
func signInIfAsked(t *testing.T, tab context.Context, password string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		loc, _ := chromedp.Run(tab, chromedp.Location())
		asks, allow := exists(tab, loginUser), exists(tab, allowButton)
		switch {
		case strings.Contains(loc, "/static/sso.html"):
			return
		case asks:
			login(t, tab, sandbox.DemoUser, password)
		case allow:
			consent(t, tab)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatal("the sign-in did not reach sso.html")
}

func navigate(t *testing.T, tab context.Context, u string) {
	t.Helper()
	if err := do(tab, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
}

func click(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	if err := do(tab, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

func waitVisible(t *testing.T, tab context.Context, sel string) {
	t.Helper()
	if err := do(tab, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s did not show: %v", sel, err)
	}
}

// waitText waits until sel's text holds want; a text in failSel ends the
// wait at once, as the page's own error.
func waitText(t *testing.T, tab context.Context, sel, want, failSel string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got, loc string
	for time.Now().Before(deadline) {
		loc, _ = chromedp.Run(tab, chromedp.Location())
		if got = text(tab, sel); strings.Contains(got, want) {
			return
		}
		if failSel != "" {
			if failed := text(tab, failSel); failed != "" {
				t.Fatalf("%s: %s says %q, want %s saying %q", loc, failSel, failed, sel, want)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	body, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	t.Fatalf("%s: %s says %q after 60 s, want %q; the page:\n%s", loc, sel, got, want, body)
}

// do runs steps on tab within 30 seconds.
func do(tab context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// text is the text of the element sel selects, "" when there is none.
func text(tab context.Context, sel string) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, sel)))
	return s
}

func exists(tab context.Context, sel string) bool {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	b, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`!!document.querySelector(%q)`, sel)))
	return b
}

// setCORS sets the target's Janssen stand-in's corsAllowedOrigins.
func setCORS(t *testing.T, tg *sandbox.Target, origins []string) {
	t.Helper()
	body := `["` + strings.Join(origins, `","`) + `"]`
	resp, err := http.Post(tg.JanssenAdmin+"/cors-allowed-origins", "application/json", bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("set corsAllowedOrigins: %s", resp.Status)
	}
}

func randomWord() string {
	return fmt.Sprintf("%x", time.Now().UnixNano()&0xffffff)
}
