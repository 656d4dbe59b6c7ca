package installer

import (
	"fmt"
	"strings"
	"testing"
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
