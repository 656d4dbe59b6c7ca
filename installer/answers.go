package installer

import "strings"

// Answer is a secret debconf answer a package operation needs while it
// runs: the maintainer scripts read it on install, upgrade and reinstall.
// It is preseeded right before the operation and cleared right after, in
// the same script, so debconf's files keep it no longer than one apt run.
type Answer struct {
	Package  string // the package owning the question
	Question string // jitsi-videobridge/jvbsecret
	Type     string // password, string
	Value    string
}

// WithAnswers wraps a command so that answers are preseeded before it and
// cleared when it ends, however it ends short of SIGKILL (a DebconfForget
// clears what that leaves). The answers go on stdin, never on a command
// line; the command itself gets no stdin.
func WithAnswers(answers []Answer, args []string) ([]string, []byte) {
	if len(answers) == 0 {
		return args, nil
	}
	var in strings.Builder
	for _, a := range answers {
		in.WriteString(a.Package + " " + a.Question + " " + a.Type + " " + a.Value + "\n")
	}
	return append([]string{"sh", "-c", answersScript, "sh"}, args...), []byte(in.String())
}

// answersScript preseeds the selections on its stdin, runs "$@", and then
// sets each of those questions to empty (the seen flag stays, so no prompt
// follows) and replaces debconf's backups (*-old), which still hold them.
const answersScript = `sel=$(cat)
forget() {
	printf '%s\n' "$sel" | while read -r p q rest; do printf 'SET %s \n' "$q"; done | debconf-communicate >/dev/null 2>&1
	(cd /var/cache/debconf && for f in config.dat passwords.dat; do [ ! -e "$f-old" ] || cp -p -- "$f" "$f-old"; done)
}
trap 'r=$?; forget; exit $r' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
printf '%s\n' "$sel" | debconf-set-selections || exit 1
"$@" </dev/null`
