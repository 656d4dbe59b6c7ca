package steps

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/assets"
	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// ExpiryWarning is how close to its end a certificate makes status unhealthy.
const ExpiryWarning = 14 * 24 * time.Hour

// Status is no part of an install: the status command adds it to a plan, so
// that what the services report is read in the plan's first round trip,
// together with the facts the drift check needs.
type Status struct{ *env }

// NewStatus returns the status step for cfg.
func NewStatus(cfg *answers.Config) *Status { return &Status{&env{cfg: cfg}} }

// StatusRoles are the deployment's roles with the status step last in each,
// so what every host's services report comes with its first round trip.
func StatusRoles(cfg *answers.Config) ([]installer.Role, *Status) {
	st := NewStatus(cfg)
	roles := Roles(cfg, Options{})
	for i := range roles {
		roles[i].Steps = append(roles[i].Steps, st)
	}
	return roles, st
}

// of is the env of h's role: a videobridge host runs the bridge only, with
// no Prosody, Jicofo, web server, certificate or Janssen keys to ask about.
func (s *Status) of(h *installer.Host) *env {
	return &env{cfg: s.cfg, role: h.Role}
}

// Name implements installer.Step.
func (*Status) Name() string { return "Status" }

// Declare implements installer.Step: status changes nothing.
func (*Status) Declare(*installer.Host) ([]installer.Resource, error) { return nil, nil }

const (
	qNow      = "status.now"
	qUnits    = "status.units"
	qPackages = "status.packages"
	qPins     = "status.pins"
	qC2S      = "status.c2s"
	qMUC      = "status.muc"
	qJicofo   = "status.jicofo"
	qBridge   = "status.bridge"
	qCert     = "status.cert"
	qKeys     = "status.keys"
	qTimer    = "status.timer"
)

// mucCount is Lua for Prosody's admin shell: rooms on the conference
// component and their occupants, Jicofo's focus not counted.
const mucCount = `>local n,p=0,0 local h=prosody.hosts[%q] if h and h.modules.muc then for r in h.modules.muc.each_room() do n=n+1 for _,o in r:each_occupant() do if not tostring(o.bare_jid):match("^focus@") then p=p+1 end end end end return "rooms "..n.." occupants "..p`

// xmppCount is Lua for Prosody's admin shell: the client sessions, and how
// many of them are Jicofo's (focus) and the videobridges' (jvb) on the
// given auth host.
const xmppCount = `>local t,f,b=0,0,0 for _,s in pairs(prosody.full_sessions) do t=t+1 if s.host==%q then if s.username=="focus" then f=f+1 elseif s.username=="jvb" then b=b+1 end end end return "sessions "..t.." jicofo "..f.." bridges "..b`

// curlStatus prints a local URL's body, then its HTTP status on a line of
// its own (000 when nothing answers).
func curlStatus(url string) []string {
	return []string{"curl", "-s", "-m", "3", "-w", `\n%{http_code}`, url}
}

// Queries implements installer.Querier.
func (s *Status) Queries(h *installer.Host) []installer.Query {
	e := s.of(h)
	units := (&services{e}).units()
	if !e.bridge() {
		units = append(units, assets.KeyRefreshUnit+".timer")
	}
	// Times in UTC, whatever the host's zone: systemd prints them with the
	// zone's abbreviation only.
	show := append([]string{"env", "TZ=UTC", "systemctl", "show", "-p", "Id,LoadState,ActiveState,SubState,ActiveEnterTimestamp"}, units...)
	qs := []installer.Query{
		nowFact.Query(),
		{Name: unitsFact.Name, Args: show},
		{Name: packagesFact.Name, Args: append([]string{"dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"}, e.packages()...)},
		pinsFact.Query(),
		bridgeFact.Query(),
	}
	if e.bridge() {
		return qs
	}
	crt, _ := certPaths(s.cfg)
	return append(qs,
		installer.Query{Name: c2sFact.Name, Args: []string{"timeout", "5", "prosodyctl", "shell", fmt.Sprintf(xmppCount, authDomain(s.cfg.Domain))}},
		installer.Query{Name: mucFact.Name, Args: []string{"timeout", "5", "prosodyctl", "shell", fmt.Sprintf(mucCount, "conference."+s.cfg.Domain)}},
		jicofoStatsFact.Query(),
		installer.Query{Name: certFact.Name, Args: []string{"openssl", "x509", "-noout", "-enddate", "-in", crt}},
		keysFact.Query(),
		timerFact.Query(),
	)
}

