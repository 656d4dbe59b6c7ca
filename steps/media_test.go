package steps

import (
	"errors"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/installer/installertest"
	"github.com/jitsi-installer/jitsi-installer/pkg/answers"
	"github.com/jitsi-installer/jitsi-installer/pkg/media"
)

// What the login script prints with --services: Prosody's answer as
// Python's ElementTree writes it, prefixes and all.
const loginOut = "pass: BOSH login through nginx, joined r1@conference.meet.example.com\n" +
	`services: <ns0:services xmlns:ns0="urn:xmpp:extdisco:2"><ns0:service type="stun" host="meet.example.com" port="3478" />` +
	`<ns0:service type="turn" host="meet.example.com" port="3478" transport="udp" username="1765170000" password="aGVsbG8gY3JlZGVudGlhbA==" restricted="1" />` +
	`<ns0:service type="turns" host="meet.example.com" port="5349" transport="tcp" username="1765170000" password="aGVsbG8gY3JlZGVudGlhbA==" restricted="1" /></ns0:services>` + "\n" +
	"pass: WebSocket login through nginx, joined r1@conference.meet.example.com"

func TestHandedOutTakesTheServicesLine(t *testing.T) {
	h := testHost(nil)
	var got handedOut
	out := got.take(h, loginOut)
	if strings.Contains(out, "services:") || strings.Contains(out, "aGVsbG8") || !strings.Contains(out, "WebSocket login") {
		t.Errorf("output left for the operator:\n%s", out)
	}
	for _, want := range turnServices(&answers.Config{Domain: "meet.example.com"}) {
		s, err := got.find(want.URI())
		if err != nil || s.Password != "aGVsbG8gY3JlZGVudGlhbA==" || s.Username != "1765170000" {
			t.Errorf("%s: %+v %v", want.URI(), s, err)
		}
	}
	if _, err := got.find("turns:meet.example.com:443?transport=tcp"); err == nil ||
		!strings.Contains(err.Error(), "it got: stun:meet.example.com:3478, turn:meet.example.com:3478, turns:meet.example.com:5349?transport=tcp") {
		t.Errorf("a service Prosody does not hand out: %v", err)
	}
	// A login that failed before asking: the TURN checks say so.
	got.take(h, "BOSH login with Janssen's token: Prosody refused the token: not-authorized")
	if _, err := got.find("turn:meet.example.com:3478"); err == nil || !strings.Contains(err.Error(), "see the login check") {
		t.Errorf("after a failed login: %v", err)
	}
}

// Each failure names the URI, what answered and the fix for its cause.
func TestTurnFailureHints(t *testing.T) {
	const tls, udp = "turns:meet.example.com:5349?transport=tcp", "turn:meet.example.com:3478"
	for _, c := range []struct {
		uri  string
		f    media.Failure
		says []string
	}{
		{tls, media.Failure{Stage: media.StageConnect, TLS: true, Answer: "TCP 203.0.113.7:5349: connection refused (nothing listens, or a firewall rejects it)"},
			[]string{tls + ": TCP 203.0.113.7:5349: connection refused", "fix: coturn's TLS listener", "journalctl -u coturn", "re-run install", "5349/tcp"}},
		{udp, media.Failure{Stage: media.StageConnect, Answer: "no TURN answer from 203.0.113.7:3478"},
			[]string{udp + ": no TURN answer", "systemctl status coturn", "3478/udp"}},
		{tls, media.Failure{Stage: media.StageTLS, TLS: true, Answer: "TLS on 203.0.113.7:5349: x509: certificate signed by unknown authority"},
			[]string{"/etc/coturn/certs", "deploy hook"}},
		{tls, media.Failure{Stage: media.StageCert, TLS: true, Answer: "the certificate on 203.0.113.7:5349 expires"},
			[]string{"certbot renew", "certbot.timer"}},
		{udp, media.Failure{Stage: media.StageAllocate, Code: 401, Answer: "the TURN server on 203.0.113.7:3478 refused the allocation: 401 Unauthorized"},
			[]string{"401 Unauthorized", "static-auth-secret", "external_service_secret"}},
		{udp, media.Failure{Stage: media.StageAllocate, Code: 486, Answer: "refused the allocation: 486 Allocation Quota Reached"},
			[]string{"user-quota"}},
	} {
		err := turnFailure(c.uri, &c.f)
		for _, s := range c.says {
			if err == nil || !strings.Contains(err.Error(), s) {
				t.Errorf("%s %s: %v, want it to say %q", c.uri, c.f.Stage, err, s)
			}
		}
	}
	// Named by the check: the answer and the fix only.
	if err := turnFailure("", &media.Failure{Stage: media.StageConnect, TLS: true, Answer: "TCP 203.0.113.7:5349: connection refused"}); err == nil ||
		!strings.HasPrefix(err.Error(), "TCP 203.0.113.7:5349: connection refused\nfix: coturn's TLS listener") {
		t.Errorf("a check's failure: %v", err)
	}
	if turnFailure(udp, nil) != nil {
		t.Error("a success is a failure")
	}
	if err := turnFailure(udp, errors.New("boom")); err == nil || err.Error() != udp+": boom" {
		t.Errorf("another error: %v", err)
	}
}

