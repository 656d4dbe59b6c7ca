package main

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	checkout := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20261207023331-297c703abcde+dirty"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "297c703abcdef"}, {Key: "vcs.time", Value: "2026-12-07T02:33:31Z"}}}
	for _, tc := range []struct {
		name               string
		ver, com, dat      string
		bi                 *debug.BuildInfo
		version, commit, d string
	}{
		{"release build: the linker's values win", "1.2.3", "abc1234", "2026-11-25T10:00:00Z", checkout,
			"1.2.3", "abc1234", "2026-11-25T10:00:00Z"},
		{"go install MODULE@v1.2.3: the module version, no VCS", "dev", "none", "unknown",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}},
			"1.2.3", "none", "unknown"},
		{"go build in a checkout: pseudo-version and VCS stamp", "dev", "none", "unknown", checkout,
			"0.0.0-20261207023331-297c703abcde+dirty", "297c703abcdef", "2026-12-07T02:33:31Z"},
		{"go build without VCS stamp: dev", "dev", "none", "unknown",
			&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			"dev", "none", "unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := versionOf(tc.ver, tc.com, tc.dat, tc.bi)
			if v.Version != tc.version || v.Commit != tc.commit || v.Date != tc.d || v.Go != "go1.26.8" {
				t.Errorf("got %+v, want version %s commit %s date %s go1.26.8", v, tc.version, tc.commit, tc.d)
			}
		})
	}
}
