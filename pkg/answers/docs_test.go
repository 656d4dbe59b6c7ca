package answers

import (
	"testing"

	"github.com/jitsi-installer/jitsi-installer/internal/golden"
)

const docsPath = "../../docs/answers.md"

// answersDoc is docs/answers.md: the template itself, so the reference
// cannot drift from the loader.
func answersDoc() string {
	return `# The answers file

Everything the installer needs to know about one deployment. Print this file
with ` + "`jitsi-installer answers init`" + `, check one with
` + "`jitsi-installer answers validate FILE`" + ` (no host is contacted), and give
your editor ` + "`jitsi-installer answers schema`" + ` (JSON Schema) for completion.

Rules the loader applies:

- Unknown keys are errors, with line, column and a "did you mean".
- Every problem is reported at once, each with its line and field path, e.g.
  ` + "`a.yaml:7:11: hosts[0].port: must be between 1 and 65535`" + `; exit code 3.
- Example values of ` + "`answers init`" + ` left in the file (` + "`meet.example.com`" + `,
  ` + "`203.0.113.10`, `ops@example.com`, `https://login.example.com`" + `) are
  warnings, one per field with its line: the file is valid, but names no
  server of yours.
- Values that could break a configuration file or a shell command (quotes,
  whitespace, ` + "`;`, `$`" + `, backticks, newlines, ...) are refused by name.
- ` + "`${env:NAME}`, `${file:PATH}` and `${cmd:COMMAND}`" + ` are read on the operator's
  machine ([secrets from a command](#secrets-from-a-command)).
  Secrets (` + "`sudo_password`, `janssen.test_client.client_secret`, `jitsi.app_secret`" + `,
  and whatever a ` + "`${cmd:...}`" + ` printed) are never echoed in messages, plans,
  logs or JSON.

Hosts are reached as ` + "`ssh`" + ` would reach them. ` + "`hosts[].address`" + ` may be a
` + "`Host`" + ` alias of ` + "`~/.ssh/config`" + ` (another file with ` + "`--ssh-config FILE`, none with\n`--ssh-config none`" + `):
its ` + "`HostName`" + ` is dialled, and its ` + "`User`, `Port`, `IdentityFile` and `ProxyJump`" + `
apply where the answers file leaves the key out (files of ` + "`Include`" + ` count).
A host behind a bastion takes ` + "`bastion`" + ` (like ` + "`ssh -J`" + `), or the ` + "`ProxyJump`" + `
of its alias; a chain of jump hosts is the bastion's own ` + "`ProxyJump`" + ` in
` + "`~/.ssh/config`" + `. Each jump host has its own user, key (or the SSH agent) and
host key check (pinned ` + "`host_key`" + `, else known_hosts with ` + "`--accept-new-host-key`" + `
or the question, as for the hosts); it needs only TCP forwarding
(` + "`AllowTcpForwarding`" + `, on by default) and runs nothing. The keepalives hold
through it: a dead link to the bastion ends the run with exit code 4 as a
dead link to the host does.

Every key, with its default or an example value:

` + "```yaml\n" + string(Template()) + "```\n" + commandDoc
}

const commandDoc = `
## Secrets from a command

` + "`${cmd:COMMAND}`" + ` runs COMMAND on this machine when the file is loaded, and its
output, one trailing newline dropped, is the value: secrets stay where the
team keeps them.

- No shell: COMMAND is split into words as a shell splits them (` + "`'...'`" + `,
  ` + "`\"...\"`" + ` and ` + "`\\`" + ` quote), and nothing else happens: no ` + "`$VARIABLES`" + `,
  ` + "`~`" + `, globs, pipes or redirections. It cannot contain ` + "`}`" + `; quote the
  whole value for YAML when the command has ` + "`: `" + ` or ` + "` #`" + ` in it.
- It runs in the answers file's directory (a relative path in it is
  relative to the file, as in ` + "`${file:...}`" + `), with your environment, and
  with your terminal on its standard input, for a passphrase prompt. It has
  two minutes.
- What it prints is a secret wherever it is used: masked in messages,
  plans, logs and JSON, like ` + "`sudo_password`" + `.
- A command that fails, or prints nothing, is a problem of the field, with
  the exit status and the last line the command wrote to standard error;
  never its output.

` + "```yaml" + `
hosts:
  - address: 203.0.113.10
    user: deploy
    # pass (passwordstore.org): the entry holds the password alone.
    sudo_password: ${cmd:pass show jitsi/sudo}
janssen:
  test_client:
    client_id: verify-client
    # HashiCorp Vault, KV engine: -field prints the one value. VAULT_ADDR
    # and the token come from your environment (vault login).
    client_secret: ${cmd:vault kv get -field=client_secret secret/jitsi/janssen}
jitsi:
  # sops: one key of an encrypted file next to this one.
  app_secret: ${cmd:sops --decrypt --extract '["app_secret"]' secrets.enc.yaml}
` + "```\n"

func TestAnswersDocIsTheTemplate(t *testing.T) {
	golden.Assert(t, docsPath, []byte(answersDoc()))
}
