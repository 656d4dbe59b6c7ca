package steps

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
)

// secretSet holds the passwords Prosody, Jicofo, the bridge and the TURN
// server share. They are generated once and then read back from the host:
// a password Prosody does not know kills every conference.
type secretSet struct {
	Focus      string `json:"focus"`
	JVB        string `json:"jvb"`
	TURN       string `json:"turn"`
	AppSecret  string `json:"app_secret"`
	InstanceID string `json:"jvb_instance_id"`
}

var (
	hoconPassword = regexp.MustCompile(`(?mi)^\s*password\s*[:=]\s*"?([^"\s]+)"?`)
	turnSecret    = regexp.MustCompile(`(?m)^\s*static-auth-secret\s*=\s*(\S+)`)
	jvbServerID   = regexp.MustCompile(`(?m)^\s*server-id\s*[:=]\s*"?([A-Za-z0-9_-]+)"?`)
)

// What the host already has, asked by the secrets step.
const (
	factSecrets = "installer.secrets"
	factJicofo  = "jicofo.conf"
	factJVB     = "jvb.conf"
	factTURN    = "turnserver.conf"
)

// secretQueries read what the host already has: the installer's record and
// the configuration files the secrets are written into.
func secretQueries() []installer.Query {
	return []installer.Query{recordFact.Query(), jicofoFact.Query(), jvbFact.Query(), turnFact.Query()}
}

// secretRecord is the installer's record of the secrets on the host;
// Damaged when the file has something that is not a record.
type secretRecord struct {
	Set     secretSet
	Damaged bool
}

var recordFact = &installer.Fact[secretRecord]{Name: factSecrets, Args: []string{"cat", secretsFile},
	Parse: func(out string, _ int) secretRecord {
		var r secretRecord
		if out != "" && json.Unmarshal([]byte(out), &r.Set) != nil {
			return secretRecord{Damaged: true}
		}
		return r
	}}

// hostConf is what a configuration file on the host holds of the secrets,
// each "" when it does not say.
type hostConf struct {
	Present  bool   // the file is there and not empty
	Secret   string // the password or shared secret written into it
	ServerID string // the bridge's instance id
}

// confFact reads the configuration file of asset a, its secret found by
// secret and, when id is not nil, its instance id by id.
func confFact(name, a string, secret, id *regexp.Regexp) *installer.Fact[hostConf] {
	find := func(re *regexp.Regexp, text string) string {
		if re == nil {
			return ""
		}
		if m := re.FindStringSubmatch(text); m != nil {
			return m[1]
		}
		return ""
	}
	return &installer.Fact[hostConf]{Name: name, Args: []string{"cat", assets.Dest(a, "")},
		Parse: func(out string, _ int) hostConf {
			return hostConf{Present: out != "", Secret: find(secret, out), ServerID: find(id, out)}
		}}
}

var (
	jicofoFact = confFact(factJicofo, assets.Jicofo, hoconPassword, nil)
	jvbFact    = confFact(factJVB, assets.JVB, hoconPassword, jvbServerID)
	turnFact   = confFact(factTURN, assets.TURN, turnSecret, nil)
)

// secretsFor returns the host's secrets, made by the first step that asks
// and kept for the rest of the run, so every step sees the same values.
func secretsFor(h *installer.Host, e *env) secretSet {
	return e.hostSecrets.Get(h, func() secretSet { return makeSecrets(h, e) })
}

// makeSecrets finds the host's secrets: the installer's own record first,
// then what the host's configuration holds, then new random ones. A damaged
// record is rebuilt from the configuration, and a value that existed but
// cannot be found again is named in a warning: an identity never changes
// silently.
func makeSecrets(h *installer.Host, e *env) secretSet {
	var s secretSet
	rec := recordFact.Get(h)
	recorded, damaged := rec.Set, rec.Damaged
	jvb := jvbFact.Get(h)
	var found, lost []string
	// The patterns capture at least one character: "" is not found.
	fill := func(name string, dst *string, v string) {
		if *dst == "" && v != "" {
			*dst = v
			found = append(found, name)
		}
	}
	live := recorded
	fill("focus password", &live.Focus, jicofoFact.Get(h).Secret)
	fill("jvb password", &live.JVB, jvb.Secret)
	fill("TURN secret", &live.TURN, turnFact.Get(h).Secret)
	// What the host holds now is masked too: a rotation's plan shows the
	// old values on the host's side of every diff.
	for _, v := range []string{live.Focus, live.JVB, live.TURN, live.AppSecret} {
		h.Secret(v)
	}
	if !e.opts.RotateSecrets {
		s = live
	} else {
		// Rotation keeps what is not a password.
		s.InstanceID = recorded.InstanceID
		found = nil
	}
	fill("bridge instance id", &s.InstanceID, jvb.ServerID)
	// A host with a bridge configuration had secrets: whatever is made up
	// now replaces one the host had.
	installed := jvb.Present
	gen := func(name string, dst *string, v func() string) {
		if *dst == "" {
			*dst = v()
			if installed && !e.opts.RotateSecrets {
				lost = append(lost, name)
			}
		}
	}
	gen("focus password", &s.Focus, func() string { return randomSecret(24) })
	gen("jvb password", &s.JVB, func() string { return randomSecret(24) })
	gen("TURN secret", &s.TURN, func() string { return randomSecret(24) })
	if e.cfg.Jitsi.AppSecret != "" {
		s.AppSecret = e.cfg.Jitsi.AppSecret
	}
	// Only jitsi-meet-tokens' first install reads app_secret (Prosody
	// checks Janssen's keys) and debconf does not keep it: a new one
	// changes nothing.
	if s.AppSecret == "" {
		s.AppSecret = randomSecret(24)
	}
	gen("bridge instance id", &s.InstanceID, func() string { return "jvb-" + randomSecret(6) })
	switch {
	case damaged:
		msg := secretsFile + " is damaged: it is rebuilt"
		if len(found) > 0 {
			msg += "; recovered from the host's configuration: " + strings.Join(found, ", ")
		}
		if len(lost) > 0 {
			msg += "; NOT recoverable, so new: " + strings.Join(lost, ", ")
		}
		h.Warn("%s", msg)
	case len(lost) > 0:
		h.Warn("%s does not have %s, and the host's configuration does not either: new ones are made, and the services using them change",
			secretsFile, strings.Join(lost, ", "))
	}
	for _, v := range []string{s.Focus, s.JVB, s.TURN, s.AppSecret} {
		h.Secret(v)
	}
	return s
}

// randomSecret returns n random bytes as URL-safe base64: no character that
// needs quoting in Lua, HOCON, debconf or a shell.
func randomSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
