package steps

import (
	"slices"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer"
	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
)

// activeUnit is systemctl show's answer for a unit active since since.
func activeUnit(id, sub, since string) string {
	return "Id=" + id + "\nLoadState=loaded\nActiveState=active\nSubState=" + sub + "\nActiveEnterTimestamp=" + since
}

// healthyFacts are a healthy host's answers to the status queries, with
// one conference of two participants.
func healthyFacts() map[string]string {
	return map[string]string{
		qNow: "1796090400",
		qUnits: strings.Join([]string{
			activeUnit("prosody.service", "running", "Tue 2026-12-01 01:00:00 UTC"),
			activeUnit("jicofo.service", "running", "Tue 2026-12-01 01:00:00 UTC"),
			activeUnit("jitsi-videobridge2.service", "running", "Tue 2026-12-01 01:58:20 UTC"),
			activeUnit("nginx.service", "running", "Tue 2026-12-01 00:00:00 UTC"),
			activeUnit("coturn.service", "running", "Tue 2026-12-01 00:00:00 UTC"),
			activeUnit("jitsi-installer-jwks-refresh.timer", "waiting", "Tue 2026-12-01 00:00:00 UTC"),
		}, "\n\n"),
		qPackages: "jitsi-meet\t2.0.10078-1\tii \njicofo\t1.0-1100-1\tii \njitsi-videobridge2\t2.3-200-g1c5e9d1f-1\tii \n",
		qPins:     string(pinFile("2.0.10078", map[string]string{"jitsi-meet": "2.0.10078-1", "jicofo": "1.0-1100-1", "jitsi-videobridge2": "2.3-999-1"}, []string{"jitsi-meet", "jicofo", "jitsi-videobridge2"})),
		qC2S:      "| Result: sessions 3 jicofo 1 bridges 2",
		qMUC:      "Result: rooms 1 occupants 2",
		qJicofo:   "<html>404</html>\n404",
		qBridge:   `{"healthy":true,"conferences":0,"participants":0,"stress_level":0.05}` + "\n200",
		qCert:     "notAfter=Mar  1 12:00:00 2027 GMT",
		qKeys:     "1796090390\n" + `{"keys":[{"kid":"k2","kty":"RSA"},{"kid":"k1","kty":"RSA"}]}`,
		qTimer:    "Id=jitsi-installer-jwks-refresh.timer\nLastTriggerUSec=Tue 2026-12-01 01:59:50 UTC\nNextElapseUSecRealtime=Tue 2026-12-01 02:00:20 UTC\n\nId=jitsi-installer-jwks-refresh.service\nResult=success\n",
	}
}

