package answers

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
	"gopkg.in/yaml.v3"
)

const header = `# Answers file for jitsi-installer.
# Any value may be ${env:NAME}, ${file:PATH} or ${cmd:COMMAND}: read on this
# machine when the file is loaded (one trailing newline of a file or of the
# command's output is dropped; a command runs without a shell and what it
# prints is masked like a secret). Relative paths are relative to this file
# and ~/ is your home directory. A key that is left out takes its default,
# and so does a string set to "".

`

// The template's example values: Examples finds them left in a file.
const (
	exampleDomain  = "meet.example.com"
	exampleAddress = "203.0.113.10"
	exampleEmail   = "ops@example.com"
	exampleIssuer  = "https://login.example.com"
)

// Examples lists the fields of c that still hold an example value of
// Template, as problems to warn about: a file that is valid but unedited
// would set up a server nobody can reach.
func Examples(c *Config) []Problem {
	var ps []Problem
	check := func(path, got, example string) {
		if got == example {
			ps = append(ps, c.Problem(path, "still the example value "+example+" of `answers init`: replace it"))
		}
	}
	check("domain", c.Domain, exampleDomain)
	for i, h := range c.Hosts {
		check(fmt.Sprintf("hosts[%d].address", i), h.Address, exampleAddress)
	}
	check("letsencrypt.email", c.LetsEncrypt.Email, exampleEmail)
	check("janssen.issuer", c.Janssen.Issuer, exampleIssuer)
	return ps
}

// Template returns a commented answers file with example values for every
// key. Parse accepts it as it is; the example host and names are to be
// replaced.
func Template() []byte {
	c := &Config{
		Version:     1,
		Domain:      exampleDomain,
		Hosts:       []Host{{Address: exampleAddress}},
		LetsEncrypt: LetsEncrypt{Email: exampleEmail},
		Janssen:     Janssen{Issuer: exampleIssuer, ClientID: "jitsi-meet"},
	}
	applyDefaults(c, func(string) bool { return false })
	c.Janssen.DiscoveryURL = "" // follows the issuer when that is edited
	w := &writer{all: true}
	w.b.WriteString(header)
	w.fields(reflect.ValueOf(c).Elem(), "", "", "")
	return w.b.Bytes()
}

