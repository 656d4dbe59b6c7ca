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
	spki, err := tg.BrowserSPKI()
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser(t, tg.BrowserHosts(), spki)
	password, err := os.ReadFile(tg.DemoPasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	room := "https://" + tg.Domain + "/signin" + strings.ToLower(randomWord())

	t.Run("verify", func(t *testing.T) {
		v := jitsi(t, false, "verify", "--answers", tg.AnswersFile)
		for _, check := range []string{
			"pass Janssen's token endpoint allows CORS from https://" + tg.Domain,
			"pass Janssen accepts https://" + tg.Domain + "/static/sso.html as the redirect URI of client " + sandbox.WebClientID,
			"pass https://" + tg.Domain + "/static/sso.html is served with config.js",
		} {
			if !strings.Contains(v.out, check) {
				t.Errorf("verify does not say %q\n%s", check, v.out)
			}
		}
	})
	t.Run("popup", func(t *testing.T) {
		p := openSignIn(t, ctx, room)
		login(t, p.tab(t), sandbox.DemoUser, string(password))
		consent(t, p.tab(t))
		waitText(t, ctx, pageStatus, "Joined signin", pageError)
	})
	t.Run("sign out", func(t *testing.T) {
		click(t, ctx, signOutButton)
		waitText(t, ctx, pageStatus, "Signed out", pageError)
		// Janssen's session ended: signing in asks for the password again.
		p := openSignIn(t, ctx, "")
		tab := p.tab(t)
		waitVisible(t, tab, loginUser)
		chromedp.Cancel(tab)
	})
	t.Run("CORS refused", func(t *testing.T) {
		setCORS(t, tg, []string{"https://other.example.test"})
		defer setCORS(t, tg, []string{"*"})
		p := openSignIn(t, ctx, room)
		login(t, p.tab(t), sandbox.DemoUser, string(password))
		consent(t, p.tab(t))
		// The browser refuses sso.html the token endpoint's answer.
		waitText(t, ctx, pageError, "Sign-in failed: Failed to fetch", "")
		// verify says so, and which Janssen setting to change.
		v := jitsi(t, false, "verify", "--answers", tg.AnswersFile)
		if v.code == 0 || !strings.Contains(v.out, "FAIL Janssen's token endpoint allows CORS from https://"+tg.Domain) ||
			!strings.Contains(v.out, "add https://"+tg.Domain+" to Janssen's corsAllowedOrigins") {
			t.Errorf("verify with Janssen's CORS excluding the meeting: exit %d, want a failure naming corsAllowedOrigins\n%s", v.code, v.out)
		}
	})
	t.Run("nonce missing", func(t *testing.T) {
		// tokenAuthInline off: the app sends no nonce and keeps none; the
		// page itself goes to Janssen and comes back to sso.html.
		navigate(t, ctx, room+"-plain#config.tokenAuthInline=false")
		// As in a fresh tab: nothing kept from the sign-ins before.
		if err := do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[any](`sessionStorage.clear()`)(ctx, tg)
			return err
		})); err != nil {
			t.Fatal(err)
		}
		click(t, ctx, signInButton)
		signInIfAsked(t, ctx, string(password))
		waitText(t, ctx, pageError, "Error: No OAuth nonce found in session", "")
	})
	t.Run("wrong redirect URI", func(t *testing.T) {
		tab := ctx
		navigate(t, tab, room)
		authURL := text(tab, "")
		if authURL == "" {
			t.Fatal("the room page has no config.tokenAuthUrl")
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

// popup is a sign-in window the room page opened. Each step attaches to
// it afresh: a session attached before a navigation does not always follow
// it.
type popup struct {
	browser context.Context
	id      target.ID
}

func (p popup) tab(t *testing.T) context.Context {
	ctx, cancel := chromedp.NewContext(p.browser, chromedp.WithTargetID(p.id))
	t.Cleanup(cancel)
	return ctx
}

// openSignIn (on room, or the page ctx shows when room is "") clicks the
// sign-in button and returns the popup it opens.
func openSignIn(t *testing.T, ctx context.Context, room string) popup {
	t.Helper()
	if room != "" {
		navigate(t, ctx, room)
	}
	opened := chromedp.WaitNewTarget(ctx, func(i *target.Info) bool { return i.Type == "page" })
	click(t, ctx, signInButton)
	select {
	case id := <-opened:
		return popup{browser: ctx, id: id}
	case <-time.After(30 * time.Second):
		t.Fatal("the sign-in opened no window")
	}
	return popup{}
}

func login(t *testing.T, tab context.Context, user, password string) {
	t.Helper()
	if err := do(tab,
		chromedp.WaitVisible(chromedp.CSS(loginUser)),
		chromedp.SendKeys(chromedp.CSS(loginUser), user),
		chromedp.SendKeys(chromedp.CSS(loginPassword), password),
		chromedp.Click(chromedp.CSS(loginButton)),
	); err != nil {
		t.Fatalf("Janssen's login page: %v\n%s", err, shows(tab))
	}
}

func consent(t *testing.T, tab context.Context) {
	t.Helper()
	if err := do(tab, chromedp.WaitVisible(chromedp.CSS(allowButton)), chromedp.Click(chromedp.CSS(allowButton))); err != nil {
		t.Fatalf("Janssen's consent page: %v\n%s", err, shows(tab))
	}
}

// signInIfAsked logs in and consents when Janssen asks (no session yet)
// and waits for sso.html.
func signInIfAsked(t *testing.T, tab context.Context, password string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		loc := location(tab)
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
		t.Fatalf("click %s: %v\n%s", sel, err, shows(tab))
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
		loc = location(tab)
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
	t.Fatalf("%s says %q after 60 s, want %q; %s", sel, got, want, shows(tab))
}

// do runs steps on tab within 30 seconds.
func do(tab context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// text is the text of the element sel selects, "" when there is none; with
// sel "", config.tokenAuthUrl.
func text(tab context.Context, sel string) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	expr := fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, sel)
	if sel == "" {
		expr = `(window.config||{}).tokenAuthUrl||""`
	}
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	return s
}

// shows is where tab is and the text it shows, for a failure's message.
func shows(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	return "the page at " + location(tab) + " shows:\n" + body
}

func location(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
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