// The status facts whose queries are the same on every host.
var (
	// nowFact is the host's clock; zero when it did not say.
	nowFact = &installer.Fact[time.Time]{Name: qNow, Args: []string{"date", "+%s"}, Parse: func(out string, _ int) time.Time {
		if sec, err := strconv.ParseInt(out, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
		return time.Time{}
	}}
	// c2sFact is Prosody's client sessions; nil when it did not say. Its
	// query names the auth host: Queries builds it.
	c2sFact = &installer.Fact[*XMPPSessions]{Name: qC2S, Parse: parseXMPP}
	// unitsFact is the services' systemctl show blocks; certFact the
	// certificate's expiry, zero when unreadable. Their queries name the
	// units and the certificate: Queries builds them.
	unitsFact = &installer.Fact[[]map[string]string]{Name: qUnits,
		Parse: func(out string, _ int) []map[string]string { return showBlocks(out) }}
	certFact = &installer.Fact[time.Time]{Name: qCert, Parse: func(out string, _ int) time.Time {
		if na, ok := strings.CutPrefix(out, "notAfter="); ok {
			if t, err := time.Parse("Jan _2 15:04:05 2006 MST", strings.Join(strings.Fields(na), " ")); err == nil {
				return t
			}
		}
		return time.Time{}
	}}
	// packagesFact is dpkg's installed versions of the role's packages;
	// mucFact Prosody's rooms. Their queries name the packages and the
	// domain: Queries builds them.
	packagesFact = &installer.Fact[map[string]string]{Name: qPackages,
		Parse: func(out string, _ int) map[string]string { return installedVersions(out) }}
	mucFact         = &installer.Fact[mucRooms]{Name: qMUC, Parse: parseMUC}
	jicofoStatsFact = &installer.Fact[*Conferences]{Name: qJicofo, Args: curlStatus("http://127.0.0.1:8888/stats"),
		Parse: func(out string, _ int) *Conferences { return readJicofo(out) }}
	bridgeFact = &installer.Fact[*BridgeStatus]{Name: qBridge, Args: curlStatus("http://127.0.0.1:8080/colibri/stats"),
		Parse: func(out string, _ int) *BridgeStatus { return readBridge(out) }}
)

// HostStatus is what status found on one host.
type HostStatus struct {
	Host        string             `json:"host"`
	Role        string             `json:"role"`            // core or videobridge
	Error       string             `json:"error,omitempty"` // the host could not be read
	Time        time.Time          `json:"time"`            // the host's clock
	Services    []ServiceStatus    `json:"services"`
	Version     string             `json:"version"` // jitsi.version in the answers file
	Packages    []PackageStatus    `json:"packages"`
	XMPP        *int               `json:"xmpp_sessions"`     // Prosody's client sessions, all
	XMPPOf      *XMPPSessions      `json:"xmpp_of,omitempty"` // how many of them are Jicofo and bridges
	Conferences *Conferences       `json:"conferences"`
	Bridge      *BridgeStatus      `json:"bridge"`
	Cert        *CertStatus        `json:"certificate"`
	Keys        *KeysStatus        `json:"janssen_keys"`
	LastRun     *installer.RunInfo `json:"last_run"`
	Drift       []string           `json:"drift"`
	Problems    []string           `json:"problems"`
}

// Healthy reports whether nothing is down or expiring.
func (s *HostStatus) Healthy() bool { return s.Error == "" && len(s.Problems) == 0 }

// ServiceStatus is one systemd unit.
type ServiceStatus struct {
	Name   string        `json:"name"`
	State  string        `json:"state"` // active, inactive, failed, ...
	Sub    string        `json:"sub"`   // running, dead, ...
	Uptime time.Duration `json:"uptime_ns,omitempty"`
}

// PackageStatus is one Jitsi package.
type PackageStatus struct {
	Name      string `json:"name"`
	Installed string `json:"installed,omitempty"`
	Pinned    string `json:"pinned,omitempty"`
	AtPin     bool   `json:"at_pin"`
}

// Conferences are Jicofo's numbers, or Prosody's rooms when Jicofo has none;
// Rooms and Occupants are Prosody's count whenever it answers.
type Conferences struct {
	Source       string `json:"source"` // jicofo or prosody
	Conferences  int    `json:"conferences"`
	Participants int    `json:"participants"`
	Rooms        *int   `json:"prosody_rooms,omitempty"`
	Occupants    *int   `json:"prosody_occupants,omitempty"`
}

// XMPPSessions says how many of Prosody's client sessions are Jicofo's and
// the videobridges' (the core's own and those of other hosts alike).
type XMPPSessions struct {
	Jicofo  int `json:"jicofo"`
	Bridges int `json:"bridges"`
	total   int
}

func parseXMPP(out string, _ int) *XMPPSessions {
	t, ok1 := afterPrefix(out, "sessions ")
	f, ok2 := afterPrefix(out, "jicofo ")
	b, ok3 := afterPrefix(out, "bridges ")
	if !ok1 || !ok2 || !ok3 {
		return nil
	}
	return &XMPPSessions{Jicofo: f, Bridges: b, total: t}
}

// BridgeStatus is the host's videobridge as its stats report it.
type BridgeStatus struct {
	Healthy      bool     `json:"healthy"`
	Conferences  int      `json:"conferences"`
	Participants int      `json:"participants"`
	StressLevel  *float64 `json:"stress_level,omitempty"`
}

// CertStatus is the web server's certificate.
type CertStatus struct {
	Path     string    `json:"path"`
	NotAfter time.Time `json:"not_after"`
	DaysLeft int       `json:"days_left"`
}

// KeysStatus is what Prosody trusts of Janssen's keys on this host.
type KeysStatus struct {
	Kids      []string  `json:"kids"`
	Written   time.Time `json:"written,omitzero"`   // jwks.json last changed
	Refreshed time.Time `json:"refreshed,omitzero"` // the timer last ran the refresh
	Next      time.Time `json:"next,omitzero"`
	Result    string    `json:"result,omitempty"` // of the last refresh
}

// Read turns the status queries' answers on h into a HostStatus.
func (s *Status) Read(h *installer.Host) *HostStatus {
	e := s.of(h)
	st := &HostStatus{Host: h.Name, Role: e.role, Version: s.cfg.Jitsi.Version, Drift: []string{}, Problems: []string{}}
	st.Time = nowFact.Get(h)
	for _, b := range unitsFact.Get(h) {
		sv := ServiceStatus{Name: strings.TrimSuffix(b["Id"], ".service"), State: b["ActiveState"], Sub: b["SubState"]}
		if b["LoadState"] == "not-found" {
			sv.State = "not-found"
		}
		if since := systemdTime(b["ActiveEnterTimestamp"]); !since.IsZero() && sv.State == "active" && !st.Time.IsZero() {
			sv.Uptime = max(st.Time.Sub(since), 0)
		}
		if sv.State != "active" && sv.State != "reloading" {
			st.Problems = append(st.Problems, fmt.Sprintf("%s is %s", sv.Name, sv.State))
		}
		st.Services = append(st.Services, sv)
	}
	st.Packages = readPackages(packagesFact.Get(h), pinsFact.Get(h), e.packages())
	if x := c2sFact.Get(h); x != nil && !e.bridge() {
		st.XMPP, st.XMPPOf = &x.total, x
	}
	st.Conferences = readConferences(jicofoStatsFact.Get(h), mucFact.Get(h))
	st.Bridge = bridgeFact.Get(h)
	if st.Bridge != nil && !st.Bridge.Healthy {
		st.Problems = append(st.Problems, "the videobridge reports itself unhealthy")
	}
	if e.bridge() {
		return st
	}
	crt, _ := certPaths(s.cfg)
	if t := certFact.Get(h); !t.IsZero() {
		ref := st.Time
		if ref.IsZero() {
			ref = time.Now()
		}
		st.Cert = &CertStatus{Path: crt, NotAfter: t.UTC(), DaysLeft: int(t.Sub(ref).Hours() / 24)}
		if t.Sub(ref) < ExpiryWarning {
			st.Problems = append(st.Problems, fmt.Sprintf("the certificate %s expires in %d day(s)", crt, st.Cert.DaysLeft))
		}
	}
	if st.Cert == nil {
		st.Problems = append(st.Problems, "no certificate readable at "+crt)
	}
	st.Keys = readKeys(keysFact.Get(h), timerFact.Get(h))
	return st
}

// showBlocks parses `systemctl show` output for several units.
func showBlocks(out string) []map[string]string {
	var bs []map[string]string
	cur := map[string]string{}
	for _, l := range strings.Split(out+"\n", "\n") {
		if strings.TrimSpace(l) == "" {
			if len(cur) > 0 {
				bs = append(bs, cur)
				cur = map[string]string{}
			}
			continue
		}
		if k, v, ok := strings.Cut(l, "="); ok {
			cur[k] = v
		}
	}
	return bs
}

func afterPrefix(out, prefix string) (int, bool) {
	i := strings.Index(out, prefix)
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(out[i+len(prefix):])
	if len(f) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(f[0])
	return n, err == nil
}

func readPackages(installed, pins map[string]string, names []string) []PackageStatus {
	var ps []PackageStatus
	for _, n := range names {
		p := PackageStatus{Name: n, Installed: installed[n], Pinned: pins[n]}
		p.AtPin = p.Pinned != "" && p.Installed == p.Pinned
		ps = append(ps, p)
	}
	return ps
}

// httpBody splits curlStatus output into status code and body.
func httpBody(out string) (int, string) {
	i := strings.LastIndexByte(out, '\n')
	code, _ := strconv.Atoi(strings.TrimSpace(out[i+1:]))
	if i < 0 {
		return code, ""
	}
	return code, out[:i]
}

// mucRooms is what Prosody counts on the conference component.
type mucRooms struct {
	rooms, occupants int
	ok               bool // Prosody said
}

func parseMUC(out string, _ int) mucRooms {
	rooms, ok1 := afterPrefix(out, "rooms ")
	occ, ok2 := afterPrefix(out, "occupants ")
	return mucRooms{rooms, occ, ok1 && ok2}
}

// readConferences combines Jicofo's count and Prosody's, in a copy of
// Jicofo's: the fact's value stays as parsed.
func readConferences(jicofo *Conferences, muc mucRooms) *Conferences {
	var c *Conferences
	if jicofo != nil {
		cp := *jicofo
		c = &cp
	}
	rooms, occ := muc.rooms, muc.occupants
	switch {
	case c != nil && muc.ok:
		c.Rooms, c.Occupants = &rooms, &occ
	case muc.ok:
		c = &Conferences{Source: "prosody", Conferences: rooms, Participants: occ, Rooms: &rooms, Occupants: &occ}
	}
	return c
}

func readJicofo(jicofo string) *Conferences {
	if code, body := httpBody(jicofo); code == 200 {
		var v struct {
			Conferences  *int `json:"conferences"`
			Participants *int `json:"participants"`
		}
		if json.Unmarshal([]byte(body), &v) == nil && v.Conferences != nil {
			c := &Conferences{Source: "jicofo", Conferences: *v.Conferences}
			if v.Participants != nil {
				c.Participants = *v.Participants
			}
			return c
		}
	}
	return nil
}

func readBridge(out string) *BridgeStatus {
	code, body := httpBody(out)
	if code == 0 {
		return nil
	}
	b := &BridgeStatus{Healthy: code == 200}
	var v map[string]any
	if json.Unmarshal([]byte(body), &v) != nil {
		b.Healthy = false
		return b
	}
	num := func(k string) (float64, bool) { f, ok := v[k].(float64); return f, ok }
	if f, ok := num("conferences"); ok {
		b.Conferences = int(f)
	}
	if f, ok := num("participants"); ok {
		b.Participants = int(f)
	}
	if f, ok := num("stress_level"); ok {
		b.StressLevel = &f
	}
	if h, ok := v["healthy"].(bool); ok && !h {
		b.Healthy = false
	}
	return b
}

// keysFact is the JWKS Prosody trusts, without the refresh timer's state;
// nil when there is no file.
var keysFact = &installer.Fact[*KeysStatus]{Name: qKeys,
	Args:  []string{"sh", "-c", `f="$1"; [ -f "$f" ] || exit 3; stat -c %Y "$f"; head -c 65536 "$f"`, "sh", path.Join(assets.KeysDir, assets.KeysJWKS)},
	Parse: parseKeys}

// timerFact is the key refresh's timer and service, as systemctl shows them.
var timerFact = &installer.Fact[[]map[string]string]{Name: qTimer,
	Args: []string{"env", "TZ=UTC", "systemctl", "show", "-p", "Id,LastTriggerUSec,NextElapseUSecRealtime,Result",
		assets.KeyRefreshUnit + ".timer", assets.KeyRefreshUnit + ".service"},
	Parse: func(out string, _ int) []map[string]string { return showBlocks(out) }}

func parseKeys(out string, code int) *KeysStatus {
	if code != 0 {
		return nil
	}
	k := &KeysStatus{Kids: []string{}}
	first, body, _ := strings.Cut(out, "\n")
	if sec, err := strconv.ParseInt(strings.TrimSpace(first), 10, 64); err == nil {
		k.Written = time.Unix(sec, 0).UTC()
	}
	var jwks struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	if json.Unmarshal([]byte(body), &jwks) == nil {
		for _, key := range jwks.Keys {
			k.Kids = append(k.Kids, key.Kid)
		}
		sort.Strings(k.Kids)
	}
	return k
}

// readKeys adds the refresh timer's state to a copy of keys.
func readKeys(keys *KeysStatus, timer []map[string]string) *KeysStatus {
	if keys == nil {
		return nil
	}
	k := *keys
	for _, b := range timer {
		if strings.HasSuffix(b["Id"], ".timer") {
			k.Refreshed = systemdTime(b["LastTriggerUSec"])
			k.Next = systemdTime(b["NextElapseUSecRealtime"])
		} else {
			k.Result = b["Result"]
		}
	}
	return &k
}

// systemdTime parses systemctl show's "Tue 2026-12-01 02:00:00 UTC".
func systemdTime(s string) time.Time {
	t, err := time.Parse("Mon 2006-01-02 15:04:05 MST", s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}
