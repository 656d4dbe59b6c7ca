package steps

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/installer"
	jans "github.com/jitsi-installer/jitsi-installer/pkg/janssen"
	"github.com/jitsi-installer/jitsi-installer/pkg/jwks"
)

// liveToken is verify's end-to-end token check: a real token from Janssen,
// for the answers' confidential test client, checked against the Prosody
// configuration the host has now (not the one the installer would write).
func (s *prosody) liveToken() installer.Check {
	cfgFile := "/etc/prosody/conf.avail/" + s.cfg.Domain + ".cfg.lua"
	return installer.Check{
		Name: "a token of Janssen's test client is accepted by the host's Prosody",
		Args: []string{"sh", "-c", `date +%s.%N; echo @@; cat "$1"`, "sh", cfgFile},
		Eval: func(out string, code int) error {
			now, conf, _ := strings.Cut(out, "\n@@\n")
			if code != 0 {
				return fmt.Errorf("read %s: %s", cfgFile, strings.TrimSpace(conf))
			}
			secs, _ := strconv.ParseFloat(strings.TrimSpace(now), 64)
			return s.checkLiveToken(conf, time.Unix(0, int64(secs*float64(time.Second))))
		},
	}
}

var (
	luaString = `"((?:[^"\\]|\\.)*)"`
	luaList   = func(key string) *regexp.Regexp { return regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*\{([^}]*)\}`) }
	luaValue  = func(key string) *regexp.Regexp { return regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*` + luaString) }
	luaBool   = func(key string) *regexp.Regexp { return regexp.MustCompile(`(?m)^\s*` + key + `\s*=\s*(true|false)`) }
	luaItem   = regexp.MustCompile(luaString)
)

func luaStrings(conf, key string) []string {
	m := luaList(key).FindStringSubmatch(conf)
	if m == nil {
		return nil
	}
	var out []string
	for _, item := range luaItem.FindAllStringSubmatch(m[1], -1) {
		out = append(out, item[1])
	}
	return out
}

func (s *prosody) checkLiveToken(conf string, hostNow time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := jwks.NewClient(s.cfg.Janssen.CABundle)
	if err != nil {
		return err
	}
	disc, err := jwks.FetchDiscovery(ctx, c, s.cfg.Janssen.DiscoveryURL, s.cfg.Janssen.Issuer)
	if err != nil {
		return err
	}
	tc := s.cfg.Janssen.TestClient
	token, err := jans.ClientCredentials(ctx, c, disc.TokenEndpoint, tc.ClientID, tc.ClientSecret)
	if err != nil {
		return err
	}
	o := jwks.Options{
		Issuers:   luaStrings(conf, "asap_accepted_issuers"),
		Audiences: luaStrings(conf, "asap_accepted_audiences"),
		Alg:       "RS256",
		Skew:      clockSkew(hostNow),
	}
	if len(o.Issuers) == 0 {
		if m := luaValue("app_id").FindStringSubmatch(conf); m != nil {
			o.Issuers = []string{m[1]}
		}
	}
	if len(o.Audiences) == 0 {
		o.Audiences = []string{"*"}
	}
	if m := luaBool("enable_domain_verification").FindStringSubmatch(conf); m == nil || m[1] == "true" {
		o.Domain = s.cfg.Domain
	}
	if m := luaBool("asap_require_room_claim").FindStringSubmatch(conf); m != nil && m[1] == "false" {
		o.RoomOptional = true
	}
	// The key server listens on the host's loopback; from here, the JWKS
	// it mirrors holds the same keys.
	keysURL := disc.JWKSURI
	if m := luaValue("cache_keys_url").FindStringSubmatch(conf); m != nil {
		keysURL = m[1]
	}
	o.Keys = &jwks.RemoteJWKS{URL: keysURL, Client: c}
	rep := jwks.Check(token, o)
	if rep.Accepted() {
		return nil
	}
	var why []string
	for _, f := range rep.Failed() {
		why = append(why, f.Name+": "+f.Detail+" (fix: "+f.Fix+")")
	}
	return fmt.Errorf("Prosody would reject it: %s", strings.Join(why, "; "))
}

// clockSkew is how far the host's clock runs ahead of this machine's. Under
// a second is the time the question took to travel, not skew.
func clockSkew(hostNow time.Time) time.Duration {
	d := time.Until(hostNow)
	if d > -time.Second && d < time.Second {
		return 0
	}
	return d.Round(time.Second)
}