// Marshal writes cfg as an answers file that Parse reads back to an equal
// Config (given the environment that SecretEnv describes). A value that came
// from a reference, or a path written with ~ or relative to the file, is
// written as it was, so the output belongs next to the file cfg was loaded
// from. Secrets are never written in plain text: one that did not come from a
// whole-value reference is written as ${env:NAME}, NAME as SecretEnv returns.
// A nil list is left out and so takes its default; an empty one is written.
// A value containing "${" that did not come from the file is an error, as
// Parse would read it as a reference.
func Marshal(cfg *Config) ([]byte, error) {
	if cfg == nil {
		return nil, errors.New("marshal answers: nil config")
	}
	w := &writer{src: cfg.src, env: map[string]string{}}
	w.b.WriteString(header)
	w.fields(reflect.ValueOf(forWriting(cfg)).Elem(), "", "", "")
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

// forWriting leaves out the discovery URL when it is the one the issuer
// implies, so that it follows a later change of the issuer.
func forWriting(cfg *Config) *Config {
	c := *cfg
	if !c.src.given("janssen.discovery_url") && c.Janssen.DiscoveryURL == jwks.DiscoveryURL(c.Janssen.Issuer) {
		c.Janssen.DiscoveryURL = ""
	}
	return &c
}

// SecretEnv returns the environment variables, with their values, that the
// ${env:NAME} references Marshal writes for secrets need: JITSI_SUDO_PASSWORD_0
// (one per host index), JANSSEN_CLIENT_SECRET and JITSI_APP_SECRET. Secrets
// that came from a reference in the file are not listed; that reference is
// written again.
func SecretEnv(cfg *Config) map[string]string {
	if cfg == nil {
		return nil
	}
	w := &writer{src: cfg.src, env: map[string]string{}}
	w.fields(reflect.ValueOf(forWriting(cfg)).Elem(), "", "", "")
	return w.env
}

type writer struct {
	b   bytes.Buffer
	all bool              // write empty values too (the template)
	src *source           // where the loaded values came from
	env map[string]string // secrets written as new ${env:NAME} references
	err error             // first value that cannot be written
}

// fields writes the keys of struct v. The first line uses first as its
// indentation ("  - " for a list item), later ones indent.
func (w *writer) fields(v reflect.Value, path, indent, first string) {
	lead := first
	if lead == "" {
		lead = indent
	}
	for _, f := range fieldsOf(v.Type()) {
		fv, p := v.Field(f.index), join(path, f.key)
		if !w.all && empty(fv) {
			continue
		}
		if f.doc != "" {
			w.line(commentIndent(lead), "# "+f.doc)
		}
		switch fv.Kind() {
		case reflect.Struct:
			w.line(lead, f.key+":")
			w.fields(fv, p, indent+"  ", "")
		case reflect.Slice:
			if fv.Len() == 0 {
				w.line(lead, f.key+": []")
				break
			}
			w.line(lead, f.key+":")
			for i := range fv.Len() {
				ip := p + "[" + strconv.Itoa(i) + "]"
				if fv.Index(i).Kind() == reflect.Struct {
					w.fields(fv.Index(i), ip, indent+"    ", indent+"  - ")
				} else {
					w.line(indent+"  - ", w.value(f, fv.Index(i), ip))
				}
			}
		default:
			w.line(lead, f.key+": "+w.value(f, fv, p))
		}
		lead = indent
	}
}

// commentIndent is where a comment above a line starting with lead goes: a
// comment before "  - key" sits at the dash.
func commentIndent(lead string) string {
	return strings.TrimSuffix(lead, "- ")
}

func (w *writer) line(indent, s string) {
	w.b.WriteString(indent + s + "\n")
}

func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return v.String() == ""
	case reflect.Slice:
		return v.IsNil()
	case reflect.Struct:
		// A section of empty strings and zero numbers (an unused
		// bastion) is left out as a whole.
		for _, f := range fieldsOf(v.Type()) {
			if fv := v.Field(f.index); !empty(fv) && !(fv.Kind() == reflect.Int && fv.Int() == 0) {
				return false
			}
		}
		return true
	}
	return false // integers and booleans are always written
}

var listIndex = regexp.MustCompile(`\[(\d+)\]`)

// value renders a scalar, preferring the text it was loaded from.
func (w *writer) value(f field, v reflect.Value, path string) string {
	var s string
	switch v.Kind() {
	case reflect.Int:
		s = strconv.Itoa(int(v.Int()))
	case reflect.Bool:
		s = strconv.FormatBool(v.Bool())
	default:
		s = v.String()
	}
	secret := kinds[f.kind].secret
	if w.src != nil {
		if r, ok := w.src.raw[path]; ok && r.value == s && (!secret || wholeRef.MatchString(r.text)) {
			return quote(r.text)
		}
	}
	if secret && s != "" {
		name := f.env
		for _, m := range listIndex.FindAllStringSubmatch(path, -1) {
			name += "_" + m[1]
		}
		w.env[name] = s
		return quote("${env:" + name + "}")
	}
	if v.Kind() != reflect.String {
		return s
	}
	if strings.Contains(s, "${") && w.err == nil {
		// Parse would take it for a reference; there is no escape.
		w.err = fmt.Errorf("marshal answers: %s contains \"${\"", path)
	}
	return quote(s)
}

// quote renders s as a one-line YAML string scalar.
func quote(s string) string {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	out, err := yaml.Marshal(n)
	if err != nil || bytes.Count(out, []byte("\n")) > 1 {
		n.Style = yaml.DoubleQuotedStyle
		out, _ = yaml.Marshal(n)
	}
	return strings.TrimSuffix(string(out), "\n")
}
