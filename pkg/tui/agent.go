package tui

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// agentKeys is what the SSH agent holds, listed for the operator to choose.
type agentKeys struct {
	sock string
	keys []string // "ssh-ed25519 SHA256:... comment"
	err  error
}

// listAgent asks the agent at SSH_AUTH_SOCK for its keys.
func listAgent() agentKeys {
	a := agentKeys{sock: os.Getenv("SSH_AUTH_SOCK")}
	if a.sock == "" {
		return a
	}
	conn, err := net.DialTimeout("unix", a.sock, 2*time.Second)
	if err != nil {
		a.err = fmt.Errorf("SSH agent at %s: %w", a.sock, err)
		return a
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		a.err = fmt.Errorf("SSH agent at %s: %w", a.sock, err)
		return a
	}
	for _, k := range keys {
		a.keys = append(a.keys, strings.TrimSpace(fmt.Sprintf("%s %s %s", k.Type(), ssh.FingerprintSHA256(k), k.Comment)))
	}
	return a
}

func (a agentKeys) available() bool { return len(a.keys) > 0 }

// describe says what the agent offers, or why it offers nothing.
func (a agentKeys) describe() string {
	switch {
	case a.sock == "":
		return "No SSH agent: SSH_AUTH_SOCK is not set."
	case a.err != nil:
		return a.err.Error()
	case len(a.keys) == 0:
		return "The SSH agent holds no key."
	}
	return "The agent holds:\n" + strings.Join(a.keys, "\n")
}
