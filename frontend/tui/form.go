package tui

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"charm.land/huh/v2"

	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// page is one screen of the form: a huh group, shown unless hide says so.
type page struct {
	title, desc string
	hide        func() bool
	fields      func() []huh.Field
}

// form builds the questions. The full-screen form and the accessible
// prompts ask the same ones, with the same checks.
type form struct {
	v          *values
	name       string // answers file the messages and relative paths refer to
	accessible bool
	agent      transport.AgentKeys
	check      *checker
	secretTTY  bool   // accessible prompts on a terminal: secrets are not echoed
	lastNote   string // where the defaults came from, or why not from the last run
	// back is set while the operator goes back (shift+tab, esc): huh checks
	// a field as it leaves it and will not leave a page with an error, so a
	// strict check would hold the operator on a page with no field focused.
	// Nothing is lost: going forward checks every field again.
	back bool

	shown struct{ domain, janssen, ports string } // descriptions on screen

	// Fields whose description follows the answers; see refresh.
	domain  *huh.Input
	janssen *huh.Note
	ports   *huh.Note
}

func (f *form) pages() []page {
	v := f.v
	target := "The Debian or Ubuntu server to install Jitsi Meet on, reached over SSH from this machine."
	if n := len(v.base.Hosts) - 1; n > 0 {
		target += fmt.Sprintf(" The %d other host(s) of the answers file stay as they are.", n)
	}
	return []page{
		{title: "Target server", desc: target, fields: f.targetFields},
		{title: "SSH key", hide: func() bool { return v.Auth != authFile }, fields: f.keyFields},
		{title: "Privileges", desc: "This user is not root: privileged commands run through sudo.", hide: v.root, fields: f.sudoFields},
		{title: "Jitsi Meet", fields: f.jitsiFields},
		{title: "Let's Encrypt", hide: func() bool { return v.TLSMode != answers.TLSLetsEncrypt }, fields: f.acmeFields},
		{title: "Private ACME server", hide: func() bool { return v.TLSMode != answers.TLSLetsEncrypt || v.ACME != acmeCustom }, fields: f.privateACMEFields},
		{title: "Own certificate", hide: func() bool { return v.TLSMode != answers.TLSOwn }, fields: f.ownCertFields},
		{title: "Janssen", desc: "The identity provider whose tokens open the meetings. Its discovery document is fetched from this machine to check it.", fields: f.janssenFields},
		{title: "Janssen tokens", fields: f.tokenFields},
		{title: "Firewall", fields: f.firewallFields},
		{title: "Firewall ports", hide: func() bool { return !v.Firewall }, fields: f.portsFields},
		{title: "Advanced", fields: f.advancedFields},
		{title: "Jitsi packages", hide: func() bool { return !v.Advanced }, fields: f.packageFields},
		{title: "Verify's test client", hide: func() bool { return !v.Advanced }, fields: f.testClientFields},
	}
}

// newForm is the full-screen form: every page, hidden ones skipped as the
// answers change.
func (f *form) newForm() *huh.Form {
	var groups []*huh.Group
	for _, p := range f.pages() {
		g := huh.NewGroup(p.fields()...).Title(p.title).Description(p.desc)
		if p.hide != nil {
			g = g.WithHideFunc(p.hide)
		}
		groups = append(groups, g)
	}
	f.shown.domain, f.shown.janssen, f.shown.ports = "", "", ""
	f.refresh()
	return huh.NewForm(groups...).WithShowHelp(true).WithShowErrors(true)
}

// input is a text field for the answers key at path.
func (f *form) input(path, title, desc string, p *string) huh.Field {
	return f.described(f.text(path, title, desc, p, nil), desc)
}

// text is a text field checked as answers validate checks path, then by extra.
func (f *form) text(path, title, desc string, p *string, extra func(string) error) *huh.Input {
	return huh.NewInput().Title(f.label(title, *p)).Description(desc).Value(p).Validate(f.validate(path, p, extra))
}

// label is a field's title; in accessible mode it shows the default that
// an empty answer keeps.
func (f *form) label(title, def string) string {
	if f.accessible && def != "" {
		return fmt.Sprintf("%s [%s]", title, def)
	}
	return title
}

