package steps

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/resource"
)

// luaLibraries are the pure-Lua libraries Jitsi's token plugin requires
// (token/util.lib.lua, luajwtjitsi) from packages that may not install a
// copy for the Lua that Prosody runs: Debian 12's lua-basexx installs
// /usr/share/lua/5.1 and 5.2 only, lua-inspect 5.1 to 5.3, and its Prosody
// runs Lua 5.4. The C libraries (lua-cjson, lua-luaossl, lua-sec) are built
// for every Lua version Debian has.
var luaLibraries = []string{"basexx", "inspect"}

const factLua = "prosody.lua"

// prosodyLua is which Lua Prosody runs ("" before Prosody is installed)
// and, by library, the Lua versions it is installed for, ascending.
type prosodyLua struct {
	Version string
	Have    map[string][]string
}

// luaFact asks which Lua Prosody runs (its shebang) and where the pure-Lua
// libraries are.
var luaFact = &installer.Fact[prosodyLua]{Name: factLua, Args: []string{"sh", "-c",
	`head -n 1 /usr/bin/prosody 2>/dev/null; for m in "$@"; do ls -1 /usr/share/lua/*/"$m".lua 2>/dev/null; done; true`,
	"sh", "basexx", "inspect"}, Parse: parseProsodyLua}

var (
	luaShebang = regexp.MustCompile(`^#!.*\blua(5\.[0-9])\s*$`)
	luaFile    = regexp.MustCompile(`^/usr/share/lua/(5\.[0-9])/([a-z]+)\.lua$`)
)

// luaLinks declares, for each library Prosody's Lua lacks, a link in
// /usr/local/share/lua/VERSION (on Lua's default path, and no package's
// directory) to the copy for the newest other Lua version: the libraries
// are plain Lua that runs on all of them. Nothing is declared before
// Prosody is installed, or where the packages already fit.
func luaLinks(h *installer.Host) []installer.Resource {
	lua := luaFact.Get(h)
	want, have := lua.Version, lua.Have
	if want == "" {
		return nil
	}
	dir := "/usr/local/share/lua/" + want
	var rs []installer.Resource
	for _, lib := range luaLibraries {
		vs := have[lib]
		if len(vs) == 0 || slices.Contains(vs, want) {
			continue
		}
		if len(rs) == 0 {
			rs = append(rs, &resource.Dir{Path: dir, Mode: 0o755})
		}
		rs = append(rs, &resource.Symlink{Path: path.Join(dir, lib+".lua"),
			Target: "/usr/share/lua/" + vs[len(vs)-1] + "/" + lib + ".lua", Notify: notify(restartProsody)})
	}
	return rs
}

func parseProsodyLua(out string, _ int) prosodyLua {
	lines := strings.Split(out, "\n")
	m := luaShebang.FindStringSubmatch(strings.TrimSpace(lines[0]))
	if m == nil {
		return prosodyLua{}
	}
	lua := prosodyLua{Version: m[1], Have: map[string][]string{}}
	for _, l := range lines[1:] {
		if f := luaFile.FindStringSubmatch(strings.TrimSpace(l)); f != nil {
			lua.Have[f[2]] = append(lua.Have[f[2]], f[1])
		}
	}
	for _, vs := range lua.Have {
		slices.Sort(vs)
	}
	return lua
}
