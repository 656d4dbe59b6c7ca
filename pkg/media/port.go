package media

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"

	"github.com/pion/stun/v3"
)

// UDPPortOpen sends STUN binding requests to host:port over UDP and fails
// when the host refuses them (ICMP port unreachable: nothing listens, or
// a firewall rejects). A media port that is open stays silent to a
// request without an ICE session's credentials, as a firewall that drops
// it does: silence passes, and the host's own firewall rules tell the two
// apart. An answer passes too.
func UDPPortOpen(ctx context.Context, host string, port int, fallback string, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait+5*time.Second)
	defer cancel()
	addr, err := resolve(ctx, host, port, fallback)
	if err != nil {
		return err
	}
	c, err := (&net.Dialer{}).DialContext(ctx, "udp", addr)
	if err != nil {
		return &Failure{Stage: StageConnect, Addr: addr, Answer: "UDP " + addr + ": " + err.Error(), Err: err}
	}
	defer c.Close()
	req, err := stun.Build(stun.TransactionID, stun.BindingRequest, stun.Fingerprint)
	if err != nil {
		return err
	}
	buf := make([]byte, 1500)
	end := time.Now().Add(wait)
	// A few requests: the ICMP answer to one arrives as the error of a
	// later read or write on the connected socket.
	for time.Now().Before(end) {
		_, werr := c.Write(req.Raw)
		_ = c.SetReadDeadline(time.Now().Add(wait / 4))
		_, rerr := c.Read(buf)
		for _, err := range []error{werr, rerr} {
			if errors.Is(err, syscall.ECONNREFUSED) {
				return &Failure{Stage: StageConnect, Addr: addr, Answer: "UDP " + addr + ": port unreachable (nothing listens, or a firewall rejects it)", Err: err}
			}
		}
		if rerr == nil {
			return nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil
}
