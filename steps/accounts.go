package steps

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// authDomain is the XMPP domain of Jicofo's and the bridges' accounts. This
// file reads and writes those accounts as Prosody's internal_hashed storage
// keeps them, so no password is ever on a command line.
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

// accountUsers are the accounts on auth.DOMAIN whose passwords the
// installer keeps: Jicofo's and the bridge's.
var accountUsers = []string{"focus", "jvb"}

// accountQueries read the account files as Prosody keeps them.
func accountQueries(domain string) []installer.Query {
	var q []installer.Query
	for _, user := range accountUsers {
		q = append(q, accountFact.Query(user, "cat", accountFile(domain, user)))
	}
	return q
}

// accounts declares the account files with exactly the passwords given by
// user; a file that already holds a password's keys stays as it is, so a
// converged host is not rewritten with a new salt.
func accounts(h *installer.Host, domain string, passwords map[string]string) []installer.Resource {
	dir := prosodyData(authDomain(domain))
	rs := []installer.Resource{
		&resource.Dir{Path: dir, Mode: 0o750, Owner: "prosody", Group: "prosody"},
		&resource.Dir{Path: dir + "/accounts", Mode: 0o750, Owner: "prosody", Group: "prosody"},
	}
	for _, user := range accountUsers {
		acct := accountFact.Get(h, user)
		content := acct.Text
		// The salt and keys are derived from the password: an attacker with
		// them can test guesses offline, so no output shows the host's
		// nor the new ones.
		registerAccountKeys(h, acct)
		if !acct.matches(passwords[user]) {
			content = scramAccount(passwords[user])
			registerAccountKeys(h, parseAccount(content))
		}
		rs = append(rs, &resource.File{Path: accountFile(domain, user), Mode: 0o640, Owner: "prosody", Group: "prosody",
			Secret: true, Content: []byte(strings.TrimRight(content, "\n") + "\n")})
	}
	return rs
}

var luaField = regexp.MustCompile(`\["(\w+)"\]\s*=\s*"?([^";]*)"?\s*;`)

// prosodyAccount is an account file as Prosody keeps it.
type prosodyAccount struct {
	Text    string
	Fields  map[string]string
	Secrets []string // the salt, keys and password, as often as the file has them
}

// accountFact is, by user, the user's account file on the host.
var accountFact = &installer.FactFamily[prosodyAccount]{Prefix: "prosody.account.",
	Parse: func(out string, _ int) prosodyAccount { return parseAccount(out) }}

func parseAccount(text string) prosodyAccount {
	a := prosodyAccount{Text: text, Fields: map[string]string{}}
	for _, m := range luaField.FindAllStringSubmatch(text, -1) {
		a.Fields[m[1]] = m[2]
		switch m[1] {
		case "salt", "server_key", "stored_key", "password":
			a.Secrets = append(a.Secrets, m[2])
		}
	}
	return a
}

// registerAccountKeys registers the SCRAM salt and keys of an account file
// as secrets.
func registerAccountKeys(h *installer.Host, a prosodyAccount) {
	for _, v := range a.Secrets {
		h.Secret(v)
	}
}

// scramMatches reports whether Prosody's internal_hashed account file holds
// the SCRAM-SHA-1 keys of password.
func scramMatches(file, password string) bool { return parseAccount(file).matches(password) }

func (a prosodyAccount) matches(password string) bool {
	f := a.Fields
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