// described prints the description before an accessible prompt, which
// shows only the title.
func (f *form) described(field huh.Field, desc string) huh.Field {
	if !f.accessible || desc == "" {
		return field
	}
	return describedField{Field: field, desc: desc}
}

type describedField struct {
	huh.Field
	desc string
}

func (d describedField) RunAccessible(w io.Writer, r io.Reader) error {
	fmt.Fprintln(w, d.desc)
	return d.Field.RunAccessible(w, r)
}

// validate checks a value as answers validate would, then runs extra. In
// accessible mode an empty answer keeps the default, and "-" empties an
// optional key.
func (f *form) validate(path string, p *string, extra func(string) error) func(string) error {
	return func(s string) error {
		if f.back {
			return nil
		}
		if f.accessible {
			switch {
			case s == "" && *p != "":
				s = *p
			case strings.TrimSpace(s) == "-":
				s = ""
			}
		}
		if err := f.v.check(f.name, path, s); err != nil {
			return err
		}
		if extra != nil {
			return extra(s)
		}
		return nil
	}
}

func (f *form) targetFields() []huh.Field {
	v := f.v
	fields := []huh.Field{
		f.input(v.hostPath("address"), "Address", "Host name or IP address.", &v.Address),
		f.input(v.hostPath("port"), "SSH port", "", &v.Port),
		f.input(v.hostPath("user"), "SSH user", "root, or a user who may run sudo.", &v.User),
	}
	if f.agent.Available() {
		fields = append(fields, f.described(huh.NewSelect[string]().Title("Log in with").
			Description(f.agent.Describe()).
			Options(huh.NewOption(fmt.Sprintf("the SSH agent (%d key(s))", len(f.agent.Keys)), authAgent),
				huh.NewOption("a key file", authFile)).
			Value(&v.Auth), f.agent.Describe()))
	}
	return fields
}

func (f *form) keyFields() []huh.Field {
	v := f.v
	desc := "Private key on this machine. An encrypted key's passphrase is asked when connecting."
	if !f.agent.Available() {
		desc = f.agent.Describe() + "\n" + desc
	}
	return []huh.Field{f.input(v.hostPath("key_file"), "SSH key file", desc, &v.KeyFile)}
}

func (f *form) sudoFields() []huh.Field {
	v := f.v
	return []huh.Field{f.secret(v.hostPath("sudo_password"), "sudo password",
		"What sudo asks for; empty when sudo needs no password.", fmt.Sprintf("JITSI_SUDO_PASSWORD_%d", v.core), &v.SudoPassword)}
}

// secret is a field for a secret: not echoed on a terminal, and named in a
// saved answers file as ${env:ENV}, never written there.
func (f *form) secret(path, title, desc, env string, p *string) huh.Field {
	desc += fmt.Sprintf(" A saved answers file names it ${env:%s} and never holds it.", env)
	def := ""
	if *p != "" {
		def = "unchanged"
	}
	in := huh.NewInput().Title(f.label(title, def)).Description(desc).Value(p).Validate(f.validate(path, p, nil))
	if !f.accessible || f.secretTTY {
		in = in.EchoMode(huh.EchoModePassword)
	}
	return f.described(in, desc)
}

func (f *form) jitsiFields() []huh.Field {
	v := f.v
	f.domain = f.text("domain", "Meeting domain", domainHint(""), &v.Domain, nil)
	return []huh.Field{
		f.described(f.domain, domainHint("")),
		huh.NewSelect[string]().Title("Certificate").
			Options(huh.NewOption("Let's Encrypt (the domain must resolve to the server, port 80 open)", answers.TLSLetsEncrypt),
				huh.NewOption("my own certificate files", answers.TLSOwn),
				huh.NewOption("self-signed (for tests: browsers warn)", answers.TLSSelfSigned)).
			Value(&v.TLSMode),
	}
}

