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
	"os/exec"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jitsi-installer/jitsi-installer/e2e/chrome"
	"github.com/jitsi-installer/jitsi-installer/e2e/sandbox"
	"github.com/jitsi-installer/jitsi-installer/internal/testenv"
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
	denyButton    = `[id="authorizeForm:doNotAllowButton"]`
)

// TestSignIn installs on Debian 12 and 13 and signs in there with
// Chromium, on targets of its own so that it runs beside TestInstall; on
// Debian 12 also with oidc-provider as the issuer.
func TestSignIn(t *testing.T) {
	t.Parallel()
	testenv.Root(t)
	testenv.Tools(t, "apt-get install chromium", "chromium")
	for _, tt := range []struct{ target, suite string }{
		{"si-bookworm", "bookworm"},
		{"si-trixie", "trixie"},
	} {
		t.Run(tt.suite, func(t *testing.T) {
			t.Parallel()
			tg := up(t, tt.target, tt.suite, "root")
			mustInstall(t, tg.AnswersFile, "install")
			browserSignIn(t, tg)
			if tt.suite == "bookworm" {
				t.Run("oidc-provider", func(t *testing.T) { providerSignIn(t, tg) })
			}
		})
	}
}

// browserSignIn signs in on an installed target as a person would, in
// Chromium: the room page's sign-in opens Janssen's login in a popup
// (tokenAuthUrl, PKCE, nonce), consent, sso.html exchanges the code at
// Janssen's token endpoint from the meeting origin, and the room page joins
// the room over BOSH with the access token; signing out ends Janssen's
// session. Then what users see when sign-in is set up wrong: Janssen's CORS
// excluding the meeting origin (and verify saying so), the nonce missing
// (tokenAuthInline off), a redirect URI Janssen does not know, the user
// not allowing the access.
func browserSignIn(t *testing.T, tg *sandbox.Target) {
	// The browser, the room and the user are the ones make demo prints.
	help := readSignInHelp(t, tg)
	ctx := chrome.StartArgs(t, help.args)
	room := "https://" + tg.Domain + "/signin" + randomWord()
	signIn := func(t *testing.T, p chrome.Popup) {
		chrome.Fill(t, p.Tab(t), [][2]string{{loginUser, help.user}, {loginPassword, help.password}}, loginButton)
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
		chrome.Navigate(t, ctx, help.room)
		signIn(t, chrome.ClickForPopup(t, ctx, signInButton))
		chrome.WaitText(t, ctx, pageStatus, "Joined "+path.Base(help.room)+"@", pageError)
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
		signInIfAsked(t, ctx, help.user, help.password)
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
	t.Run("consent denied", func(t *testing.T) {
		// A new browser, so that Janssen asks for the password and consent.
		chrome.ClearCookies(t, ctx)
		chrome.Navigate(t, ctx, room)
		p := chrome.ClickForPopup(t, ctx, signInButton)
		chrome.Fill(t, p.Tab(t), [][2]string{{loginUser, help.user}, {loginPassword, help.password}}, loginButton)
		chrome.Click(t, p.Tab(t), denyButton)
		// Janssen returns access_denied to sso.html, which tells the room page.
		chrome.WaitText(t, ctx, pageError, "Sign-in failed: The user did not allow the access.", "")
	})
}

// signInIfAsked logs in and consents when Janssen asks (no session yet)
// and waits for sso.html.
func signInIfAsked(t *testing.T, tab context.Context, user, password string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		switch {
		case strings.Contains(chrome.Location(tab), "/static/sso.html"):
			return
		case chrome.Exists(tab, loginUser):
			chrome.Fill(t, tab, [][2]string{{loginUser, user}, {loginPassword, password}}, loginButton)
		case chrome.Exists(tab, allowButton):
			chrome.Click(t, tab, allowButton)
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("the sign-in did not reach sso.html; %s", chrome.Shows(tab))
}

// signInHelp is what make demo prints for signing in: the room's address,
// the user and password, and the switches of its chromium command line.
type signInHelp struct {
	room, user, password string
	args                 []string
}

// readSignInHelp reads tg's sign-in help as a person would: the command
// line goes through sh, as pasted into a shell (its $(mktemp -d) lands in
// the test's directory).
func readSignInHelp(t *testing.T, tg *sandbox.Target) signInHelp {
	t.Helper()
	var b strings.Builder
	tg.SignInHelp(&b)
	text := b.String()
	var h signInHelp
	field := func(re string) string {
		m := regexp.MustCompile(re).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("the sign-in help has no %s:\n%s", re, text)
		}
		return m[1]
	}
	h.room = field(`Sign in at (https://\S+)`)
	h.user = field(`(?m)^\s+user:\s+(\S+)$`)
	h.password = field(`(?m)^\s+password:\s+(\S+)$`)
	cmdline := field(`(?m)^\s+chromium ((?:.*\\\n)*.*)$`)
	sh := exec.Command("sh", "-c", `eval "set -- $1"; printf '%s\0' "$@"`, "sh", cmdline)
	sh.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	out, err := sh.Output()
	if err != nil {
		t.Fatalf("sh cannot read the command line %q: %v", cmdline, err)
	}
	args := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if last := args[len(args)-1]; last != h.room {
		t.Fatalf("the command line opens %q, not the room %s", last, h.room)
	}
	h.args = args[:len(args)-1]
	return h
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
