package transport

import (
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// AgentKeys is what the SSH agent at SSH_AUTH_SOCK holds, for an operator
// choosing how to authenticate.
type AgentKeys struct {
	Sock string
	Keys []string // "ssh-ed25519 SHA256:... comment"
	Err  error
}

// ListAgent asks the agent at SSH_AUTH_SOCK for its keys, within 2 seconds.
func ListAgent() AgentKeys {
	a := AgentKeys{Sock: os.Getenv("SSH_AUTH_SOCK")}
	if a.Sock == "" {
		return a
	}
	conn, err := net.DialTimeout("unix", a.Sock, 2*time.Second)
	if err != nil {
		a.Err = fmt.Errorf("SSH agent at %s: %w", a.Sock, err)
		return a
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	keys, err := agent.NewClient(conn).List()
	if err != nil {
		a.Err = fmt.Errorf("SSH agent at %s: %w", a.Sock, err)
		return a
	}
	for _, k := range keys {
		a.Keys = append(a.Keys, strings.TrimSpace(fmt.Sprintf("%s %s %s", k.Type(), ssh.FingerprintSHA256(k), k.Comment)))
	}
	return a
}

// Available reports whether the agent offers a key.
func (a AgentKeys) Available() bool { return len(a.Keys) > 0 }

// Describe says what the agent offers, or why it offers nothing.
func (a AgentKeys) Describe() string {
	switch {
	case a.Sock == "":
		return "No SSH agent: SSH_AUTH_SOCK is not set."
	case a.Err != nil:
		return a.Err.Error()
	case len(a.Keys) == 0:
		return "The SSH agent holds no key."
	}
	return "The agent holds:\n" + strings.Join(a.Keys, "\n")
}
