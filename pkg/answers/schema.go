package answers

import (
	"encoding/json"
	"reflect"
	"strconv"
)

// obj is one JSON Schema object; encoding/json sorts its keys, so the output
// is stable.
type obj = map[string]any

// Schema returns the JSON Schema (draft 2020-12) of the answers file, built
// from the same field tags the loader checks against. Every scalar may also
// be a ${env:NAME}, ${file:PATH} or ${cmd:COMMAND} reference.
func Schema() []byte {
	defaults := &Config{Hosts: []Host{{}}}
	applyDefaults(defaults, func(string) bool { return false })

	root := objectSchema(reflect.ValueOf(defaults).Elem())
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["title"] = "jitsi-installer answers file"
	root["$defs"] = obj{"reference": obj{
		"description": "A value read when the file is loaded: ${env:NAME}, ${file:PATH} or ${cmd:COMMAND}.",
		"type":        "string",
		"pattern":     `\$\{(env|file|cmd):[^}]+\}`,
	}}
	// Rules that span fields, as validate.go has them.
	props := root["properties"].(obj)
	props["tls"].(obj)["if"] = obj{"properties": obj{"mode": obj{"const": TLSOwn}}, "required": []string{"mode"}}
	props["tls"].(obj)["then"] = obj{"required": []string{"cert_file", "key_file"}}
	root["if"] = obj{
		"properties": obj{"tls": obj{"properties": obj{"mode": obj{"enum": []string{TLSOwn, TLSSelfSigned}}}, "required": []string{"mode"}}},
		"required":   []string{"tls"},
	}
	root["else"] = obj{
		"properties": obj{"letsencrypt": obj{"required": []string{"email"}}},
		"required":   []string{"letsencrypt"},
	}
	props["hosts"].(obj)["minItems"] = 1
	ttc := props["janssen"].(obj)["properties"].(obj)["test_client"].(obj)
	ttc["dependentRequired"] = obj{"client_id": []string{"client_secret"}, "client_secret": []string{"client_id"}}

	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic("answers: schema: " + err.Error()) // only maps, strings and numbers
	}
	return append(out, '\n')
}

// objectSchema describes struct v; v holds the defaults.
func objectSchema(v reflect.Value) obj {
	props := obj{}
	required := []string{}
	for _, f := range fieldsOf(v.Type()) {
		props[f.key] = fieldSchema(f, v.Field(f.index))
		if f.required {
			required = append(required, f.key)
		}
	}
	s := obj{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// fieldSchema describes one key; def is its default.
func fieldSchema(f field, def reflect.Value) obj {
	var s obj
	switch def.Kind() {
	case reflect.Struct:
		s = objectSchema(def)
	case reflect.Slice:
		var item obj
		if def.Len() > 0 && def.Index(0).Kind() == reflect.Struct {
			item = objectSchema(def.Index(0))
		} else {
			nonEmpty := f
			nonEmpty.required = true // a list item has no default to stand for
			item = scalarSchema(nonEmpty, reflect.New(def.Type().Elem()).Elem())
		}
		s = obj{"type": "array", "items": item}
		if def.Len() > 0 && def.Index(0).Kind() == reflect.String {
			s["default"] = def.Interface()
		}
	default:
		s = scalarSchema(f, def)
		switch def.Kind() {
		case reflect.Bool:
			s["default"] = def.Bool()
		case reflect.Int:
			if !def.IsZero() {
				s["default"] = def.Int()
			}
		case reflect.String:
			if !def.IsZero() {
				s["default"] = def.String()
			}
		}
	}
	if f.doc != "" {
		s["description"] = f.doc
	}
	return s
}

// scalarSchema is the type of a scalar, or a reference to be resolved.
func scalarSchema(f field, v reflect.Value) obj {
	t := obj{}
	switch v.Kind() {
	case reflect.Bool:
		t["type"] = "boolean"
	case reflect.Int:
		t["type"] = "integer"
		if f.min != nil {
			t["minimum"] = *f.min
		}
		if f.max != nil {
			t["maximum"] = *f.max
		}
		if len(f.enum) > 0 {
			var e []int
			for _, s := range f.enum {
				n, _ := strconv.Atoi(s)
				e = append(e, n)
			}
			t["enum"] = e
		}
	default:
		t["type"] = "string"
		k := kinds[f.kind]
		if len(f.enum) > 0 {
			t["enum"] = f.enum
		} else if k.pattern != "" {
			t["pattern"] = k.pattern
		}
		if k.format != "" {
			t["format"] = k.format
		}
		if len(t) == 1 {
			return t // any string; a reference is a string too
		}
		if !f.required {
			// "" stands for the default.
			return obj{"anyOf": []obj{t, {"const": ""}, {"$ref": "#/$defs/reference"}}}
		}
	}
	return obj{"anyOf": []obj{t, {"$ref": "#/$defs/reference"}}}
}
