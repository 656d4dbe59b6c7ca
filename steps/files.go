package steps

import (
	"os"
	"sync"
)

var (
	localMu    sync.Mutex
	localFiles = map[string]string{}
)

// caBundle returns the PEM text of a local CA bundle named in the answers
// file ("" when none). The loader has already checked it is readable.
func caBundle(path string) string {
	if path == "" {
		return ""
	}
	localMu.Lock()
	defer localMu.Unlock()
	if s, ok := localFiles[path]; ok {
		return s
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	localFiles[path] = string(b)
	return string(b)
}
