package janssen

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Ignored lists the fields of req the provider did not keep as asked, as
// "name: what happened", sorted.
func Ignored(req ClientRequest, meta map[string]any) []string {
	var asked map[string]any
	if err := json.Unmarshal(req.JSON(), &asked); err != nil {
		return nil
	}
	var out []string
	for k, want := range asked {
		got, ok := meta[k]
		switch {
		case !ok:
			out = append(out, k+": dropped")
		case !sameValue(k, want, got):
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			out = append(out, fmt.Sprintf("%s: %s instead of %s", k, g, w))
		}
	}
	slices.Sort(out)
	return out
}

// sameValue compares JSON values, lists as sets and scope as a set of
// words: providers reorder both.
func sameValue(key string, a, b any) bool {
	if key == "scope" {
		as, _ := a.(string)
		bs, _ := b.(string)
		x, y := strings.Fields(as), strings.Fields(bs)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		x, y := strs(al), strs(bl)
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	}
	return reflect.DeepEqual(a, b)
}

func strs(l []any) []string {
	out := make([]string, len(l))
	for i, v := range l {
		b, _ := json.Marshal(v)
		out[i] = string(b)
	}
	return out
}

// IgnoredWarning says what a dropped or changed field means for Jitsi.
func IgnoredWarning(field string) string {
	name, _, _ := strings.Cut(field, ":")
	switch name {
	case "access_token_as_jwt":
		return "the provider will issue opaque access tokens, which Jitsi cannot read: turn on \"access token as JWT\" for the client in Janssen, or give Jitsi the ID token"
	case "access_token_signing_alg", "id_token_signed_response_alg":
		return "tokens may be signed with an algorithm Prosody cannot verify: set it to RS256 for the client in Janssen"
	case "redirect_uris":
		return "sign-in cannot return to the meeting server"
	case "post_logout_redirect_uris":
		return "sign-out cannot return to the meeting server"
	case "token_endpoint_auth_method":
		return "the browser cannot exchange its code without a client secret"
	}
	return ""
}
