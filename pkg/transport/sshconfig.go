package transport

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"slices"
	"strconv"
	"strings"

	"github.com/kevinburke/ssh_config"
)

// SSHConfig is an OpenSSH client configuration (ssh_config(5)) as far as
// the installer follows it: the HostName, User, Port, IdentityFile and
// ProxyJump of the Host and Match blocks that match an alias, with the
// files of Include directives. As in ssh, the first value found wins, and
// what the caller set beats the file.
type SSHConfig struct {
	file string
	cfg  *ssh_config.Config // nil: no file
}

// DefaultSSHConfig is the operator's own file.
const DefaultSSHConfig = "~/.ssh/config"

// LoadSSHConfig reads the file at path ("~/" is expanded). A file that does
// not exist is an empty configuration.
func LoadSSHConfig(path string) (*SSHConfig, error) {
	file, err := expandHome(path)
	if err != nil {
		return nil, err
	}
	c := &SSHConfig{file: file}
	f, err := os.Open(file)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	defer f.Close()
	if c.cfg, err = ssh_config.Decode(f); err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return c, nil
}

// Apply fills in what o leaves open from the blocks matching the alias
// o.Address: HostName replaces the address; Port when o.Port is 0; User
// when o.User is empty; KeyFile, when empty, from the first IdentityFile;
// and, when o has no Jump, the jump hosts of ProxyJump. Each jump host is
// looked up the same way, and the first one's own ProxyJump goes before
// it, as with ssh. Errors name the file and the alias.
func (c *SSHConfig) Apply(o SSHOptions) (SSHOptions, error) {
	return c.resolve(o, true, nil)
}

// HostName is the HostName the file gives alias, with %h expanded; "" when
// it gives none (or c has no file).
func (c *SSHConfig) HostName(alias string) string {
	if c == nil || c.cfg == nil || alias == "" {
		return ""
	}
	h, err := c.cfg.Get(alias, "HostName")
	if err != nil || strings.TrimSpace(h) == "" {
		return ""
	}
	return tokens(strings.TrimSpace(h), alias, "")
}

// resolve applies the file to o; jumps says whether o's ProxyJump counts
// (not for the later hosts of a ProxyJump list, reached through the one
// before). seen are the aliases on the way, to stop a loop.
func (c *SSHConfig) resolve(o SSHOptions, jumps bool, seen []string) (SSHOptions, error) {
	alias := o.Address
	if c == nil || c.cfg == nil || alias == "" {
		return o, nil
	}
	if slices.Contains(seen, alias) {
		return o, fmt.Errorf("%s: ProxyJump loops: %s -> %s", c.file, strings.Join(seen, " -> "), alias)
	}
	seen = append(seen, alias)
	var errs []error
	get := func(key string) string {
		v, err := c.cfg.Get(alias, key)
		if err != nil {
			errs = append(errs, err)
		}
		return strings.TrimSpace(v)
	}
	if h := get("HostName"); h != "" {
		o.Address = tokens(h, alias, "")
	}
	if p := get("Port"); p != "" && o.Port == 0 {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return o, fmt.Errorf("%s: Host %s: Port %q is not a port number", c.file, alias, p)
		}
		o.Port = n
	}
	if u := get("User"); u != "" && o.User == "" {
		o.User = u
	}
	if o.KeyFile == "" {
		// The first that exists, as ssh skips missing ones.
		keys, err := c.cfg.GetAll(alias, "IdentityFile")
		if err != nil {
			errs = append(errs, err)
		}
		for _, k := range keys {
			if k, err := expandHome(tokens(strings.TrimSpace(k), o.Address, o.User)); err == nil && k != "" && exists(k) {
				o.KeyFile = k
				break
			}
		}
	}
	pj := get("ProxyJump")
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("%s: Host %s: %w", c.file, alias, err)
	}
	hops := o.Jump
	if len(hops) == 0 && jumps && pj != "" && !strings.EqualFold(pj, "none") {
		var err error
		if hops, err = parseProxyJump(pj); err != nil {
			return o, fmt.Errorf("%s: Host %s: %w", c.file, alias, err)
		}
		if len(hops) == 1 && hops[0].Address == alias {
			hops = nil // "Host *" naming the jump host itself
		}
	}
	o.Jump = nil
	for i, h := range hops {
		r, err := c.resolve(h, i == 0, seen)
		if err != nil {
			return o, err
		}
		o.Jump = append(o.Jump, r.Jump...)
		r.Jump = nil
		o.Jump = append(o.Jump, r)
	}
	return o, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// parseProxyJump reads "[user@]host[:port][,...]".
func parseProxyJump(s string) ([]SSHOptions, error) {
	var out []SSHOptions
	for _, spec := range strings.Split(s, ",") {
		spec = strings.TrimSpace(strings.TrimPrefix(spec, "ssh://"))
		var o SSHOptions
		if u, h, ok := strings.Cut(spec, "@"); ok {
			o.User, spec = u, h
		}
		o.Address = spec
		if h, p, err := splitHostPort(spec); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return nil, fmt.Errorf("ProxyJump %q: bad port %q", s, p)
			}
			o.Address, o.Port = h, n
		}
		if o.Address == "" {
			return nil, fmt.Errorf("ProxyJump %q: empty host", s)
		}
		out = append(out, o)
	}
	return out, nil
}

// splitHostPort splits "host:port" and "[v6]:port"; a bare IPv6 address
// has no port.
func splitHostPort(s string) (string, string, error) {
	if strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "[") {
		return "", "", errors.New("no port")
	}
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return "", "", errors.New("no port")
	}
	return strings.Trim(s[:i], "[]"), s[i+1:], nil
}

// tokens expands ssh_config's %h (host), %r (remote user), %u (local
// user), %d (home directory) and %%.
func tokens(s, host, remoteUser string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'h':
			b.WriteString(host)
		case 'r':
			b.WriteString(remoteUser)
		case 'u':
			if u, err := user.Current(); err == nil {
				b.WriteString(u.Username)
			}
		case 'd':
			home, _ := os.UserHomeDir()
			b.WriteString(home)
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