// With TURN on 443 verify allocates there too, checking the certificate as
// the TURN name; without coturn there is no such service.
func TestTurnServicesOn443(t *testing.T) {
	cfg := &answers.Config{Domain: "meet.example.com"}
	cfg.TURN.TLS443Host = "turn.meet.example.com"
	var got []string
	for _, s := range turnServices(cfg) {
		got = append(got, s.URI())
	}
	if len(got) != 2 {
		t.Errorf("without coturn: %v", got)
	}
	cfg.Jitsi.Turn = true
	got = got[:0]
	for _, s := range turnServices(cfg) {
		got = append(got, s.URI())
	}
	want := "turn:meet.example.com:3478, turns:meet.example.com:5349?transport=tcp, turns:turn.meet.example.com:443?transport=tcp"
	if strings.Join(got, ", ") != want {
		t.Errorf("services %v, want %s", got, want)
	}
}

// Through a port forward the SSH address is this machine's forward, not
// where clients reach the host: the checks from here are skipped, saying
// why, unless the domain resolves here.
func TestNoClientRouteThroughAForward(t *testing.T) {
	for _, tc := range []struct {
		port       int
		host, want string
	}{
		{22, "meet.nowhere.invalid", ""},
		{40477, "meet.nowhere.invalid", "SSH reaches the host through a forward (port 40477; its sshd listens on 22) and meet.nowhere.invalid does not resolve on this machine"},
		{40477, "localhost", ""},
		{40477, "10.213.1.1", "through a forward (port 40477"},
	} {
		h := installertest.NewHost("10.213.1.1", tc.port, map[string]string{factSSHPorts: "22"})
		got := noClientRoute(h, tc.host)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("port %d, %s: %q, want %q", tc.port, tc.host, got, tc.want)
		}
	}
	if c := mediaPortCheck(installertest.NewHost("10.213.1.1", 40477, map[string]string{factSSHPorts: "22"}), "10.213.1.1", ""); c.Skip == "" || c.Local != nil {
		t.Errorf("media port check through a forward: %+v", c)
	}
}

// Through a jump host the SSH address is where the jump host reaches the
// host: the checks from here aim at the domain when it resolves here, and
// are skipped, saying why, when it does not.
func TestNoClientRouteThroughAJumpHost(t *testing.T) {
	for _, tc := range []struct{ host, want string }{
		{"localhost", ""},
		{"meet.nowhere.invalid", "SSH reaches the host through the jump host 192.0.2.9:22 and meet.nowhere.invalid does not resolve on this machine"},
		{"10.0.0.5", "through the jump host 192.0.2.9:22"},
	} {
		h := installertest.NewHost("10.0.0.5", 22, map[string]string{factSSHPorts: "22"})
		h.Via = "192.0.2.9:22"
		if got := noClientRoute(h, tc.host); tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.host, got, tc.want)
		}
	}
}
