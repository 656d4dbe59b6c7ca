// Package installertest builds hosts for testing steps without a
// connection, as net/http/httptest builds requests for handlers.
package installertest

import "github.com/jitsi-installer/jitsi-installer/installer"

// NewHost returns a host whose queries answered with facts (query name to
// output, exit status 0).
func NewHost(name string, port int, facts map[string]string) *installer.Host {
	h := &installer.Host{Name: name, Address: name, Port: port, RunID: "test"}
	h.UseRedactor(installer.NewRedactor())
	for k, v := range facts {
		h.SetFact(k, installer.Probed{Out: v})
	}
	return h
}
