package steps

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	jans "github.com/jitsi-installer/jitsi-installer/pkg/janssen"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

const loginCheckName = "a token of Janssen's test client signs in through nginx and joins a meeting (BOSH and WebSocket)"

// noTestClient is why the checks that sign in are skipped.
const noTestClient = "janssen.test_client is not set, so there is no token to sign in with " +
	"(a confidential client with the client_credentials grant whose tokens carry the Jitsi claims)"

// loginCheck is verify's "Verify JWT authentication" done as a user would:
// a real token of the answers' test client signs in through nginx over BOSH
// and over WebSocket, Jicofo creates the conference and the user joins it,
// and the same token with its signature altered is refused. The tokens
// reach the host on the batch script's stdin, never on a command line.
//
// With a TURN server the login also asks Prosody for its external services
// (XEP-0215) as lib-jitsi-meet does; got receives them for the TURN checks.
func (s *prosody) loginCheck(h *installer.Host, got *handedOut) installer.Check {
	if !s.hasTestClient() {
		return installer.Check{Name: loginCheckName, Skip: noTestClient}
	}
	fail := func(err error) installer.Check {
		return installer.Check{Name: loginCheckName, Args: []string{"true"}, Eval: func(string, int) error { return err }}
	}
	script, err := assets.Script(assets.MeetingLogin)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	token, err := s.testToken(ctx)
	if err != nil {
		return fail(fmt.Errorf("no token from Janssen for janssen.test_client: %w", err))
	}
	forged, err := forgeSignature(token)
	if err != nil {
		return fail(fmt.Errorf("the token Janssen issued for janssen.test_client: %w", err))
	}
	h.Secret(token)
	h.Secret(forged)
	args := []string{"python3", "-c", script, s.cfg.Domain}
	if s.cfg.Jitsi.Turn {
		args = append(args, "--services")
	}
	return installer.Check{
		Name:  loginCheckName,
		Args:  args,
		Stdin: token + "\n" + forged + "\n",
		// Jicofo and the bridge take a while after a restart to join
		// Prosody: until then there is no conference to join.
		Settle: true,
		Eval: func(out string, code int) error {
			out = strings.TrimSpace(got.take(h, out))
			switch {
			case code == 0:
				return nil
			case strings.Contains(out, "Prosody refused the token"):
				return fmt.Errorf("%s\n`jitsi-installer token check` shows which of Prosody's checks the token fails", out)
			}
			return fmt.Errorf("%s", out)
		},
	}
}

func (s *prosody) hasTestClient() bool {
	tc := s.cfg.Janssen.TestClient
	return tc.ClientID != "" && tc.ClientSecret != ""
}

// testToken gets a token for the test client with the client credentials
// grant, from the token endpoint of Janssen's discovery document.
func (s *prosody) testToken(ctx context.Context) (string, error) {
	j := s.cfg.Janssen
	c, err := jwks.NewClient(j.CABundle)
	if err != nil {
		return "", err
	}
	disc, err := jwks.FetchDiscovery(ctx, c, j.DiscoveryURL, j.Issuer)
	if err != nil {
		return "", err
	}
	return jans.ClientCredentials(ctx, c, disc.TokenEndpoint, j.TestClient.ClientID, j.TestClient.ClientSecret)
}

// forgeSignature returns token with one bit of its signature flipped: a
// token Prosody must refuse although its header and claims are genuine.
func forgeSignature(token string) (string, error) {
	i := strings.LastIndexByte(token, '.')
	if i < 0 || strings.Count(token, ".") != 2 {
		return "", fmt.Errorf("not a JWS in compact form")
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[i+1:])
	if err != nil || len(sig) == 0 {
		return "", fmt.Errorf("its signature is not base64url")
	}
	sig[len(sig)/2] ^= 0x01
	return token[:i+1] + base64.RawURLEncoding.EncodeToString(sig), nil
}
