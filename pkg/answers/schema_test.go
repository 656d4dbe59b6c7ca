package answers

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"

	"gopkg.in/yaml.v3"
)

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatalf("Schema() is not JSON: %v", err)
	}
	return s
}

func yamlValue(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSchema(t *testing.T) {
	golden.Assert(t, "testdata/schema.golden", Schema())
	s := loadSchema(t)
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v", s["$schema"])
	}

	// What an editor would accept: the template and the valid files,
	// references included.
	for name, data := range map[string][]byte{
		"template":     Template(),
		"full.yaml":    mustRead(t, "testdata/valid/full.yaml"),
		"minimal.yaml": mustRead(t, "testdata/valid/minimal.yaml"),
	} {
		if errs := schemaCheck(s, s, yamlValue(t, data), ""); len(errs) > 0 {
			t.Errorf("schema rejects %s:\n%s", name, strings.Join(errs, "\n"))
		}
	}

	// ... and what it would flag.
	bad := []struct{ name, doc, want string }{
		{"unknown key", withHost("    sudo_pasword: x\n"), "hosts.0: unknown property sudo_pasword"},
		{"port", withHost("    port: 70000\n"), "hosts.0.port"},
		{"version", strings.Replace(minimal, "version: 1", "version: 2", 1), "version"},
		{"role", withHost("    role: bridge\n"), "hosts.0.role"},
		{"domain", strings.Replace(minimal, "meet.example.com", "meet;example.com", 1), "domain"},
		{"no email", strings.Replace(minimal, "email: ops@example.com", "server: https://acme.example.com/dir", 1), "letsencrypt: missing email"},
		{"no letsencrypt", strings.Replace(minimal, "letsencrypt:\n  email: ops@example.com\n", "", 1), ": missing letsencrypt"},
		{"own without files", minimal + "tls: {mode: own}\n", "tls: missing cert_file"},
		{"no hosts", strings.Replace(minimal, "  - address: 203.0.113.10\n", "", 1), "hosts"},
		{"half a test client", minimal + "  test_client: {client_id: x}\n", "janssen.test_client: missing client_secret"},
	}
	for _, b := range bad {
		errs := schemaCheck(s, s, yamlValue(t, []byte(b.doc)), "")
		if !strings.Contains(strings.Join(errs, "\n"), b.want) {
			t.Errorf("%s: schema errors %q, want one about %s", b.name, errs, b.want)
		}
	}
}

// Every key of the template is in the schema, and the other way round.
func TestSchemaMatchesTemplate(t *testing.T) {
	s := loadSchema(t)
	tpl := yamlValue(t, Template())
	var visit func(schema map[string]any, v any, path string)
	visit = func(schema map[string]any, v any, path string) {
		props, _ := schema["properties"].(map[string]any)
		m, _ := v.(map[string]any)
		for k := range m {
			if _, ok := props[k]; !ok {
				t.Errorf("template key %s%s is not in the schema", path, k)
			}
		}
		for k, p := range props {
			sub, ok := m[k]
			if !ok {
				t.Errorf("schema key %s%s is not in the template", path, k)
				continue
			}
			ps := p.(map[string]any)
			if ps["description"] == nil {
				t.Errorf("schema key %s%s has no description", path, k)
			}
			if items, ok := ps["items"].(map[string]any); ok {
				if list, ok := sub.([]any); ok && len(list) > 0 {
					visit(items, list[0], path+k+"[].")
				}
				continue
			}
			visit(ps, sub, path+k+".")
		}
	}
	visit(s, tpl, "")
}

// schemaCheck is just enough of a JSON Schema validator for the keywords
// Schema uses; it returns one line per violation.
func schemaCheck(root, s map[string]any, v any, path string) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, path+": "+fmt.Sprintf(format, args...))
	}
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		return schemaCheck(root, root["$defs"].(map[string]any)[name].(map[string]any), v, path)
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		var all []string
		for _, alt := range anyOf {
			e := schemaCheck(root, alt.(map[string]any), v, path)
			if len(e) == 0 {
				return nil
			}
			all = append(all, e...)
		}
		return append([]string{path + ": matches no alternative"}, all...)
	}
	if cond, ok := s["if"].(map[string]any); ok {
		branch := "then"
		if len(schemaCheck(root, cond, v, path)) > 0 {
			branch = "else"
		}
		if b, ok := s[branch].(map[string]any); ok {
			errs = append(errs, schemaCheck(root, b, v, path)...)
		}
	}
	if c, ok := s["const"]; ok && fmt.Sprint(c) != fmt.Sprint(v) {
		fail("want %v", c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || fmt.Sprint(x) == fmt.Sprint(v)
		}
		if !found {
			fail("%v not in %v", v, e)
		}
	}
	switch s["type"] {
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("not a string")
			break
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(str) {
			fail("%q does not match %s", str, p)
		}
	case "integer":
		n, ok := v.(int)
		if !ok {
			fail("not an integer")
			break
		}
		if m, ok := s["minimum"].(float64); ok && float64(n) < m {
			fail("below %v", m)
		}
		if m, ok := s["maximum"].(float64); ok && float64(n) > m {
			fail("above %v", m)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("not a boolean")
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			fail("not an array")
			break
		}
		if m, ok := s["minItems"].(float64); ok && float64(len(list)) < m {
			fail("fewer than %v items", m)
		}
		for i, item := range list {
			errs = append(errs, schemaCheck(root, s["items"].(map[string]any), item, fmt.Sprintf("%s.%d", path, i))...)
		}
	}
	m, isMap := v.(map[string]any)
	if s["type"] == "object" && !isMap {
		fail("not an object")
	}
	if !isMap {
		return errs
	}
	props, _ := s["properties"].(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := props[k].(map[string]any)
		switch {
		case ok:
			errs = append(errs, schemaCheck(root, p, m[k], strings.TrimPrefix(path+"."+k, "."))...)
		case s["additionalProperties"] == false:
			fail("unknown property %s", k)
		}
	}
	req, _ := s["required"].([]any)
	for _, r := range req {
		if _, ok := m[r.(string)]; !ok {
			fail("missing %s", r)
		}
	}
	if dep, ok := s["dependentRequired"].(map[string]any); ok {
		for k, need := range dep {
			if _, has := m[k]; !has {
				continue
			}
			for _, n := range need.([]any) {
				if _, ok := m[n.(string)]; !ok {
					fail("missing %s", n)
				}
			}
		}
	}
	return errs
}
