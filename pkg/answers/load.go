package answers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSize bounds the answers file and every ${file:...} it reads.
const maxSize = 1 << 20

// Problem is one thing wrong with an answers file.
type Problem struct {
	File   string
	Line   int // 0 when the problem concerns the whole file
	Column int
	Path   string // field path such as hosts[0].port; empty for syntax and unknown keys
	Msg    string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
		if p.Column > 0 {
			fmt.Fprintf(&b, ":%d", p.Column)
		}
	}
	b.WriteString(": ")
	if p.Path != "" {
		b.WriteString(p.Path + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is every problem found in one answers file. Load and Parse return
// no other error type, so a caller can treat any of their errors as invalid
// input.
type Problems struct {
	List []Problem
}

// Error prints one problem per line, in file order.
func (p *Problems) Error() string {
	lines := make([]string, len(p.List))
	for i, q := range p.List {
		lines[i] = q.String()
	}
	return strings.Join(lines, "\n")
}

// Options changes how Parse reaches the world outside the file. The zero
// value uses the real environment and file system.
type Options struct {
	// Dir is where relative paths point; default: the directory of name.
	Dir string
	// Home replaces "~"; default: os.UserHomeDir.
	Home string
	// LookupEnv resolves ${env:NAME}; default: os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// ReadFile reads ${file:PATH} and the PEM files the answers name;
	// default: os.ReadFile.
	ReadFile func(path string) ([]byte, error)
	// RunCommand runs the program and arguments of ${cmd:COMMAND} in dir
	// and returns its standard output; default: runCommand, no shell.
	RunCommand func(dir string, args []string) ([]byte, error)
	// SkipFileChecks leaves the certificate and key files named in the
	// answers unread; ${file:...} references are still read.
	SkipFileChecks bool
	// Local: the installer runs on the host itself (--host local), so the
	// hosts' SSH key files are not read.
	Local bool
}

// Load reads and checks the answers file at path.
func Load(path string) (*Config, error) { return LoadWith(path, Options{}) }

// LoadWith is Load with opts, for a run that needs less of the file (a
// local run reads no SSH key).
func LoadWith(path string, opts Options) (*Config, error) {
	data, err := readLimited(os.ReadFile, path)
	if err != nil {
		return nil, &Problems{List: []Problem{{File: path, Msg: err.Error()}}}
	}
	return Parse(path, data, opts)
}

// Parse decodes and checks an answers file; name is used in messages and,
// unless opts.Dir is set, to resolve relative paths. The result has every
// default filled in. Any error is a *Problems listing everything wrong.
func Parse(name string, data []byte, opts Options) (*Config, error) {
	d := newDecoder(name, opts)
	c := &Config{src: d.src}
	root, ok := d.document(data)
	if root != nil {
		d.decodeStruct(root, reflect.ValueOf(c).Elem(), "")
	}
	applyDefaults(c, func(p string) bool { return d.src.set[p] })
	if ok {
		// A file that is not YAML, or not a mapping, gets no list of
		// every key it lacks.
		d.validate(c)
	}
	if len(d.probs) > 0 {
		for i := range d.probs {
			d.probs[i].Msg = d.src.mask(d.probs[i].Msg)
		}
		sort.SliceStable(d.probs, func(i, j int) bool {
			a, b := d.probs[i], d.probs[j]
			if a.Line != b.Line {
				return a.Line < b.Line
			}
			return a.Column < b.Column
		})
		return nil, &Problems{List: d.probs}
	}
	return c, nil
}

// Problem returns a problem about path that points at the line the value came
// from, for checks made after loading (a discovery document that disagrees,
// say). Without a file behind c, File and Line are empty.
func (c *Config) Problem(path, msg string) Problem {
	p := Problem{Path: path, Msg: msg}
	if c.src != nil {
		p.File = c.src.file
		pos := c.src.at(path)
		p.Line, p.Column = pos.line, pos.col
	}
	return p
}

// source remembers where each value came from.
type source struct {
	file string
	pos  map[string]position // value of each key the file has, by field path
	set  map[string]bool     // keys the file gives a non-null value
	raw  map[string]rawValue // text as written, where a reference or ~ changed it
	// cmd are the outputs of ${cmd:...}: secrets wherever they are used.
	cmd []string
}

// Given reports whether the file gave the key at path (such as
// "hosts[0].user") a value, rather than leaving it to its default.
func (c *Config) Given(path string) bool { return c.src.given(path) }

// given reports whether the file set path; false without a file.
func (s *source) given(path string) bool {
	return s != nil && s.set[path]
}

type position struct{ line, col int }

type rawValue struct{ text, value string }

// at is the position of path or of its nearest ancestor in the file.
func (s *source) at(path string) position {
	for {
		if p, ok := s.pos[path]; ok {
			return p
		}
		if path == "" {
			return position{1, 1}
		}
		path = parent(path)
	}
}

// parent strips the last ".key" or "[i]" from a field path.
func parent(path string) string {
	i := strings.LastIndexAny(path, ".[")
	if i < 0 {
		return ""
	}
	return path[:i]
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

type decoder struct {
	opts      Options
	dir       string
	src       *source
	probs     []Problem
	bad       map[string]bool // paths already reported; validation skips them
	suggested map[string]bool // required paths an unknown key was taken for
	merged    map[*yaml.Node][]pair
	ran       map[string]string // output of each ${cmd:...} that succeeded, by command
}

func newDecoder(name string, opts Options) *decoder {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.RunCommand == nil {
		opts.RunCommand = runCommand
	}
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Dir(name)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return &decoder{
		opts:      opts,
		dir:       dir,
		src:       &source{file: name, pos: map[string]position{}, set: map[string]bool{}, raw: map[string]rawValue{}},
		bad:       map[string]bool{},
		suggested: map[string]bool{},
		merged:    map[*yaml.Node][]pair{},
	}
}

// add records a problem at node n, or at the value of path when n is nil.
func (d *decoder) add(n *yaml.Node, path, format string, args ...any) {
	p := Problem{File: d.src.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		p.Line, p.Column = n.Line, n.Column
	} else {
		pos := d.src.at(path)
		p.Line, p.Column = pos.line, pos.col
	}
	d.probs = append(d.probs, p)
	if path != "" {
		d.bad[path] = true
	}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// document parses data and returns its top-level mapping, or nil for an
// empty file; ok is false when the file is not a YAML mapping at all.
func (d *decoder) document(data []byte) (root *yaml.Node, ok bool) {
	if len(data) > maxSize {
		d.add(nil, "", "file is larger than %d bytes", maxSize)
		return nil, false
	}
	defer func() {
		// yaml.v3 has panicked on hostile input before; a file it cannot
		// read is a problem, not a crash.
		if r := recover(); r != nil {
			root, ok = nil, false
			d.add(nil, "", "cannot parse the file as YAML")
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		d.syntax(err, data)
		return nil, false
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		d.add(&next, "", "only one YAML document is allowed; remove the second one")
	case !errors.Is(err, io.EOF):
		d.syntax(err, data)
		return nil, false
	}
	if len(doc.Content) == 0 {
		return nil, true
	}
	n := deref(doc.Content[0])
	switch {
	case n.Kind == yaml.MappingNode:
		d.src.pos[""] = position{n.Line, n.Column}
		return n, true
	case isNull(n):
		return nil, true
	default:
		d.add(n, "", "expected a mapping of keys at the top level, got %s", describe(n, true))
		return nil, false
	}
}

func (d *decoder) syntax(err error, data []byte) {
	p := Problem{File: d.src.file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
		p.Msg = "invalid YAML: " + m[2]
		if lines := bytes.Split(data, []byte("\n")); p.Line >= 1 && p.Line <= len(lines) && bytes.ContainsRune(lines[p.Line-1], '\t') {
			p.Msg += " (a tab? YAML indents with spaces only)"
		}
	}
	d.probs = append(d.probs, p)
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names a node's type for messages; the value itself is shown only
// when show is true and the node is a scalar.
func describe(n *yaml.Node, show bool) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if !show {
		switch n.Tag {
		case "!!int":
			return "an integer"
		case "!!bool":
			return "a boolean"
		default:
			return "a string"
		}
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "..."
	}
	if n.Tag == "!!str" {
		return "the string " + strconv.Quote(v)
	}
	return v
}

type pair struct{ key, val *yaml.Node }

// pairs lists the keys of a mapping after merging "<<" keys; duplicates are
// reported and dropped. Merged mappings are computed once, so nested merges
// cannot blow up.
func (d *decoder) pairs(n *yaml.Node) []pair {
	if ps, ok := d.merged[n]; ok {
		return ps
	}
	d.merged[n] = nil // a mapping that merges itself gets nothing from itself
	var own, inherited []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			inherited = append(inherited, d.mergeFrom(k, v)...)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.add(k, "", "keys must be plain strings, got %s", describe(k, false))
			continue
		}
		own = append(own, pair{k, v})
	}
	first := map[string]*yaml.Node{}
	var out []pair
	for _, p := range own {
		if f, dup := first[p.key.Value]; dup {
			d.add(p.key, "", "duplicate key %q (first at line %d)", p.key.Value, f.Line)
			continue
		}
		first[p.key.Value] = p.key
		out = append(out, p)
	}
	for _, p := range inherited {
		if _, ok := first[p.key.Value]; !ok {
			first[p.key.Value] = p.key
			out = append(out, p)
		}
	}
	d.merged[n] = out
	return out
}

func (d *decoder) mergeFrom(k, v *yaml.Node) []pair {
	v = deref(v)
	srcs := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		srcs = v.Content
	}
	var out []pair
	for _, s := range srcs {
		s = deref(s)
		if s.Kind != yaml.MappingNode {
			d.add(k, "", "<< must merge a mapping, got %s", describe(s, false))
			continue
		}
		out = append(out, d.pairs(s)...)
	}
	return out
}

// decodeStruct fills v from mapping n, reporting unknown keys.
func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fs := fieldsOf(v.Type())
	for _, p := range d.pairs(n) {
		key := p.key.Value
		f, ok := lookup(fs, key)
		if ok {
			d.decodeValue(p.key, p.val, v.Field(f.index), f, join(path, key))
			continue
		}
		where := path
		if where == "" {
			where = "(root)"
		}
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = f.key
		}
		if s := suggest(key, names); s != "" {
			d.add(p.key, "", "unknown key %q in %s; did you mean %q?", key, where, s)
			d.suggested[join(path, s)] = true
		} else {
			d.add(p.key, "", "unknown key %q in %s (known keys: %s)", key, where, strings.Join(names, ", "))
		}
	}
}

