package steps

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

const (
	secretsFile = "/var/lib/jitsi-installer/secrets.json"
	// AnswersFile is where every run records the answers it converged the
	// host with, secrets as ${env:...} references: the interactive
	// installer's defaults on the next run.
	AnswersFile = "/var/lib/jitsi-installer/answers.yaml"
	stateDir    = "/var/lib/jitsi-installer"
	jicofoConf  = "/etc/jitsi/jicofo/jicofo.conf"
	jvbConf     = "/etc/jitsi/videobridge/jvb.conf"
	turnConf    = "/etc/turnserver.conf"
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
	debconfValue  = regexp.MustCompile(`^0 (\S+)$`)
)

const factAppSecret = "debconf.appsecret"

// secretQueries read what the host already has.
func secretQueries() []installer.Query {
	return []installer.Query{
		{Name: factSecrets, Args: []string{"cat", secretsFile}},
		{Name: factJicofo, Args: []string{"cat", jicofoConf}},
		{Name: factJVB, Args: []string{"cat", jvbConf}},
		{Name: factTURN, Args: []string{"cat", turnConf}},
		{Name: factAppSecret, Args: []string{"sh", "-c", "echo GET jitsi-meet-tokens/appsecret | debconf-communicate 2>/dev/null"}},
	}
}

