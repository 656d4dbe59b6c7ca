package installer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// probeBatch runs many probe fragments in one round trip.
func probeBatch(ctx context.Context, t transport.Transport, preludes, fragments []string) ([]Probed, error) {
	if len(fragments) == 0 {
		return nil, nil
	}
	b := newBatch(preludes, fragments)
	// The script goes on stdin: it may be larger than a command line allows.
	res, err := t.Run(ctx, transport.Cmd{Args: []string{"sh", "-s"}, Stdin: []byte(b.script), Sudo: true})
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w", err)
	}
	probed, err := b.parse(string(res.Stdout))
	if err != nil {
		return nil, fmt.Errorf("gather facts: %w (exit %d: %s)", err, res.ExitCode, lastLines(strings.TrimSpace(string(res.Stderr)), 5))
	}
	return probed, nil
}

// batch is a script of fragments. Each fragment runs in its own subshell;
// its stdout is cut out of the combined output between markers that carry
// a random nonce, so no probe output can forge a marker.
type batch struct {
	script string
	nonce  string
	n      int
}

func newBatch(preludes, fragments []string) batch {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	n := hex.EncodeToString(nonce)
	var b strings.Builder
	b.WriteString("export LC_ALL=C PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n")
	seen := map[string]bool{}
	for _, p := range preludes {
		if !seen[p] {
			seen[p] = true
			b.WriteString(p + "\n")
		}
	}
	for i, f := range fragments {
		fmt.Fprintf(&b, "printf '@@%s %d begin\\n'\n( %s\n) </dev/null 2>/dev/null\nprintf '\\n@@%s %d end %%d\\n' $?\n", n, i, f, n, i)
	}
	return batch{script: b.String(), nonce: n, n: len(fragments)}
}

func (b batch) parse(out string) ([]Probed, error) {
	probed := make([]Probed, b.n)
	for i := range b.n {
		begin := fmt.Sprintf("@@%s %d begin\n", b.nonce, i)
		endPrefix := fmt.Sprintf("\n@@%s %d end ", b.nonce, i)
		bi := strings.Index(out, begin)
		if bi < 0 {
			return nil, fmt.Errorf("output of probe %d missing", i)
		}
		rest := out[bi+len(begin):]
		ei := strings.Index(rest, endPrefix)
		if ei < 0 {
			return nil, fmt.Errorf("probe %d did not finish", i)
		}
		codeStr := rest[ei+len(endPrefix):]
		if nl := strings.IndexByte(codeStr, '\n'); nl >= 0 {
			codeStr = codeStr[:nl]
		}
		code, _ := strconv.Atoi(codeStr)
		probed[i] = Probed{Out: rest[:ei], Code: code}
		out = rest[ei:]
	}
	return probed, nil
}
