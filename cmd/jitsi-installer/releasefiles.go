package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newReleaseFiles is the hidden command the release build runs before
// packaging: the man pages and shell completions that the archives and the
// .deb/.rpm packages ship, generated from the command tree so they never
// drift from it. Same version and date, same bytes: releases are reproducible.
func newReleaseFiles() *cobra.Command {
	var ver, date string
	c := &cobra.Command{
		Use:    "release-files DIR",
		Short:  "Write the man pages and shell completions of a release into DIR",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			when, err := time.Parse(time.RFC3339, date)
			if err != nil {
				return inputError("--date: %v", err)
			}
			return writeReleaseFiles(c.Root(), args[0], ver, when)
		},
	}
	c.Flags().StringVar(&ver, "version", "", "the release's version, printed in the man pages' footer")
	c.Flags().StringVar(&date, "date", "", "the release's commit date (RFC 3339), printed in the man pages' footer")
	_ = c.MarkFlagRequired("version")
	_ = c.MarkFlagRequired("date")
	return c
}

// writeReleaseFiles writes DIR/man/*.1.gz, one page per command, and
// DIR/completions/jitsi-installer.{bash,zsh,fish}, in place of what those
// two directories held (a page of a removed command must not ship).
func writeReleaseFiles(root *cobra.Command, dir, ver string, date time.Time) error {
	for _, sub := range []string{"man", "completions"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	files := map[string][]byte{}
	header := &doc.GenManHeader{
		Section: "1",
		Date:    &date,
		Source:  "jitsi-installer " + ver,
		Manual:  "jitsi-installer manual",
	}
	if err := manPages(root, header, files); err != nil {
		return err
	}
	for shell, gen := range map[string]func(*bytes.Buffer) error{
		"bash": func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) },
		"zsh":  func(b *bytes.Buffer) error { return root.GenZshCompletion(b) },
		"fish": func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) },
	} {
		var b bytes.Buffer
		if err := gen(&b); err != nil {
			return fmt.Errorf("%s completion: %w", shell, err)
		}
		files[filepath.Join("completions", "jitsi-installer."+shell)] = b.Bytes()
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// manPages adds a gzipped page for c and each command under it that a user
// can run (not hidden, not help topics), as cobra's GenManTree chooses them.
// gzip's header carries no name and no time, so the bytes depend only on
// the page.
func manPages(c *cobra.Command, header *doc.GenManHeader, files map[string][]byte) error {
	for _, sub := range c.Commands() {
		if !sub.IsAvailableCommand() || sub.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := manPages(sub, header, files); err != nil {
			return err
		}
	}
	c.DisableAutoGenTag = true // the footer already has the version and date
	var page bytes.Buffer
	h := *header // GenMan fills in the title from the command's path
	if err := doc.GenMan(c, &h, &page); err != nil {
		return fmt.Errorf("man page of %s: %w", c.CommandPath(), err)
	}
	var gz bytes.Buffer
	w, err := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := w.Write(page.Bytes()); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	files[filepath.Join("man", strings.ReplaceAll(c.CommandPath(), " ", "-")+".1.gz")] = gz.Bytes()
	return nil
}