func (f *form) acmeFields() []huh.Field {
	v := f.v
	return []huh.Field{
		f.input("letsencrypt.email", "Email", "Contact address of the ACME account: expiry warnings go there.", &v.Email),
		huh.NewSelect[string]().Title("ACME server").
			Options(huh.NewOption("Let's Encrypt", acmeProduction),
				huh.NewOption("Let's Encrypt staging (untrusted certificates, no rate limits to fear)", acmeStaging),
				huh.NewOption("a private ACME server", acmeCustom)).
			Value(&v.ACME),
	}
}

func (f *form) privateACMEFields() []huh.Field {
	v := f.v
	return []huh.Field{
		f.input("letsencrypt.server", "ACME directory URL", "", &v.ACMEServer),
		f.input("letsencrypt.ca_bundle", "CA bundle", answers.Doc("letsencrypt.ca_bundle")+systemRoots, &v.ACMECABundle),
	}
}

func (f *form) ownCertFields() []huh.Field {
	v := f.v
	return []huh.Field{
		f.input("tls.cert_file", "Certificate chain", "PEM file on this machine, uploaded to the server.", &v.CertFile),
		f.input("tls.key_file", "Private key", "PEM file on this machine, without a passphrase.", &v.CertKeyFile),
	}
}

func (f *form) janssenFields() []huh.Field {
	v := f.v
	fields := []huh.Field{
		f.described(f.text("janssen.issuer", "Issuer URL", issuerText, &v.Issuer,
			func(s string) error { return f.gate(s, v.JanssenCA) }), issuerText),
		f.described(f.text("janssen.ca_bundle", "CA bundle", janssenCAText, &v.JanssenCA,
			func(s string) error { return f.gate(v.Issuer, s) }), janssenCAText),
	}
	if !f.accessible {
		f.janssen = huh.NewNote().Title("Discovery")
		fields = append(fields, f.janssen)
	}
	return fields
}

// gate waits for the Janssen check of issuer and ca; an issuer that is not
// the document's keeps the operator on the page.
func (f *form) gate(issuer, ca string) error {
	k, ok := f.v.janssenKey(issuer, ca)
	if !ok {
		return nil
	}
	return f.check.wait(k).blocking()
}

func (f *form) tokenFields() []huh.Field {
	v := f.v
	return []huh.Field{
		f.input("janssen.audience", "Audience", answers.Doc("janssen.audience"), &v.Audience),
		f.input("janssen.app_id", "App id", answers.Doc("janssen.app_id"), &v.AppID),
		f.described(f.text("janssen.client_id", "Client id", clientIDText, &v.ClientID, required(clientIDRequired)), clientIDText),
	}
}

// required refuses an empty answer with why the key is needed.
func required(why string) func(string) error {
	return func(s string) error {
		if strings.TrimSpace(s) == "" {
			return errors.New(why)
		}
		return nil
	}
}

func (f *form) advancedFields() []huh.Field {
	return []huh.Field{
		f.described(huh.NewConfirm().Title("Change the advanced settings?").Description(advancedText).
			Affirmative("Yes").Negative("No").Value(&f.v.Advanced), advancedText),
	}
}

func (f *form) packageFields() []huh.Field {
	v := f.v
	return []huh.Field{
		f.input("jitsi.version", "Jitsi release", answers.Doc("jitsi.version"), &v.Version),
		f.input("jitsi.repo.url", "Repository URL", answers.Doc("jitsi.repo.url"), &v.RepoURL),
		f.input("jitsi.repo.suite", "Suite", answers.Doc("jitsi.repo.suite")+" "+answers.Doc("jitsi.repo"), &v.RepoSuite),
		f.input("jitsi.repo.key_url", "Signing key URL", answers.Doc("jitsi.repo.key_url"), &v.RepoKeyURL),
		f.input("jitsi.repo.key_fingerprint", "Signing key fingerprint", answers.Doc("jitsi.repo.key_fingerprint"), &v.RepoFingerprint),
		f.input("apt.proxy", "apt proxy", answers.Doc("apt.proxy"), &v.AptProxy),
	}
}

func (f *form) testClientFields() []huh.Field {
	v := f.v
	return []huh.Field{
		f.input("janssen.test_client.client_id", "Test client id", answers.Doc("janssen.test_client")+" "+testClientText, &v.TestClientID),
		f.secret("janssen.test_client.client_secret", "Test client secret", answers.Doc("janssen.test_client.client_secret"),
			"JANSSEN_CLIENT_SECRET", &v.TestClientSecret),
	}
}

