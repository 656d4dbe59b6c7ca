package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"regexp"
	"strings"
)

var envRef = regexp.MustCompile(`^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$`)

// readSecretFlag resolves a secret given as "-" (first line of standard
// input) or ${env:NAME}. A literal value is refused: it would sit in the
// process list and the shell history.
func readSecretFlag(name, value string, stdin io.Reader) (string, error) {
	switch m := envRef.FindStringSubmatch(value); {
	case value == "":
		return "", nil
	case value == "-":
		line, err := bufio.NewReader(io.LimitReader(stdin, 64<<10)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", inputError("%s: read standard input: %v", name, err)
		}
		if line = strings.TrimSpace(line); line == "" {
			return "", inputError("%s: nothing on standard input", name)
		}
		return line, nil
	case m != nil:
		v, ok := os.LookupEnv(m[1])
		if !ok || strings.TrimSpace(v) == "" {
			return "", inputError("%s: environment variable %s is not set", name, m[1])
		}
		return strings.TrimSpace(v), nil
	}
	return "", inputError("%s: pass - to read it from standard input, or ${env:NAME}; a secret on the command line shows in the process list and shell history", name)
}
