package steps

import (
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

const factDpkgAudit = "dpkg.audit"

// dpkgAudit prints what an interrupted dpkg left: packages half installed
// or not configured, and journal entries dpkg has not replayed yet.
var dpkgAudit = []string{"sh", "-c", `dpkg --audit 2>/dev/null; ls -A /var/lib/dpkg/updates 2>/dev/null`}

// halfInstalled lists the packages dpkg cannot configure until they are
// unpacked again: half installed (status H), or marked reinst-required
// (error flag R: dpkg was killed while it unpacked them, "package is in a
// very bad inconsistent state").
const halfInstalled = `dpkg-query -W -f='${db:Status-Abbrev} ${binary:Package}\n' 2>/dev/null | awk 'substr($1, 2, 1) == "H" || substr($1, 3, 1) == "R" { print $2 }'`

// finishDpkg finishes what dpkg left: packages left half unpacked are
// unpacked again (from apt's cache first: apt itself may be one of them),
// what is unpacked is configured, and what a package still lacks (it was
// unpacked before its dependencies) is installed.
const finishDpkg = `export DEBIAN_FRONTEND=noninteractive
f='--force-confdef --force-confold'
o='-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold'
half() { ` + halfInstalled + `; }
for p in $(half); do
	d=$(ls -t /var/cache/apt/archives/"${p%%:*}"_*.deb 2>/dev/null | head -n1)
	[ -z "$d" ] || dpkg $f --unpack "$d" || true
done
[ -z "$(half)" ] || apt-get install --reinstall -y -q $o $(half) || true
dpkg $f --configure -a || apt-get install -f -y -q $o
dpkg $f --configure -a`

// recovery puts right what stops a run before it starts: a dpkg run that a
// killed run or a lost connection left half done (apt refuses to install
// anything until it is finished), and services masked by hand.
type recovery struct{ *env }

func (*recovery) Name() string { return "Recovery" }

func (*recovery) Queries(*installer.Host) []installer.Query {
	return []installer.Query{dpkgInterrupted.Query()}
}

// dpkgInterrupted is whether dpkg has something left to finish.
var dpkgInterrupted = &installer.Fact[bool]{Name: factDpkgAudit, Args: dpkgAudit,
	Parse: func(out string, _ int) bool { return out != "" }}

func (s *recovery) Declare(h *installer.Host) ([]installer.Resource, error) {
	// A masked service can be neither restarted by a handler nor started.
	var rs []installer.Resource
	for _, u := range (&services{s.env}).units() {
		rs = append(rs, &resource.Unmasked{Name: u})
	}
	if !dpkgInterrupted.Get(h) {
		return rs, nil
	}
	h.Warn("dpkg was interrupted (a run was stopped or lost its connection during a package install): `dpkg --configure -a` finishes it first")
	// The maintainer scripts it runs read the secret answers, as the
	// package operation that was cut short did.
	answers, err := s.secretAnswers(h)
	if err != nil {
		return nil, err
	}
	args, stdin := installer.WithAnswers(answers, []string{"sh", "-c", finishDpkg})
	return append(rs, &resource.Command{
		Name: "finish the interrupted dpkg run (dpkg --configure -a)",
		// A package unpacked before its dependencies were cannot be
		// configured: apt-get -f install then fetches what it lacks.
		Args:  args,
		Stdin: stdin,
		// Converged once dpkg has nothing left to finish.
		Unless: []string{"sh", "-c", `[ -z "$(dpkg --audit 2>/dev/null; ls -A /var/lib/dpkg/updates 2>/dev/null)" ]`},
		Hint:   "run `dpkg --configure -a` on the host and read what it says; `apt-get install -f` may be needed too",
	}), nil
}
