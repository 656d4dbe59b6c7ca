package steps

import (
	"fmt"
	"os"
)

// caBundles are the PEM texts of the local CA bundles the answers name,
// read once when the steps are built.
type caBundles struct {
	janssen, acme string
	err           error // a bundle that could not be read; preflight refuses with it
}

func readCABundles(janssenPath, acmePath string) caBundles {
	var c caBundles
	read := func(field, path string) string {
		if path == "" || c.err != nil {
			return ""
		}
		b, err := os.ReadFile(path)
		if err != nil {
			c.err = fmt.Errorf("%s: %w", field, err)
		}
		return string(b)
	}
	c.janssen = read("janssen.ca_bundle", janssenPath)
	c.acme = read("letsencrypt.ca_bundle", acmePath)
	return c
}
