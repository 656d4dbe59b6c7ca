package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/term"
)

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
