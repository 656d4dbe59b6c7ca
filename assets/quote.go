package assets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"text/template"
	"unicode/utf8"
)

// funcs quote a value for the format it is written into. They fail on what
// the format cannot carry and never put the value in an error: it may be a
// secret.
var funcs = template.FuncMap{
	"lua":   luaString,
	"hocon": jsonString, // a HOCON quoted string is a JSON string
	"js":    jsonString,
	"py":    jsonString, // a JSON string is a valid Python str literal
	"sh":    shString,
	"nginx": token,
	"conf":  token, // coturn: key=value, no quoting
}

var errControl = errors.New("value has a control character or invalid UTF-8")

func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errControl
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return errControl
		}
	}
	return nil
}

func luaString(s string) (string, error) {
	if err := checkText(s); err != nil {
		return "", err
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`, nil
}

func jsonString(s string) (string, error) {
	if err := checkText(s); err != nil {
		return "", err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func shString(s string) (string, error) {
	if err := checkText(s); err != nil {
		return "", err
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'", nil
}

var tokenRE = regexp.MustCompile(`^[A-Za-z0-9._~:/@+=,\[\]-]+$`)

// token passes only values that need no quoting in nginx or coturn files.
func token(s string) (string, error) {
	if !tokenRE.MatchString(s) {
		return "", fmt.Errorf("value is empty or has a character that is unsafe in this file")
	}
	return s, nil
}
