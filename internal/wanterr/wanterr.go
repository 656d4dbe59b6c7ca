// Package wanterr compares an error with what a table test wants of it:
// no error, or one whose message says something in particular.
package wanterr

import (
	"fmt"
	"strings"
)

// Mismatch says how err differs from want, where "" wants no error and
// anything else an error whose message contains it; "" when err is as
// wanted.
func Mismatch(err error, want string) string {
	switch {
	case want == "" && err != nil:
		return fmt.Sprintf("error %v, want none", err)
	case want != "" && err == nil:
		return fmt.Sprintf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		return fmt.Sprintf("error %v, want one containing %q", err, want)
	}
	return ""
}
