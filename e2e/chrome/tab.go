package chrome

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Popup is a window a page opened. Each step attaches to it afresh: a
// session attached before a navigation does not always follow it.
type Popup struct {
	browser context.Context
	id      target.ID
}

// Tab attaches to the popup.
func (p Popup) Tab(t testing.TB) context.Context {
	ctx, cancel := chromedp.NewContext(p.browser, chromedp.WithTargetID(p.id))
	t.Cleanup(cancel)
	return ctx
}

// ClickForPopup clicks sel on tab and returns the window that opens.
func ClickForPopup(t testing.TB, tab context.Context, sel string) Popup {
	t.Helper()
	opened := chromedp.WaitNewTarget(tab, func(i *target.Info) bool { return i.Type == "page" })
	Click(t, tab, sel)
	select {
	case id := <-opened:
		return Popup{browser: tab, id: id}
	case <-time.After(30 * time.Second):
		t.Fatalf("clicking %s opened no window", sel)
	}
	return Popup{}
}

// Fill types each value into its field (selector -> text), then clicks
// submit.
func Fill(t testing.TB, tab context.Context, fields [][2]string, submit string) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for _, f := range fields {
		steps = append(steps, chromedp.WaitVisible(chromedp.CSS(f[0])), chromedp.SendKeys(chromedp.CSS(f[0]), f[1]))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(submit)))
	if err := Do(tab, steps...); err != nil {
		t.Fatalf("fill the form: %v\n%s", err, Shows(tab))
	}
}

// ClearCookies forgets every cookie of the browser, as a new browser would
// have none: the provider's session too.
func ClearCookies(t testing.TB, tab context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatalf("clear the cookies: %v", err)
	}
}

// Navigate opens u in tab.
func Navigate(t testing.TB, tab context.Context, u string) {
	t.Helper()
	if err := Do(tab, chromedp.Navigate(u)); err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
}

// Click clicks sel once it shows.
func Click(t testing.TB, tab context.Context, sel string) {
	t.Helper()
	if err := Do(tab, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel))); err != nil {
		t.Fatalf("click %s: %v\n%s", sel, err, Shows(tab))
	}
}

// WaitVisible waits for sel to show.
func WaitVisible(t testing.TB, tab context.Context, sel string) {
	t.Helper()
	if err := Do(tab, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("%s did not show: %v\n%s", sel, err, Shows(tab))
	}
}

// WaitText waits until sel's text holds want; a text in failSel ends the
// wait at once, as the page's own error.
func WaitText(t testing.TB, tab context.Context, sel, want, failSel string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = Text(tab, sel); strings.Contains(got, want) {
			return
		}
		if failSel != "" {
			if failed := Text(tab, failSel); failed != "" {
				t.Fatalf("%s says %q, want %s saying %q; %s", failSel, failed, sel, want, Shows(tab))
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	t.Fatalf("%s says %q after 60 s, want %q; %s", sel, got, want, Shows(tab))
}

// Do runs steps on tab within 30 seconds.
func Do(tab context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// Eval evaluates a JavaScript expression in tab within 5 seconds; its
// value, the zero value on any error.
func Eval[T any](tab context.Context, expr string) T {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	v, _ := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	return v
}

// Text is the text of the element sel selects, "" when there is none.
func Text(tab context.Context, sel string) string {
	return Eval[string](tab, fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, sel))
}

// Exists says whether sel selects an element.
func Exists(tab context.Context, sel string) bool {
	return Eval[bool](tab, fmt.Sprintf(`!!document.querySelector(%q)`, sel))
}

// Location is tab's address.
func Location(tab context.Context) string {
	ctx, cancel := context.WithTimeout(tab, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// Shows is where tab is and the text it shows, for a failure's message.
func Shows(tab context.Context) string {
	return "the page at " + Location(tab) + " shows:\n" + Eval[string](tab, `document.body ? document.body.innerText : ""`)
}
