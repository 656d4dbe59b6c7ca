package installer

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Masked stands for a secret value in a diff.
const Masked = "********"

// masker hides secrets in the lines of a file's diff. It masks:
//   - every known secret value, and every line of a secret that spans lines;
//   - any word that shares six characters in a row with a secret (a secret
//     edited by hand);
//   - in a file that holds secrets, the value of a line whose declared
//     version holds one (same text before it), whatever the host has there
//     now, and any random-looking word of the host's version that is not in
//     the declared one (a secret of an earlier run, a key).
type masker struct {
	pieces  []string        // secret values and their lines, longest first
	windows map[string]bool // every six characters in a row of a secret
	secret  bool            // the file holds secrets: the stricter rules too
	keys    []lineKey       // declared lines that hold a secret
	want    map[string]bool // the declared lines
	words   map[string]bool // the declared words
}

// lineKey is the text around the secret in a declared line.
type lineKey struct{ before, after string }

const window = 6

func newMasker(r *Redactor, declared string, secret bool) *masker {
	m := &masker{windows: map[string]bool{}, secret: secret, want: map[string]bool{}, words: map[string]bool{}}
	for _, s := range r.values() {
		for _, p := range strings.Split(s, "\n") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			m.pieces = append(m.pieces, p)
			if strings.HasPrefix(p, "-----") { // PEM armour: not secret, too common
				continue
			}
			for i := 0; i+window <= len(p); i++ {
				m.windows[p[i:i+window]] = true
			}
		}
	}
	sortLongestFirst(m.pieces)
	for _, l := range splitLines(declared) {
		m.want[l] = true
		for _, w := range words(l) {
			m.words[w] = true
		}
		if !secret {
			continue
		}
		for _, p := range m.pieces {
			if i := strings.Index(l, p); i >= 0 {
				j := strings.LastIndex(l, p) + len(p)
				for _, q := range m.pieces { // the last secret of the line
					if k := strings.LastIndex(l, q); k >= 0 && k+len(q) > j {
						j = k + len(q)
					}
				}
				if strings.TrimSpace(l[:i]) != "" {
					m.keys = append(m.keys, lineKey{before: l[:i], after: l[j:]})
				}
				break
			}
		}
	}
	return m
}

// line returns l with its secrets masked.
func (m *masker) line(l string) string {
	for _, p := range m.pieces {
		if strings.TrimSpace(l) == strings.TrimSpace(p) {
			return leadingSpace(l) + Masked
		}
		l = strings.ReplaceAll(l, p, Masked)
	}
	if m.secret && !m.want[l] {
		for _, k := range m.keys {
			if strings.HasPrefix(l, k.before) {
				rest, after := l[len(k.before):], ""
				if k.after != "" && strings.HasSuffix(rest, k.after) {
					after = k.after
				}
				l = k.before + Masked + after
				break
			}
		}
	}
	return m.maskWords(l)
}

// maskWords masks the words of l that look like (part of) a secret.
func (m *masker) maskWords(l string) string {
	var b strings.Builder
	for i := 0; i < len(l); {
		j := i
		for j < len(l) && isWordByte(l[j]) {
			j++
		}
		if j == i {
			b.WriteByte(l[i])
			i++
			continue
		}
		w := l[i:j]
		if m.nearSecret(w) || (m.secret && !m.words[w] && randomLooking(w)) {
			w = Masked
		}
		b.WriteString(w)
		i = j
	}
	return b.String()
}

func (m *masker) nearSecret(w string) bool {
	for i := 0; i+window <= len(w); i++ {
		if m.windows[w[i:i+window]] {
			return true
		}
	}
	return false
}

// words are the runs of characters a password, token or key is made of.
func words(l string) []string {
	return strings.FieldsFunc(l, func(r rune) bool { return r > 0x7f || !isWordByte(byte(r)) })
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '_' || c == '-' || c == '*'
}

// randomLooking: 16 characters or more with a part that no word, name or
// number looks like, as generated passwords, keys and hashes have; paths,
// names and an operator's notes (holdout-drift-marker-41) do not.
func randomLooking(w string) bool {
	if len(w) < 16 || w == Masked {
		return false
	}
	parts := strings.FieldsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	return slices.ContainsFunc(parts, func(p string) bool { return !wordLike(p) })
}

// wordLike: a word, a CamelCase name, a short number or a name with a
// version (sha256, lua5); a long run of lowercase letters only if it has
// the vowels of a word.
var wordShape = regexp.MustCompile(`^(?:[0-9]{1,11}|[A-Z]{1,11}|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*[0-9]{0,3})$`)

func wordLike(p string) bool {
	if !wordShape.MatchString(p) {
		return false
	}
	letters := strings.TrimRight(p, "0123456789")
	if len(letters) < 12 {
		return true
	}
	vowels := 0
	for _, c := range strings.ToLower(letters) {
		if strings.ContainsRune("aeiouy", c) {
			vowels++
		}
	}
	return vowels*4 >= len(letters) // random letters: about one in five
}

func leadingSpace(l string) string {
	return l[:len(l)-len(strings.TrimLeft(l, " \t"))]
}
