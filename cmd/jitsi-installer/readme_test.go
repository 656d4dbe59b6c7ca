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

// TestReadmeListsEveryCommand keeps the README's Commands table complete.
func TestReadmeListsEveryCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "## Commands")
	table, _, _ = strings.Cut(table, "\n## ")
	for _, c := range newRoot(&globals{}).Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "token" || c.Name() == "janssen" {
			continue // token and janssen have sections of their own
		}
		if !strings.Contains(table, "| `"+c.Name()) && !strings.Contains(table, "`"+c.Name()+"`") {
			t.Errorf("README's Commands table does not list %q", c.Name())
		}
	}
}