func lookup(fs []field, key string) (field, bool) {
	for _, f := range fs {
		if f.key == key {
			return f, true
		}
	}
	return field{}, false
}

// decodeValue stores the value of key k (node n) at v; f describes the key
// (for list items, the list's key).
func (d *decoder) decodeValue(k, n *yaml.Node, v reflect.Value, f field, path string) {
	n = deref(n)
	if isNull(n) {
		// Same as leaving the key out; remember where it was for messages.
		d.src.pos[path] = position{k.Line, k.Column}
		return
	}
	d.src.pos[path] = position{n.Line, n.Column}
	d.src.set[path] = true
	secret := kinds[f.kind].secret
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.add(n, path, "expected a mapping, got %s", describe(n, !secret))
			return
		}
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.add(n, path, "expected a list, got %s", describe(n, !secret))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			ip := fmt.Sprintf("%s[%d]", path, i)
			if isNull(deref(item)) {
				d.add(item, ip, "empty list item")
				continue
			}
			d.decodeValue(item, item, s.Index(i), f, ip)
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.add(n, path, "expected a string, got %s", describe(n, false))
			return
		}
		val, ok := d.resolve(n, path, secret)
		if !ok {
			return
		}
		switch f.kind {
		case "path", "certs", "privkey", "sshkey":
			if val, ok = d.expand(n, path, val); !ok {
				return
			}
		case "fingerprint":
			val = strings.ToUpper(strings.ReplaceAll(val, " ", ""))
		}
		d.remember(n, path, val)
		v.SetString(val)
	case reflect.Int:
		x, ok := d.integer(n, path)
		if ok {
			v.SetInt(int64(x))
		}
	case reflect.Bool:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!bool" {
			var b bool
			if n.Decode(&b) == nil {
				v.SetBool(b)
				return
			}
		}
		if !ref(n) {
			d.add(n, path, "expected true or false, got %s", describe(n, true))
			return
		}
		s, ok := d.resolve(n, path, false)
		if !ok {
			return
		}
		if s != "true" && s != "false" {
			d.add(n, path, "expected true or false, got %q from %s", s, n.Value)
			return
		}
		d.remember(n, path, s)
		v.SetBool(s == "true")
	default:
		panic("answers: unsupported field type " + v.Type().String())
	}
}

