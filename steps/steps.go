// Package steps is the installation guide as code: one file per step, and
// List, which reads like the guide's table of contents. Steps declare state;
// they never talk to a host themselves.
package steps

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// Options are the run's flags that change what steps declare.
type Options struct {
	// RotateSecrets makes the secrets step generate new passwords.
	RotateSecrets bool
}

// env is what every step reads: the answers, the run's options, the local
// files the answers name, the role of the hosts it runs on and what the
// core hands its videobridges.
type env struct {
	cfg  *answers.Config
	opts Options
	ca   caBundles
	role string
	core *installer.Output[coreOut]
	// coreCert is the core's auth.DOMAIN certificate, for the bridges.
	coreCert *installer.Output[string]
	// hostSecrets are each host's, once made: every step of the host must
	// write the same passwords.
	hostSecrets installer.HostValue[secretSet]
}

// Roles returns the roles of a deployment in the order they run: the core
// first, then its videobridges (in parallel), which read the core's values:
// a bridge's packages wait for the core's secrets, its configuration for
// the core's certificate, neither for the rest of the core.
func Roles(cfg *answers.Config, o Options) []installer.Role {
	core, cert := &installer.Output[coreOut]{}, &installer.Output[string]{}
	ca := readCABundles(cfg.Janssen.CABundle, cfg.LetsEncrypt.CABundle)
	bridge := &env{cfg: cfg, opts: o, ca: ca, role: answers.RoleVideobridge, core: core, coreCert: cert}
	ce := &env{cfg: cfg, opts: o, ca: ca, role: answers.RoleCore, core: core, coreCert: cert}
	return []installer.Role{
		{Name: answers.RoleCore, Steps: coreSteps(ce), Read: []installer.Step{&coreRead{ce}}},
		{Name: answers.RoleVideobridge, Ahead: bridgeAhead(bridge), Waits: []installer.Wait{
			{For: []installer.Source{core}, Steps: bridgePackages(bridge)},
			{For: []installer.Source{cert}, Steps: bridgeSteps(bridge)},
		}},
	}
}

// List returns the core's steps for cfg, in the order they run.
func List(cfg *answers.Config, o Options) []installer.Step {
	return Roles(cfg, o)[0].Steps
}

// bridgeAhead are a videobridge host's first steps, which need nothing from
// the core: on a fresh bridge they run while the core converges.
func bridgeAhead(e *env) []installer.Step {
	return []installer.Step{
		&recovery{e},     // finish a dpkg run a killed run interrupted
		&preflight{e},    // OS, CPU, memory, disk, the media port
		&aptSettings{e},  // apt proxy, package lists
		&basePackages{e}, // curl, gnupg, ufw, ... (no web server)
		&repository{e},   // Jitsi's apt repository with its pinned key
	}
}

// bridgePackages are a videobridge host's steps that need the core's jvb
// password: they run once the core has its secrets.
func bridgePackages(e *env) []installer.Step {
	return []installer.Step{
		&preseed{e},       // the bridge's debconf answers
		&pin{e},           // apt preferences hold the bridge at jitsi.version
		&jitsiPackages{e}, // jitsi-videobridge2
	}
}

// bridgeSteps are the rest of a videobridge host's, once the core has the
// certificate it trusts: the bridge's configuration and service.
func bridgeSteps(e *env) []installer.Step {
	return []installer.Step{
		&coreTrust{e},  // the core's auth.DOMAIN certificate in the CA store
		videobridge(e), // XMPP to the core, websockets for the core's nginx, region
		&firewall{e},   // UFW: SSH, media, websockets from the core only
		&services{e},   // the bridge enabled and running
		&backups{e},    // backups of the last backups.keep runs only
	}
}

// coreSteps are the core's: everything.
func coreSteps(e *env) []installer.Step {
	return []installer.Step{
		&recovery{e},      //    finish a dpkg run a killed run interrupted
		&preflight{e},     // 1. OS, CPU, memory, disk, DNS, ports, Janssen reachable
		&aptSettings{e},   //    apt proxy, package lists
		&basePackages{e},  // 2. nginx, certbot, curl, gnupg, ... named per release
		&repository{e},    // 3. Jitsi's apt repository with its pinned key
		&preseed{e},       // 4. debconf answers, so no package waits at a prompt
		&pin{e},           //    apt preferences hold the Jitsi packages at jitsi.version
		&jitsiPackages{e}, // 5. jitsi-meet, jitsi-meet-tokens, the TURN server
		&secrets{e},       // 6. XMPP passwords and TURN secret, kept across runs
		&videobridges{e},  //    the certificate the bridges on other hosts trust
		&prosody{e},       // 7. Prosody: token auth against Janssen's keys
		jicofo(e),         // 8. Jicofo: XMPP client, brewery, bridge selection
		videobridge(e),    // 9. Videobridge: ICE on UDP 10000, websockets, stats
		turn(e),           //    coturn with Prosody's TURN secret
		web(e),            // 10. config.js: hosts, p2p, Janssen sign-in
		&certificate{e},   // 12. TLS: Let's Encrypt, own or self-signed
		nginxSite(e),      // 11. nginx: TLS, CORS, BOSH, WebSockets (needs the certificate)
		&turn443{e},       //     TURN over TLS on 443 by SNI (needs the site's port 80 for the name)
		&prosodyCerts{e},  // 13. the domain's certificate for Prosody
		&firewall{e},      // 14. UFW: SSH first, then the media and web ports
		&services{e},      // 15. every service enabled and running
		&backups{e},       //    backups of the last backups.keep runs only
	}
}
