package answers

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// ValidateField checks one value typed for the key at path (such as "domain"
// or "hosts[0].port") the way Parse checks it in a file, and returns the same
// message Parse would give, without file and path; nil when the value is
// valid. Files a path names are read. Rules that span keys (tls.mode own
// needs cert_file) are left to Parse.
func ValidateField(path, value string) error {
	f, t, err := fieldAt(reflect.TypeOf(Config{}), path)
	if err != nil {
		return err
	}
	if value == "" {
		if f.required {
			return errors.New("is required")
		}
		return nil
	}
	d := newDecoder("", Options{})
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	if t.Kind() == reflect.Int {
		// Typed as it would be written after "port: ", so 1.5 is a float.
		var doc yaml.Node
		if yaml.Unmarshal([]byte(value), &doc) == nil && len(doc.Content) == 1 && doc.Content[0].Kind == yaml.ScalarNode {
			n = doc.Content[0]
		}
	}
	v := reflect.New(t).Elem()
	d.decodeValue(n, n, v, f, path)
	if len(d.probs) == 0 {
		d.checkValue(f, v, path)
	}
	if len(d.probs) > 0 {
		return errors.New(d.probs[0].Msg)
	}
	return nil
}

// Doc is the description of the key at path, the words answers init,
// the schema and docs/answers.md give it; "" for an unknown key.
func Doc(path string) string {
	f, _, err := fieldAt(reflect.TypeOf(Config{}), path)
	if err != nil {
		return ""
	}
	return f.doc
}

// fieldAt finds the key at path in struct type t and the type of its value
// (a list item's type when path ends in an index).
func fieldAt(t reflect.Type, path string) (field, reflect.Type, error) {
	var f field
	found := false
	for _, part := range strings.Split(path, ".") {
		key, index, _ := strings.Cut(part, "[")
		if t.Kind() != reflect.Struct {
			return field{}, nil, fmt.Errorf("unknown key %q", path)
		}
		if f, found = lookup(fieldsOf(t), key); !found {
			return field{}, nil, fmt.Errorf("unknown key %q", path)
		}
		t = t.Field(f.index).Type
		if index != "" {
			if t.Kind() != reflect.Slice {
				return field{}, nil, fmt.Errorf("unknown key %q", path)
			}
			t = t.Elem()
		}
	}
	if !found || t.Kind() == reflect.Struct || t.Kind() == reflect.Slice {
		return field{}, nil, fmt.Errorf("%q is not a single value", path)
	}
	return f, t, nil
}
