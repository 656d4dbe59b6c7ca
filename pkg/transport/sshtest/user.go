package sshtest

import (
	"os/user"
	"testing"
)

// Self is the user and group the test runs as: files written as them need
// no root. It skips the test when the system cannot name them.
func Self(t testing.TB) (owner, group string) {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Skip(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Skip(err)
	}
	return u.Username, g.Name
}
