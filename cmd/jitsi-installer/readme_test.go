package main

import (
	"os"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/janssen"
)

// TestReadmeShowsTheRealClient keeps the README's printed registration
// request the one `janssen client` prints.
func TestReadmeShowsTheRealClient(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "### The client and the script")
	if !ok {
		t.Fatal("README has no section on the client and the script")
	}
	_, block, ok := strings.Cut(after, "```json\n")
	block, _, _ = strings.Cut(block, "```")
	want := strings.TrimSpace(string(janssen.NewClientRequest("meet.example.com").JSON()))
	if !ok || strings.TrimSpace(block) != want {
		t.Errorf("README's client request differs from `janssen client`:\n%s\nwant\n%s", block, want)
	}
}
