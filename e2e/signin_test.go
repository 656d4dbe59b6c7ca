//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/chrome"
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
// the room over BOSH with the access token; signing out ends Janssen's
// session. Then what users see when sign-in is set up wrong: Janssen's CORS
// excluding the meeting origin (and verify saying so), the nonce missing
// (tokenAuthInline off), a redirect URI Janssen does not know.
func browserSignIn(t *testing.T, tg *sandbox.Target) {
	spki, err := tg.BrowserSPKI()
	if err != nil {
		t.Fatal(err)
	}
	ctx := chrome.Start(t, tg.BrowserHosts(), spki)
	b, err := os.ReadFile(tg.DemoPasswordFile)
	if err != nil {
		t.Fatal(err)
	}
	password := string(b)
	room := "https://" + tg.Domain + "/signin" + randomWord()
	signIn := func(t *testing.T, p chrome.Popup) {
		chrome.Fill(t, p.Tab(t), [][2]string{{loginUser, sandbox.DemoUser}, {loginPassword, password}}, loginButton)
		chrome.Click(t, p.Tab(t), allowButton)
	}

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
		chrome.Navigate(t, ctx, room)
		signIn(t, chrome.ClickForPopup(t, ctx, signInButton))
		chrome.WaitText(t, ctx, pageStatus, "Joined signin", pageError)
	})
	t.Run("sign out", func(t *testing.T) {
		chrome.Click(t, ctx, signOutButton)
		chrome.WaitText(t, ctx, pageStatus, "Signed out", pageError)
		// Janssen's session ended: signing in asks for the password again.
		p := chrome.ClickForPopup(t, ctx, signInButton)
		chrome.WaitVisible(t, p.Tab(t), loginUser)
	})
	t.Run("CORS refused", func(t *testing.T) {
		setCORS(t, tg, []string{"https://other.example.test"})
		defer setCORS(t, tg, []string{"*"})
		chrome.Navigate(t, ctx, room)
		signIn(t, chrome.ClickForPopup(t, ctx, signInButton))
		// The browser withholds the token endpoint's answer from sso.html.
		chrome.WaitText(t, ctx, pageError, "Sign-in failed: Failed to fetch", "")
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
		chrome.Navigate(t, ctx, room+"-plain#config.tokenAuthInline=false")
		// As in a fresh tab: nothing kept from the sign-ins before.
		chrome.Eval[any](ctx, `sessionStorage.clear()`)
		chrome.Click(t, ctx, signInButton)
		signInIfAsked(t, ctx, password)
		chrome.WaitText(t, ctx, pageError, "Error: No OAuth nonce found in session", "")
	})
	t.Run("wrong redirect URI", func(t *testing.T) {
		chrome.Navigate(t, ctx, room)
		authURL := chrome.Eval[string](ctx, `(window.config||{}).tokenAuthUrl||""`)
		sso := url.QueryEscape("https://" + tg.Domain + "/static/sso.html")
		wrong := url.QueryEscape("https://" + tg.Domain + "/sso.html")
		if !strings.Contains(authURL, sso) {
			t.Fatalf("tokenAuthUrl %q does not name %s", authURL, sso)
		}
		chrome.Navigate(t, ctx, strings.NewReplacer(sso, wrong, "{state}", "%7B%7D", "{code_challenge}", "x").Replace(authURL))
		chrome.WaitText(t, ctx, pageError, "invalid_request_redirect_uri", "")
	})
}

// signInIfAsked logs in and consents when Janssen asks (no session yet)
// and waits for sso.html.
func signInIfAsked(t *testing.T, tab context.Context, password string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		switch {
		case strings.Contains(chrome.Location(tab), "/static/sso.html"):
			return
		case chrome.Exists(tab, loginUser):
			chrome.Fill(t, tab, [][2]string{{loginUser, sandbox.DemoUser}, {loginPassword, password}}, loginButton)
		case chrome.Exists(tab, allowButton):
			chrome.Click(t, tab, allowButton)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("the sign-in did not reach sso.html; %s", chrome.Shows(tab))
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

// randomWord is a short hex word for a room of its own.
func randomWord() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
