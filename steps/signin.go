package steps

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	jans "github.com/jitsi-installer/jitsi-installer/pkg/janssen"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// signInChecks are what breaks the browser's sign-in in the field, asked
// from the machine running the installer as a browser would ask Janssen:
// its token endpoint must allow CORS from the meeting origin (sso.html
// exchanges the code from there), and it must accept the served sso.html as
// the client's redirect URI. On the host: nginx serves sso.html with
// config.js included (SSI), or the page has no sso settings.
func signInChecks(e *env) func(*installer.Host) []installer.Check {
	return func(*installer.Host) []installer.Check {
		j := e.cfg.Janssen
		origin := "https://" + e.cfg.Domain
		sso := origin + jans.SSOPath
		corsName := "Janssen's token endpoint allows CORS from " + origin
		redirectName := "Janssen accepts " + sso + " as the redirect URI of client " + j.ClientID
		// discovery reads Janssen's discovery document for one check.
		discovery := func(ctx context.Context) (*http.Client, *jwks.Discovery, error) {
			c, err := jwks.NewClient(j.CABundle)
			if err != nil {
				return nil, nil, fmt.Errorf("the discovery document of Janssen: %w", err)
			}
			disc, err := jwks.FetchDiscovery(ctx, c, j.DiscoveryURL, j.Issuer)
			if err != nil {
				return nil, nil, fmt.Errorf("the discovery document of Janssen: %w", err)
			}
			return c, disc, nil
		}
		return []installer.Check{
			{Name: corsName, Local: func(ctx context.Context) error {
				c, disc, err := discovery(ctx)
				if err != nil {
					return err
				}
				return jans.CheckCORS(ctx, c, disc.TokenEndpoint, origin, j.ClientID)
			}},
			{Name: redirectName, Local: func(ctx context.Context) error {
				c, disc, err := discovery(ctx)
				if err != nil {
					return err
				}
				return jans.CheckRedirectURI(ctx, c, disc.AuthorizationEndpoint, j.ClientID, sso)
			}},
			{
				Name: sso + " is served with config.js",
				Args: []string{"curl", "-sS", "--fail", "-k", "--max-time", "10",
					"--resolve", e.cfg.Domain + ":443:127.0.0.1", sso},
				Settle: true,
				Eval: func(out string, code int) error {
					switch {
					case code != 0:
						return exitZero("GET "+sso)(out, code)
					case strings.Contains(out, `<!--#include virtual="/config.js"`):
						return fmt.Errorf("nginx serves %s without including config.js: turn on ssi in the site (the page then has no sso settings)", sso)
					case !strings.Contains(out, j.ClientID):
						return fmt.Errorf("%s does not carry the client id %s of config.js", sso, j.ClientID)
					}
					return nil
				},
			},
		}
	}
}
