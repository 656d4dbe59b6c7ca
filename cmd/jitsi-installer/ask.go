package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"
)

// terminalFile is v as a file, and whether it is a terminal.
func terminalFile(v any) (*os.File, bool) {
	f, ok := v.(*os.File)
	return f, ok && term.IsTerminal(int(f.Fd()))
}

// isTerminal reports whether r and w are both terminals.
func isTerminal(r io.Reader, w io.Writer) bool {
	_, tr := terminalFile(r)
	_, tw := terminalFile(w)
	return tr && tw
}

// canAsk reports whether a question can be answered: stdin is a terminal.
// stdout and stderr may be pipes (| tee): the question goes to stderr.
func (g *globals) canAsk() bool {
	_, ok := terminalFile(g.stdin)
	return ok
}

// needAsk refuses, before any host is contacted, a command that would have
// to ask and cannot.
func (g *globals) needAsk(yes bool) error {
	if yes || g.canAsk() {
		return nil
	}
	return inputError("no terminal on stdin to ask before changing hosts; pass --yes to apply without asking (nothing was contacted)")
}

// confirm asks a yes/no question on the terminal.
func (g *globals) confirm(question string) (bool, error) {
	if !g.canAsk() {
		return false, inputError("%s: no terminal to ask on; pass --yes to apply without asking", question)
	}
	fmt.Fprintf(g.stderr, "%s [y/N] ", question)
	var answer string
	_, _ = fmt.Fscanln(g.stdin, &answer)
	a := strings.ToLower(strings.TrimSpace(answer))
	return a == "y" || a == "yes", nil
}

// askPassphrase asks on the terminal for the passphrase of keyFile.
func (g *globals) askPassphrase(keyFile string) ([]byte, error) {
	fmt.Fprintf(g.stderr, "Passphrase for %s: ", filepath.Base(keyFile))
	f, ok := g.stdin.(*os.File)
	if !ok {
		return nil, errors.New("no terminal to ask for the passphrase")
	}
	b, err := readPassword(f)
	fmt.Fprintln(g.stderr)
	return b, err
}

func readPassword(f *os.File) ([]byte, error) {
	if !term.IsTerminal(int(f.Fd())) {
		return nil, errors.New("not a terminal")
	}
	return term.ReadPassword(int(f.Fd()))
}