func (d *decoder) integer(n *yaml.Node, path string) (int, bool) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!int" {
		var x int64
		if n.Decode(&x) == nil && x == int64(int32(x)) {
			return int(x), true
		}
		d.add(n, path, "%s is out of range", n.Value)
		return 0, false
	}
	if ref(n) {
		s, ok := d.resolve(n, path, false)
		if !ok {
			return 0, false
		}
		x, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			d.add(n, path, "expected an integer, got %q from %s", s, n.Value)
			return 0, false
		}
		d.remember(n, path, s)
		return int(x), true
	}
	d.add(n, path, "expected an integer, got %s", describe(n, true))
	return 0, false
}

// remember keeps the text as written when it differs from the value, so
// Marshal can write the reference or ~ path back.
func (d *decoder) remember(n *yaml.Node, path, val string) {
	if n.Value != val {
		d.src.raw[path] = rawValue{text: n.Value, value: val}
	}
}

func ref(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!str" && strings.Contains(n.Value, "${")
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// wholeRef matches a value that is exactly one reference.
var wholeRef = regexp.MustCompile(`^\$\{(env|file|cmd):[^}]+\}$`)

// refForms are the references, for messages.
const refForms = "${env:NAME}, ${file:PATH} or ${cmd:COMMAND}"

// resolve replaces every ${env:NAME}, ${file:PATH} and ${cmd:COMMAND} in
// n's value. For a secret the messages never quote the value.
func (d *decoder) resolve(n *yaml.Node, path string, secret bool) (string, bool) {
	s := n.Value
	if !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			d.add(n, path, "has \"${\" without a closing \"}\"; write %s", refForms)
			return "", false
		}
		typ, arg, _ := strings.Cut(s[i+2:i+j], ":")
		s = s[i+j+1:]
		switch typ {
		case "env":
			if !envName.MatchString(arg) {
				if secret {
					d.add(n, path, "has ${env:...} without a valid variable name")
				} else {
					d.add(n, path, "%q is not an environment variable name", arg)
				}
				return "", false
			}
			val, ok := d.opts.LookupEnv(arg)
			if !ok {
				d.add(n, path, "environment variable %s is not set", arg)
				return "", false
			}
			b.WriteString(val)
		case "file":
			if arg == "" {
				d.add(n, path, "${file:} needs a path")
				return "", false
			}
			file, ok := d.expand(n, path, arg)
			if !ok {
				return "", false
			}
			data, err := readLimited(d.opts.ReadFile, file)
			if err != nil {
				d.add(n, path, "%v", err)
				return "", false
			}
			b.WriteString(trimNewline(string(data)))
		case "cmd":
			v, ok := d.command(n, path, arg)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		default:
			if secret {
				d.add(n, path, "has \"${\" that starts none of %s", refForms)
			} else {
				d.add(n, path, "unknown reference %q; write %s", "${"+typ+"}", refForms)
			}
			return "", false
		}
	}
}

// trimNewline drops one trailing newline (\n or \r\n).
func trimNewline(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}

// expand turns ~ and relative paths into absolute ones.
func (d *decoder) expand(n *yaml.Node, path, p string) (string, bool) {
	switch {
	case p == "":
		return "", true
	case p == "~" || strings.HasPrefix(p, "~/"):
		home := d.opts.Home
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				d.add(n, path, "cannot expand ~: %v", err)
				return "", false
			}
			home = h
		}
		return filepath.Join(home, p[1:]), true
	case strings.HasPrefix(p, "~"):
		d.add(n, path, "only ~/ is expanded, not ~user/; write the full path")
		return "", false
	case filepath.IsAbs(p):
		return filepath.Clean(p), true
	default:
		return filepath.Join(d.dir, p), true
	}
}

func readLimited(read func(string) ([]byte, error), path string) ([]byte, error) {
	data, err := read(path)
	if err != nil {
		return nil, err
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxSize)
	}
	return data, nil
}