// secretsFor returns the host's secrets: the installer's own record first,
// then what the host's configuration holds, then new random ones. A damaged
// record is rebuilt from the configuration, and a value that existed but
// cannot be found again is named in a warning: an identity never changes
// silently. The result is kept for the rest of the run, so every step sees
// the same values.
func secretsFor(h *installer.Host, e *env) secretSet {
	if v, ok := h.Vars["secrets"]; ok {
		var s secretSet
		_ = json.Unmarshal([]byte(v), &s)
		return s
	}
	var s, recorded secretSet
	raw := h.Fact(factSecrets)
	damaged := raw != "" && json.Unmarshal([]byte(raw), &recorded) != nil
	if damaged {
		recorded = secretSet{}
	}
	var found, lost []string
	fill := func(name string, dst *string, re *regexp.Regexp, text string) {
		if *dst != "" {
			return
		}
		if m := re.FindStringSubmatch(text); m != nil {
			*dst = m[1]
			found = append(found, name)
		}
	}
	if !e.opts.RotateSecrets {
		s = recorded
		fill("focus password", &s.Focus, hoconPassword, h.Fact(factJicofo))
		fill("jvb password", &s.JVB, hoconPassword, h.Fact(factJVB))
		fill("TURN secret", &s.TURN, turnSecret, h.Fact(factTURN))
		fill("app_secret", &s.AppSecret, debconfValue, h.Fact(factAppSecret))
	} else {
		// Rotation keeps what is not a password.
		s.InstanceID = recorded.InstanceID
	}
	fill("bridge instance id", &s.InstanceID, jvbServerID, h.Fact(factJVB))
	// A host with a bridge configuration had secrets: whatever is made up
	// now replaces one the host had.
	installed := h.Fact(factJVB) != ""
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
	gen("app_secret", &s.AppSecret, func() string { return randomSecret(24) })
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
	b, _ := json.Marshal(s)
	h.Vars["secrets"] = string(b)
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

// secrets records the secrets and the answers on the host, and makes sure
// Prosody's focus and jvb accounts have exactly those passwords.
type secrets struct{ *env }

func (*secrets) Name() string { return "Secrets" }

func (s *secrets) Queries(*installer.Host) []installer.Query {
	q := secretQueries()
	for _, user := range []string{"focus", "jvb"} {
		q = append(q, installer.Query{Name: "prosody.account." + user, Args: []string{"cat", accountFile(s.cfg.Domain, user)}})
	}
	return q
}

func (s *secrets) Declare(h *installer.Host) ([]installer.Resource, error) {
	sec := secretsFor(h, s.env)
	state, _ := json.MarshalIndent(sec, "", "  ")
	rs := []installer.Resource{
		&installer.Dir{Path: stateDir, Mode: 0o700},
		&installer.File{Path: secretsFile, Mode: 0o600, Secret: true, Content: append(state, '\n')},
	}
	if f := s.answersFile(); f != nil {
		rs = append(rs, f)
	}
	rs = append(rs,
		&installer.Dir{Path: prosodyData(authDomain(s.cfg.Domain)), Mode: 0o750, Owner: "prosody", Group: "prosody"},
		&installer.Dir{Path: prosodyData(authDomain(s.cfg.Domain)) + "/accounts", Mode: 0o750, Owner: "prosody", Group: "prosody"},
	)
	// No secret of ours stays in debconf's database once the packages that
	// read it are installed.
	for _, a := range s.secretAnswers() {
		rs = append(rs, &installer.DebconfForget{Question: a.question, Packages: a.readers})
	}
	for _, a := range []struct{ user, password string }{{"focus", sec.Focus}, {"jvb", sec.JVB}} {
		content := h.Fact("prosody.account." + a.user)
		if !scramMatches(content, a.password) {
			content = scramAccount(a.password)
		}
		rs = append(rs, &installer.File{Path: accountFile(s.cfg.Domain, a.user), Mode: 0o640, Owner: "prosody", Group: "prosody",
			Secret: true, Content: []byte(strings.TrimRight(content, "\n") + "\n")})
	}
	return rs, nil
}

// answersFile records the run's answers as Marshal writes them: the same
// answers give the same bytes, so a converged host stays converged. Marshal
// writes secrets as references; a password inside a URL it keeps, so such a
// file is not shown in diffs. Answers Marshal cannot write are not recorded:
// they are a convenience, not worth failing the install for.
func (s *secrets) answersFile() *installer.File {
	data, err := answers.Marshal(s.cfg)
	if err != nil {
		return nil
	}
	secret := false
	for _, v := range s.cfg.Secrets() {
		secret = secret || strings.Contains(string(data), v)
	}
	return &installer.File{Path: AnswersFile, Mode: 0o600, Secret: secret, Content: data}
}

func authDomain(d string) string { return "auth." + d }

// prosodyData is Prosody's data directory for host: every character that is
// not a letter or digit is written as %xx.
func prosodyData(host string) string {
	var b strings.Builder
	for _, c := range []byte(host) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return "/var/lib/prosody/" + b.String()
}

func accountFile(domain, user string) string {
	return prosodyData(authDomain(domain)) + "/accounts/" + user + ".dat"
}

var luaField = regexp.MustCompile(`\["(\w+)"\]\s*=\s*"?([^";]*)"?\s*;`)

// scramMatches reports whether Prosody's internal_hashed account file holds
// the SCRAM-SHA-1 keys of password.
func scramMatches(file, password string) bool {
	f := map[string]string{}
	for _, m := range luaField.FindAllStringSubmatch(file, -1) {
		f[m[1]] = m[2]
	}
	iter, err := strconv.Atoi(f["iteration_count"])
	if err != nil || f["salt"] == "" || f["stored_key"] == "" {
		return false
	}
	stored, server := scramKeys(password, f["salt"], iter)
	return hmac.Equal([]byte(stored), []byte(f["stored_key"])) && hmac.Equal([]byte(server), []byte(f["server_key"]))
}

func scramKeys(password, salt string, iter int) (stored, server string) {
	salted, err := pbkdf2.Key(sha1.New, password, []byte(salt), iter, sha1.Size)
	if err != nil {
		panic(err)
	}
	mac := func(key []byte, msg string) []byte {
		m := hmac.New(sha1.New, key)
		m.Write([]byte(msg))
		return m.Sum(nil)
	}
	sum := sha1.Sum(mac(salted, "Client Key"))
	return hex.EncodeToString(sum[:]), hex.EncodeToString(mac(salted, "Server Key"))
}

// scramAccount renders an account file as Prosody writes it.
func scramAccount(password string) string {
	salt := randomSecret(18)
	const iter = 10000
	stored, server := scramKeys(password, salt, iter)
	return fmt.Sprintf("return {\n\t[\"iteration_count\"] = %d;\n\t[\"salt\"] = %q;\n\t[\"server_key\"] = %q;\n\t[\"stored_key\"] = %q;\n};\n", iter, salt, server, stored)
}