func (f *form) firewallFields() []huh.Field {
	return []huh.Field{
		f.described(huh.NewConfirm().Title("Manage the firewall (UFW)?").Description(firewallText).
			Affirmative("Yes").Negative("No").Value(&f.v.Firewall), firewallText),
	}
}

func (f *form) portsFields() []huh.Field {
	f.ports = huh.NewNote().Title("Ports opened to everyone").Description(f.noteText(ports(f.v)))
	return []huh.Field{
		f.ports,
		f.described(huh.NewConfirm().Title("Also open the old guide's ports 4443/tcp, 5222/tcp and 5347/tcp?").
			Description(guidePortsText).
			Affirmative("Open them").Negative("No").Value(&f.v.GuidePorts), guidePortsText),
	}
}

// The CA bundles in the answers file's words.
const systemRoots = " Empty: the system's roots."

var janssenCAText = answers.Doc("janssen.ca_bundle") + systemRoots

const (
	clientIDText     = "The OpenID client the web app signs in with."
	clientIDRequired = "is required: the web app signs in with this Janssen client; register it with " +
		"`jitsi-installer janssen client --answers FILE --register`, or create it in Janssen and give its id here"
	advancedText = "Jitsi's package repository and release, an apt proxy, and the test client verify signs in with. " +
		"Most installs keep them as they are."
	testClientText = "Empty: verify skips the sign-in check."
	issuerText     = "Exactly as Janssen's discovery document says it, e.g. https://login.example.com."
	firewallText   = "Allow SSH first, then what Jitsi needs from the world, and enable UFW."
	guidePortsText = "Not advised: the videobridge no longer listens on 4443, XMPP on 5222 is only for remote " +
		"videobridges (better limited to their addresses), and 5347 is Prosody's component port, " +
		"which nothing outside the server needs."
)

// ports lists what the firewall step opens, and why.
func ports(v *values) string {
	ssh := v.Port
	if ssh == "" {
		ssh = "22"
	}
	rows := [][2]string{
		{ssh + "/tcp", "SSH, allowed first so this connection survives"},
		{"80/tcp", "HTTP: Let's Encrypt's challenge and the redirect to HTTPS"},
		{"443/tcp", "HTTPS: the meeting web app, BOSH and WebSockets"},
		{"10000/udp", "audio and video to the videobridge"},
	}
	if v.base.Jitsi.Turn {
		rows = append(rows, [2]string{"3478/udp", "TURN, for clients behind strict firewalls"},
			[2]string{"5349/tcp", "TURN over TLS"})
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = fmt.Sprintf("%-10s %s", r[0], r[1])
	}
	return strings.Join(lines, "\n")
}

// noteText escapes what huh's notes would read as markup.
func (f *form) noteText(s string) string {
	if f.accessible {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, "_", `\_`, "*", `\*`, "`", "\\`").Replace(s)
}

// refresh updates the descriptions that follow the answers; it reports
// whether any changed, so the form is redrawn.
func (f *form) refresh() bool {
	changed := false
	set := func(cur *string, s string) bool {
		if *cur == s {
			return false
		}
		*cur, changed = s, true
		return true
	}
	v := f.v
	if f.domain != nil && set(&f.shown.domain, domainHint(v.Domain)) {
		f.domain.Description(f.shown.domain)
	}
	if f.janssen != nil {
		k, ok := v.janssenKey(v.Issuer, v.JanssenCA)
		if set(&f.shown.janssen, describeCheck(k, ok, f.check)) {
			f.janssen.Description(f.noteText(f.shown.janssen))
		}
	}
	if f.ports != nil && set(&f.shown.ports, ports(v)) {
		f.ports.Description(f.noteText(f.shown.ports))
	}
	return changed
}

// domainHint is the domain's check as it is typed.
func domainHint(d string) string {
	if d == "" {
		return "Public DNS name of the server, e.g. meet.example.com."
	}
	if err := answers.ValidateField("domain", d); err != nil {
		return "✗ " + err.Error()
	}
	return "✓ meetings at https://" + d + "/"
}
