package wanterr

import (
	"errors"
	"testing"
)

func TestMismatch(t *testing.T) {
	refused := errors.New("connection refused")
	for _, tc := range []struct {
		name string
		err  error
		want string
		ok   bool
	}{
		{"no error wanted, none", nil, "", true},
		{"no error wanted, one", refused, "", false},
		{"error wanted, none", nil, "refused", false},
		{"error wanted, it", refused, "refused", true},
		{"error wanted, another", refused, "timed out", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Mismatch(tc.err, tc.want); (got == "") != tc.ok {
				t.Errorf("Mismatch(%v, %q) = %q", tc.err, tc.want, got)
			}
		})
	}
}
