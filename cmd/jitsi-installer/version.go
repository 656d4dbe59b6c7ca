package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// buildVersion is what `version` prints: the linker's values from a release
// build, or, for `go install ...@VERSION` and builds from a checkout (no
// linker flags), what the Go toolchain recorded in the binary.
type buildVersion struct {
	Version, Commit, Date, Go string
}

// currentVersion reads the linker's variables and the binary's build info.
func currentVersion() buildVersion {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(version, commit, date, bi)
}

// versionOf fills what the linker left unset from bi: the module version
// (v1.2.3 from `go install`, a pseudo-version in a checkout) and the VCS
// revision and commit time. The leading "v" is dropped, as in release names.
func versionOf(ver, com, dat string, bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Version: ver, Commit: com, Date: dat, Go: runtime.Version()}
	if bi == nil {
		return v
	}
	v.Go = bi.GoVersion
	if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	v.Version = strings.TrimPrefix(v.Version, "v")
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && v.Commit == "none":
			v.Commit = s.Value
		case s.Key == "vcs.time" && v.Date == "unknown":
			v.Date = s.Value
		}
	}
	return v
}

func (v buildVersion) String() string {
	return fmt.Sprintf("jitsi-installer %s (commit %s, built %s, %s %s/%s)",
		v.Version, v.Commit, v.Date, v.Go, runtime.GOOS, runtime.GOARCH)
}