func TestStatusRead(t *testing.T) {
	st := NewStatus(testConfig(t))
	s := st.Read(installertest.NewHost("meet.example.com", 22, healthyFacts()))
	if !s.Healthy() {
		t.Fatalf("healthy host has problems: %v", s.Problems)
	}
	if len(s.Services) != 6 || s.Services[2].Name != "jitsi-videobridge2" || s.Services[2].Uptime.Seconds() != 100 {
		t.Errorf("services %+v", s.Services)
	}
	if c := st.Read(testHost(withFact(healthyFacts(), qJicofo, `{"conferences":2,"participants":3}`+"\n200"))).Conferences; c.Source != "jicofo" || c.Conferences != 2 || c.Participants != 3 || *c.Rooms != 1 {
		t.Errorf("with Jicofo's stats: %+v", c)
	}
	if x := s.XMPPOf; x == nil || x.Jicofo != 1 || x.Bridges != 2 {
		t.Errorf("xmpp of %+v, want Jicofo 1, bridges 2", x)
	}
	if *s.XMPP != 3 || s.Conferences.Source != "prosody" || s.Conferences.Conferences != 1 || s.Conferences.Participants != 2 {
		t.Errorf("xmpp %v conferences %+v", *s.XMPP, s.Conferences)
	}
	if s.Bridge == nil || !s.Bridge.Healthy || *s.Bridge.StressLevel != 0.05 {
		t.Errorf("bridge %+v", s.Bridge)
	}
	if s.Cert.DaysLeft != 90 || strings.Join(s.Keys.Kids, ",") != "k1,k2" || s.Keys.Result != "success" || s.Keys.Refreshed.IsZero() {
		t.Errorf("cert %+v keys %+v", s.Cert, s.Keys)
	}
	if !s.Packages[0].AtPin || s.Packages[1].AtPin || s.Packages[1].Pinned != "2.3-999-1" || s.Packages[3].Installed != "" {
		t.Errorf("packages %+v", s.Packages)
	}

	tests := []struct {
		name, fact, value, problem string
	}{
		{"stopped bridge", qUnits, "Id=jitsi-videobridge2.service\nLoadState=loaded\nActiveState=inactive\nSubState=dead\nActiveEnterTimestamp=", "jitsi-videobridge2 is inactive"},
		{"expiring certificate", qCert, "notAfter=Dec 10 12:00:00 2026 GMT", "expires in 9 day(s)"},
		{"no certificate", qCert, "", "no certificate readable"},
		{"unhealthy bridge", qBridge, "SASLError\n500", "the videobridge reports itself unhealthy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := healthyFacts()
			f[tt.fact] = tt.value
			s := st.Read(testHost(f))
			if s.Healthy() || !strings.Contains(strings.Join(s.Problems, "; "), tt.problem) {
				t.Errorf("problems %v, want %q", s.Problems, tt.problem)
			}
		})
	}
}

func withFact(f map[string]string, k, v string) map[string]string {
	f[k] = v
	return f
}

// A videobridge host is asked about its bridge only: no Prosody, Jicofo,
// certificate or Janssen keys, which it does not have, and so no problem
// for their absence.
func TestStatusVideobridgeHost(t *testing.T) {
	st := NewStatus(testConfig(t))
	h := installertest.NewHost("203.0.113.21", 22, map[string]string{
		qNow:      "1796090400",
		qUnits:    activeUnit("jitsi-videobridge2.service", "running", "Tue 2026-12-01 01:58:20 UTC"),
		qPackages: "jitsi-videobridge2\t2.3-200-g1c5e9d1f-1\tii \n",
		qPins:     string(pinFile("2.0.10078", map[string]string{"jitsi-videobridge2": "2.3-200-g1c5e9d1f-1"}, []string{"jitsi-videobridge2"})),
		qBridge:   `{"healthy":true,"conferences":1,"participants":2}` + "\n200",
	})
	h.Role = answers.RoleVideobridge
	var asked []string
	for _, q := range st.Queries(h) {
		asked = append(asked, q.Name)
		if strings.Contains(strings.Join(q.Args, " "), "prosody") {
			t.Errorf("a videobridge host is asked %v", q.Args)
		}
	}
	for _, q := range []string{qC2S, qMUC, qJicofo, qCert, qKeys, qTimer} {
		if slices.Contains(asked, q) {
			t.Errorf("a videobridge host is asked %s", q)
		}
	}
	s := st.Read(h)
	if !s.Healthy() || s.Role != answers.RoleVideobridge {
		t.Fatalf("healthy bridge: role %q, problems %v", s.Role, s.Problems)
	}
	if len(s.Services) != 1 || len(s.Packages) != 1 || !s.Packages[0].AtPin || s.Bridge == nil || s.Bridge.Conferences != 1 || s.Cert != nil || s.Keys != nil {
		t.Errorf("services %+v packages %+v bridge %+v cert %+v keys %+v", s.Services, s.Packages, s.Bridge, s.Cert, s.Keys)
	}
	h.SetFact(qUnits, installer.Probed{Out: "Id=jitsi-videobridge2.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nActiveEnterTimestamp="})
	if s := st.Read(h); s.Healthy() || !strings.Contains(strings.Join(s.Problems, "; "), "jitsi-videobridge2 is failed") {
		t.Errorf("failed bridge: problems %v", s.Problems)
	}
}
