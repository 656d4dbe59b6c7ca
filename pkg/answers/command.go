package answers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// commandTimeout bounds a ${cmd:...}: long enough to type a passphrase
// into a pinentry, short enough that a hung command does not hang the run.
const commandTimeout = 2 * time.Minute

// masked stands for a command's output in messages, as installer.Redacted does in events.
const masked = "<redacted>"

// command runs the COMMAND of ${cmd:COMMAND} and returns its output with
// one trailing newline dropped. The output is a secret wherever it is used:
// it is remembered for Config.Secrets and never quoted in a message, and
// neither is what the command printed when it failed.
func (d *decoder) command(n *yaml.Node, path, line string) (string, bool) {
	if v, ok := d.ran[line]; ok { // asked once, whatever uses it
		return v, true
	}
	args, err := splitCommand(line)
	if err != nil {
		d.add(n, path, "${cmd:...}: %v", err)
		return "", false
	}
	out, err := d.opts.RunCommand(d.dir, args)
	v := trimNewline(string(out))
	if v != "" {
		d.src.cmd = append(d.src.cmd, v)
	}
	if err != nil {
		d.add(n, path, "${cmd:%s}: %v", args[0], err)
		return "", false
	}
	if v == "" {
		d.add(n, path, "${cmd:%s} printed nothing", args[0])
		return "", false
	}
	if len(out) > maxSize {
		d.add(n, path, "${cmd:%s} printed more than %d bytes", args[0], maxSize)
		return "", false
	}
	if d.ran == nil {
		d.ran = map[string]string{}
	}
	d.ran[line] = v
	return v, true
}

// runCommand runs args[0] with the rest as its arguments, no shell, in dir
// (the answers file's, so relative paths work as in ${file:...}), on this
// machine's terminal for a prompt (pass's pinentry, vault login). Its
// standard output is the value; a failure says the exit status and the
// last line of its standard error.
func runCommand(dir string, args []string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, args[0], args[1:]...)
	c.Dir, c.Stdin = dir, os.Stdin
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	switch {
	case ctx.Err() != nil:
		return out.Bytes(), fmt.Errorf("did not finish within %s", commandTimeout)
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("exit status %d", ee.ExitCode())
		}
		if last := lastLine(errb.String()); last != "" {
			// stderr is a diagnostic, not the value; what of the value
			// shows in it is masked with the rest of the output.
			err = fmt.Errorf("%w: %s", err, maskIn(last, trimNewline(out.String())))
		}
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}

// lastLine is the last non-empty line of s, at most 200 bytes of it.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	l := strings.TrimSpace(lines[len(lines)-1])
	if len(l) > 200 {
		l = l[:200] + "..."
	}
	return l
}

// maskIn replaces every line of secret in s.
func maskIn(s, secret string) string {
	for _, p := range strings.Split(secret, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			s = strings.ReplaceAll(s, p, masked)
		}
	}
	return s
}

// mask hides the outputs of the file's commands in s.
func (s *source) mask(msg string) string {
	for _, v := range s.cmd {
		msg = maskIn(msg, v)
	}
	return msg
}

// splitCommand splits a ${cmd:...} into program and arguments as a shell
// would split words, and nothing more: no variables, globs, pipes or
// redirections. '...' keeps everything inside; "..." too, with \" and \\;
// a backslash outside quotes keeps the next character.
func splitCommand(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				args, inWord = append(args, cur.String()), false
				cur.Reset()
			}
			continue
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("a ' is not closed")
			}
			cur.WriteString(line[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			closed := false
			for i++; i < len(line); i++ {
				if line[i] == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\') {
					i++
				} else if line[i] == '"' {
					closed = true
					break
				}
				cur.WriteByte(line[i])
			}
			if !closed {
				return nil, errors.New(`a " is not closed`)
			}
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		default:
			cur.WriteByte(c)
		}
		inWord = true
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("no command")
	}
	return args, nil
}
