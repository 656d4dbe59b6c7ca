package janssen

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// WriteClientID sets janssen.client_id in the answers file at path to
// clientID. Only that value's text changes: comments, blank lines, order and
// quoting elsewhere stay as they were. The file is replaced atomically.
func WriteClientID(path, clientID string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return fmt.Errorf("answers file: %w", err)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		return fmt.Errorf("answers file: %w", err)
	}
	out, err := setScalar(data, []string{"janssen", "client_id"}, clientID)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	st, err := os.Stat(real)
	if err != nil {
		return fmt.Errorf("answers file: %w", err)
	}
	return writeAtomic(real, out, st.Mode().Perm()) // keeps its permissions
}

// setScalar sets the string at the mapping path keys to value. It edits the
// text where the value is a one-line scalar in block style, and re-encodes
// the document otherwise (which keeps comments but not blank lines).
func setScalar(data []byte, keys []string, value string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a YAML mapping")
	}
	m := doc.Content[0]
	for i, key := range keys {
		k, v := lookup(m, key)
		last := i == len(keys)-1
		switch {
		case k == nil && last:
			if out, ok := insertKey(data, m, key, value); ok {
				return verified(out, keys, value)
			}
			m.Content = append(m.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value})
			return reencode(&doc, keys, value)
		case k == nil:
			return nil, fmt.Errorf("no %s in the file", strings.Join(keys[:i+1], "."))
		case last:
			if v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("%s is not a single value", strings.Join(keys, "."))
			}
			if out, ok := replaceValue(data, k, v, value); ok {
				return verified(out, keys, value)
			}
			v.SetString(value)
			v.Tag, v.Style = "!!str", 0
			return reencode(&doc, keys, value)
		case v.Kind != yaml.MappingNode:
			return nil, fmt.Errorf("%s is not a mapping", strings.Join(keys[:i+1], "."))
		}
		m = v
	}
	panic("unreachable")
}

// lookup finds key in mapping m.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// scalarText is value as YAML writes a string: plain when it can be, quoted
// when it would otherwise read as a number, boolean or null.
func scalarText(value string) string {
	b, _ := yaml.Marshal(value)
	return strings.TrimSuffix(string(b), "\n")
}

// replaceValue swaps the text of a one-line scalar v (the value of key k).
func replaceValue(data []byte, k, v *yaml.Node, value string) ([]byte, bool) {
	lines := bytes.Split(data, []byte("\n"))
	if v.Tag == "!!null" && (v.Value == "" || v.Line != k.Line) {
		// "key:" with nothing after it: write the value after the colon.
		return afterColon(lines, k, value)
	}
	if v.Line < 1 || v.Line > len(lines) || strings.Contains(v.Value, "\n") {
		return nil, false
	}
	line := []rune(string(lines[v.Line-1]))
	start := v.Column - 1
	end := scalarEnd(line, start, v)
	if end < 0 {
		return nil, false
	}
	edited := string(line[:start]) + scalarText(value) + string(line[end:])
	lines[v.Line-1] = []byte(edited)
	return bytes.Join(lines, []byte("\n")), true
}

// scalarEnd is the rune index just past the scalar starting at start, or -1
// when the text there is not the plain or quoted scalar v.
func scalarEnd(line []rune, start int, v *yaml.Node) int {
	if start < 0 || start >= len(line) || v.Tag != "!!str" && v.Tag != "!!null" && v.Tag != "!!int" && v.Tag != "!!float" && v.Tag != "!!bool" {
		return -1
	}
	switch v.Style {
	case yaml.DoubleQuotedStyle:
		for i := start + 1; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
	case yaml.SingleQuotedStyle:
		for i := start + 1; i < len(line); i++ {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
	case 0:
		end := start + len([]rune(v.Value))
		if end <= len(line) && string(line[start:end]) == v.Value {
			return end
		}
	}
	return -1
}

// afterColon writes value after "key:" on k's line, keeping a comment.
func afterColon(lines [][]byte, k *yaml.Node, value string) ([]byte, bool) {
	if k.Style != 0 || k.Line < 1 || k.Line > len(lines) {
		return nil, false
	}
	line := []rune(string(lines[k.Line-1]))
	i := k.Column - 1 + len([]rune(k.Value))
	if i >= len(line) || line[i] != ':' {
		return nil, false
	}
	rest := strings.TrimLeft(string(line[i+1:]), " \t")
	for _, null := range []string{"~", "null", "Null", "NULL"} {
		if r, ok := strings.CutPrefix(rest, null); ok && (r == "" || r[0] == ' ' || r[0] == '\t') {
			rest = strings.TrimLeft(r, " \t")
			break
		}
	}
	if rest != "" && rest[0] != '#' {
		return nil, false
	}
	if rest != "" {
		rest = " " + rest
	}
	lines[k.Line-1] = []byte(string(line[:i+1]) + " " + scalarText(value) + rest)
	return bytes.Join(lines, []byte("\n")), true
}

// insertKey adds "key: value" as the first entry of the block mapping m,
// indented like its first key.
func insertKey(data []byte, m *yaml.Node, key, value string) ([]byte, bool) {
	if m.Style&yaml.FlowStyle != 0 || len(m.Content) == 0 {
		return nil, false
	}
	first := m.Content[0]
	lines := bytes.Split(data, []byte("\n"))
	if first.Line < 1 || first.Line > len(lines) {
		return nil, false
	}
	entry := []byte(strings.Repeat(" ", first.Column-1) + key + ": " + scalarText(value))
	at := first.Line - 1
	// Keep the first key's comment lines attached to it.
	for at > 0 && strings.HasPrefix(strings.TrimSpace(string(lines[at-1])), "#") {
		at--
	}
	lines = append(lines[:at], append([][]byte{entry}, lines[at:]...)...)
	return bytes.Join(lines, []byte("\n")), true
}

func reencode(doc *yaml.Node, keys []string, value string) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write YAML: %w", err)
	}
	return verified(b.Bytes(), keys, value)
}

// verified checks that the edited text parses and has value at keys.
func verified(out []byte, keys []string, value string) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil || len(doc.Content) != 1 {
		return nil, fmt.Errorf("editing %s broke the file", strings.Join(keys, "."))
	}
	m := doc.Content[0]
	var v *yaml.Node
	for _, key := range keys {
		if _, v = lookup(m, key); v == nil {
			return nil, fmt.Errorf("editing %s lost the key", strings.Join(keys, "."))
		}
		m = v
	}
	var got string
	if err := v.Decode(&got); err != nil || got != value {
		return nil, fmt.Errorf("editing %s gave %q, not %q", strings.Join(keys, "."), v.Value, value)
	}
	return out, nil
}

// writeAtomic replaces path with data, mode perm, in one rename.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
