package installer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// RunTag is the environment variable every command of a run carries on the
// host (value: the run id), so that the run's processes, and the children
// they start (dpkg under apt, maintainer scripts), can be found and stopped
// when the run ends without finishing.
const RunTag = "JITSI_INSTALLER_RUN"

// Heartbeat timing of the lock: the installer writes a byte every
// lockBeat; the host gives the run up after lockSilence without one (a dead
// link: the installer is gone or cannot reach the host).
const (
	lockBeat    = 10 * time.Second
	lockSilence = 60 * time.Second
)

// lockScript holds the host's lock for one run, as root. Arguments: the lock
// file, the run id, who runs it (user@machine), seconds to wait for a busy
// lock, the length of the query batch, which comes first on stdin (it may be
// long, and is kept off command lines), and the run tag. It prints "busy HOLDER" when another
// run holds the lock, then "refused" or "locked PREVIOUS" (a holder line left
// behind means that run died without releasing), then the batch's output and
// "@@held RUN". It keeps the lock while the installer writes heartbeats to
// its stdin; on end of input or silence it stops every process of the run
// still alive, clears the holder line and exits, which releases the lock. A
// lock whose holder died is released by the kernel with its descriptor.
const lockScript = `umask 077
lock=$1 run=$2 who=$3 wait=$4 size=$5 tag=$6
batch=$(head -c "$size")
mkdir -p -- "${lock%/*}"
exec 9>>"$lock" || exit 1
if ! flock -n 9; then
	echo "busy $(head -n1 "$lock")"
	if [ "$wait" -le 0 ] || ! flock -w "$wait" 9; then echo refused; exit 0; fi
fi
echo "locked $(head -n1 "$lock")"
printf '%s %s %s\n' "$run" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$who" >"$lock"
sh -c "$batch" </dev/null 2>/dev/null
echo "@@held $run"
trap '' HUP PIPE INT TERM
while [ "$(timeout ` + "SILENCE" + ` head -c 1 | wc -c)" = 1 ]; do :; done
exec >/dev/null 2>&1 </dev/null
` + killTagged + `
stop_tagged
: >"$lock"
`

// killTagged defines stop_tagged: TERM, then KILL after 5 s, every process
// whose environment has "$tag" (RunTag=RUN).
const killTagged = `tagged() { for f in /proc/[0-9]*/environ; do grep -qzx -- "$tag" "$f" 2>/dev/null && { f=${f%/environ}; echo "${f#/proc/}"; }; done; }
stop_tagged() {
	p=$(tagged); [ -n "$p" ] || return 0
	kill -TERM $p 2>/dev/null; i=0
	while [ $i -lt 10 ] && [ -n "$(tagged)" ]; do sleep 0.5; i=$((i+1)); done
	p=$(tagged); [ -z "$p" ] || kill -KILL $p 2>/dev/null; return 0
}`

// LockedError means another run holds the host's lock.
type LockedError struct {
	Host   string
	Holder string // "RUN-ID SINCE USER@MACHINE", or empty when unknown
	Waited time.Duration
}

func (e *LockedError) Error() string {
	who := holderText(e.Holder)
	if e.Waited > 0 {
		return fmt.Sprintf("%s: still locked by %s after waiting %s", e.Host, who, e.Waited)
	}
	return fmt.Sprintf("%s: locked by %s", e.Host, who)
}

// holderText describes a holder line of the lock file.
func holderText(holder string) string {
	if f := strings.Fields(holder); len(f) == 3 {
		return fmt.Sprintf("run %s of %s (since %s)", f[0], f[2], f[1])
	}
	return "another run"
}

// hostLock is the lock a run holds on a host while it plans and applies.
type hostLock struct {
	held *transport.Held
	stop chan struct{}
}

func (e *Engine) lockPath() string { return path.Join(path.Dir(e.journalPath()), "lock") }

