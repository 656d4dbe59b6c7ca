package installer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// ProbeBatch runs probe fragments in one round trip, as the engine runs
// the probes of a host's resources, and returns what each printed.
func ProbeBatch(ctx context.Context, t transport.Transport, preludes, fragments []string) ([]Probed, error) {
	return probeBatch(ctx, t, preludes, fragments)
}

// probeBatch runs many probe fragments in one round trip.
func probeBatch(ctx context.Context, t transport.Transport, preludes, fragments []string, costs ...int) ([]Probed, error) {
	if len(fragments) == 0 {
		return nil, nil
	}
	b := newBatch(preludes, fragments, costs...)
	// The script goes on stdin: it may be larger than a command line allows.
	res, err := t.Run(ctx, transport.Cmd{Args: []string{"sh", "-s"}, Stdin: []byte(b.script), Sudo: true})
	if err != nil {
		return nil, err // the callers say what the batch was for
	}
	probed, err := b.parse(string(res.Stdout))
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w (exit %d: %s)", err, res.ExitCode, lastLines(strings.TrimSpace(string(res.Stderr)), 5))
	}
	return probed, nil
}

// lanes is how many fragments of a batch run at the same time. Probes
// mostly wait (for a process to start, for systemd, for the disk): a few
// lanes keep a small host's cores busy without a process storm on a
// thousand files.
const lanes = 8

// batch is a script of fragments. Each fragment runs in its own subshell,
// in one of a few lanes that run side by side; its stdout is cut out of the
// combined output between markers that carry a random nonce, so no probe
// output can forge a marker.
type batch struct {
	script string
	nonce  string
	n      int
}

// newBatch builds the script; costs, when given, estimate each fragment's
// time (1 for a few shell builtins) so the lanes end together.
func newBatch(preludes, fragments []string, costs ...int) batch {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	n := hex.EncodeToString(nonce)
	var b strings.Builder
	b.WriteString("export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
	// $BATCH_DIR holds what the lanes print, and facts preludes gather for
	// probes. Without it (no writable /tmp) the lanes run one after the
	// other and the probes ask for their facts themselves.
	b.WriteString("BATCH_DIR=$(mktemp -d 2>/dev/null) && trap 'rm -rf \"$BATCH_DIR\"' EXIT || BATCH_DIR=\n")
	seen := map[string]bool{}
	for _, p := range preludes {
		if !seen[p] {
			seen[p] = true
			b.WriteString(p + "\n")
		}
	}
	k := min(lanes, len(fragments))
	for l, frags := range laneOf(k, fragments, costs) {
		fmt.Fprintf(&b, "lane%d() {\n", l)
		for _, i := range frags {
			fmt.Fprintf(&b, "printf '@@%s %d begin\\n'\n( %s\n) </dev/null 2>/dev/null\nprintf '\\n@@%s %d end %%d\\n' $?\n", n, i, fragments[i], n, i)
		}
		b.WriteString("}\n")
	}
	// Each lane writes to its own file; they are printed once all ended.
	b.WriteString("if [ -n \"$BATCH_DIR\" ]; then\n")
	for l := range k {
		fmt.Fprintf(&b, "lane%d >\"$BATCH_DIR/lane%d\" &\n", l, l)
	}
	b.WriteString("wait; cat \"$BATCH_DIR\"/lane*\nelse\n")
	for l := range k {
		fmt.Fprintf(&b, "lane%d\n", l)
	}
	b.WriteString("fi\n")
	return batch{script: b.String(), nonce: n, n: len(fragments)}
}

// laneOf spreads the fragments over k lanes, the costliest first, each to
// the lane with the least so far; within a lane the costliest run first.
func laneOf(k int, fragments []string, costs []int) [][]int {
	cost := func(i int) int {
		if i < len(costs) && costs[i] > 0 {
			return costs[i]
		}
		return 1
	}
	order := make([]int, len(fragments))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return cost(order[a]) > cost(order[b]) })
	out, load := make([][]int, k), make([]int, k)
	for _, i := range order {
		l := 0
		for j := range k {
			if load[j] < load[l] {
				l = j
			}
		}
		out[l], load[l] = append(out[l], i), load[l]+cost(i)
	}
	return out
}

// parse cuts the output into each fragment's, in any order.
func (b batch) parse(out string) ([]Probed, error) {
	probed := make([]Probed, b.n)
	seen := make([]bool, b.n)
	marker := "@@" + b.nonce + " "
	begun, at := -1, 0
	for {
		m := strings.Index(out[at:], marker)
		if m < 0 {
			break
		}
		m += at
		line := out[m+len(marker):]
		nl := strings.IndexByte(line, '\n')
		if nl < 0 {
			nl = len(line)
		}
		f := strings.Fields(line[:nl])
		at = m + len(marker) + nl
		if len(f) < 2 {
			continue
		}
		i, err := strconv.Atoi(f[0])
		if err != nil || i < 0 || i >= b.n {
			continue
		}
		switch {
		case f[1] == "begin":
			begun, at = i, min(at+1, len(out))
			probed[i].Out = ""
			probed[i].Code = at // where its output starts
		case f[1] == "end" && begun == i && len(f) == 3:
			start := probed[i].Code
			code, _ := strconv.Atoi(f[2])
			probed[i] = Probed{Out: out[start : m-1], Code: code}
			seen[i], begun = true, -1
		}
	}
	for i, ok := range seen {
		if !ok {
			if strings.Contains(out, fmt.Sprintf("%s%d begin\n", marker, i)) {
				return nil, fmt.Errorf("probe %d did not finish", i)
			}
			return nil, fmt.Errorf("output of probe %d missing", i)
		}
	}
	return probed, nil
}

// probeCost is a resource's ProbeCost, 1 for one that says none.
func probeCost(r Resource) int {
	if c, ok := r.(Coster); ok {
		return c.ProbeCost()
	}
	return 1
}
