package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A download whose hash is not the pinned one is an error, never a key.
func TestFetchPinned(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/keyring.deb" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("keyring"))
	}))
	defer srv.Close()
	sum := sha256.Sum256([]byte("keyring"))
	good := hex.EncodeToString(sum[:])
	ctx := context.Background()
	if b, err := fetchPinned(ctx, srv.URL+"/keyring.deb", good); err != nil || string(b) != "keyring" {
		t.Fatalf("pinned = %q, %v", b, err)
	}
	if _, err := fetchPinned(ctx, srv.URL+"/keyring.deb", strings.Repeat("0", 64)); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("mismatch: %v, want a SHA-256 error", err)
	}
	if _, err := fetchPinned(ctx, srv.URL+"/gone.deb", good); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing: %v, want 404", err)
	}
}