// lockAndQuery takes the host's lock and answers the queries under it, in
// one round trip. Transports that cannot hold a command answer the queries
// without a lock.
func (e *Engine) lockAndQuery(ctx context.Context, hp *HostPlan) error {
	h := hp.Host
	ht, ok := h.T.(transport.Holder)
	if !ok {
		return e.query(ctx, h)
	}
	queries := e.queries(h)
	frags := make([]string, len(queries))
	for i, q := range queries {
		frags[i] = sh(q.Args...)
	}
	b := newBatch(nil, frags)
	script := strings.Replace(lockScript, "SILENCE", strconv.Itoa(int(lockSilence.Seconds())), 1)
	wait := int(e.LockWait.Round(time.Second).Seconds())
	held, err := ht.Hold(ctx, transport.Cmd{Sudo: true, Args: []string{"sh", "-c", script, "sh",
		e.lockPath(), e.RunID, or(e.Operator, "unknown"), strconv.Itoa(wait), strconv.Itoa(len(b.script)), RunTag + "=" + e.RunID}})
	if err != nil {
		return &StepError{Host: h.Name, Step: "lock", Err: err}
	}
	// Nothing else is written before the lock is held: heartbeats start
	// after, so head(1) cannot swallow one.
	if _, err := io.WriteString(held, b.script); err != nil {
		_, _ = held.Close(5 * time.Second)
		return &StepError{Host: h.Name, Step: "lock", Err: fmt.Errorf("send the queries: %w", err)}
	}
	lk := &hostLock{held: held, stop: make(chan struct{})}
	fail := func(err error) error {
		_, _ = held.Close(5 * time.Second)
		return err
	}
	// Ctrl+C while waiting for the lock, or the facts, ends the wait.
	unwatch := context.AfterFunc(ctx, func() { _, _ = held.Close(0) })
	defer unwatch()
	r := bufio.NewReader(held.Stdout)
	line, err := r.ReadString('\n')
	if strings.HasPrefix(line, "busy ") {
		holder := strings.TrimSpace(strings.TrimPrefix(line, "busy "))
		if wait > 0 {
			h.Warn("the host is locked by %s: waiting up to %s", holderText(holder), e.LockWait)
		}
		line, err = r.ReadString('\n')
		if strings.TrimSpace(line) == "refused" {
			return fail(&LockedError{Host: h.Name, Holder: holder, Waited: e.LockWait})
		}
	}
	if !strings.HasPrefix(line, "locked") {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return fail(&StepError{Host: h.Name, Step: "lock", Err: lockFailure(line, err, held)})
	}
	if prev := strings.TrimSpace(strings.TrimPrefix(line, "locked")); prev != "" {
		h.Warn("the host's lock was left by %s, which ended without releasing it: taken over", holderText(prev))
	}
	var out strings.Builder
	end := "@@held " + e.RunID + "\n"
	for {
		line, err := r.ReadString('\n')
		if line == end {
			break
		}
		out.WriteString(line)
		if err != nil {
			return fail(&StepError{Host: h.Name, Step: "gather facts", Err: lockFailure("", err, held)})
		}
	}
	res, err := b.parse(out.String())
	if err != nil {
		return fail(&StepError{Host: h.Name, Step: "gather facts", Err: err})
	}
	facts := map[string]Probed{}
	for i, q := range queries {
		facts[q.Name] = res[i]
	}
	h.setFacts(facts)
	go lk.beat(r)
	hp.lock = lk
	return nil
}

// lockFailure says why the lock script ended unexpectedly.
func lockFailure(line string, err error, held *transport.Held) error {
	if err == io.EOF {
		<-held.Done()
		if _, werr := held.Close(0); werr != nil {
			return fmt.Errorf("take the lock: %w", werr)
		}
		return errors.New("take the lock: the lock script ended early (is flock installed?)")
	}
	if err != nil {
		return fmt.Errorf("take the lock: %w", err)
	}
	return fmt.Errorf("take the lock: unexpected %q", strings.TrimSpace(line))
}

// beat keeps the lock alive until release, and drains its output.
func (lk *hostLock) beat(r io.Reader) {
	go func() { _, _ = io.Copy(io.Discard, r) }()
	t := time.NewTicker(lockBeat)
	defer t.Stop()
	for {
		select {
		case <-lk.stop:
			return
		case <-lk.held.Done():
			return
		case <-t.C:
			if _, err := lk.held.Write([]byte{'\n'}); err != nil {
				return
			}
		}
	}
}

// lost reports whether the host gave the lock up (the installer was
// suspended, or the link stalled, for longer than lockSilence).
func (lk *hostLock) lost() bool {
	if lk == nil {
		return false
	}
	select {
	case <-lk.held.Done():
		return true
	default:
		return false
	}
}

// release ends the lock: the host stops what is left of the run's commands
// and lets the next run in.
func (lk *hostLock) release() {
	if lk == nil {
		return
	}
	close(lk.stop)
	_, _ = lk.held.Close(15 * time.Second)
}
