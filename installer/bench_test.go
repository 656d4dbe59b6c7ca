package installer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jitsi-installer/jitsi-installer/pkg/transport"
)

// BenchmarkBatchParse measures cutting a facts batch of 200 probes apart.
func BenchmarkBatchParse(b *testing.B) {
	frags := make([]string, 200)
	for i := range frags {
		frags[i] = "echo x"
	}
	bt := newBatch(nil, frags)
	var out strings.Builder
	for i := range frags {
		fmt.Fprintf(&out, "@@%s %d begin\n644 root root %s\n\n@@%s %d end 0\n", bt.nonce, i, strings.Repeat("a", 64), bt.nonce, i)
	}
	s := out.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := bt.parse(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanConverged plans a converged host of 100 and of 1,000 files
// through the local transport: the cost of a re-run that changes nothing,
// which should grow no faster than the number of resources.
func BenchmarkPlanConverged(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) { benchPlan(b, n) })
	}
}

func benchPlan(b *testing.B, n int) {
	dir := b.TempDir()
	var rs []Resource
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("f%04d.conf", i))
		content := []byte(strings.Repeat("line\n", 200))
		os.WriteFile(p, content, 0o644)
		rs = append(rs, &File{Path: p, Content: content, Mode: 0o644})
	}
	step := &testStep{name: "files", rs: func(*Host) []Resource { return rs }}
	target := Target{Name: "local", Dial: func(context.Context) (transport.Transport, error) { return transport.NewLocal(), nil }}
	b.ReportAllocs()
	for b.Loop() {
		e := &Engine{Steps: []Step{step}, Journal: filepath.Join(dir, "journal.json")}
		p := e.Plan(context.Background(), []Target{target})
		if p.HasChanges() || p.Err() != nil {
			b.Fatal("not converged", p.Err())
		}
		p.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/resource")
}
