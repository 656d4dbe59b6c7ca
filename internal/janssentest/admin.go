package janssentest

import (
	"encoding/json"
	"io"
	"net/http"
)

// MintRequest is the body of POST /mint on the admin API.
type MintRequest struct {
	Claims map[string]any `json:"claims"`
	Kid    string         `json:"kid,omitempty"`
	Alg    string         `json:"alg,omitempty"`
	Header map[string]any `json:"header,omitempty"`
}

// ClientRequest is the body of POST /clients on the admin API.
type ClientRequest struct {
	ID     string         `json:"id"`
	Secret string         `json:"secret"`
	Claims map[string]any `json:"claims,omitempty"`
}

// KeysResponse is the body GET /keys, POST /rotate and POST /retire answer.
type KeysResponse struct {
	Keys    []string `json:"keys"`    // oldest first
	Current string   `json:"current"` // the signing key
}

// AdminHandler lets tests in other processes drive the server. It has no
// authentication: serve it on a loopback-only listener.
//
//	POST /mint                 MintRequest -> the token as text/plain
//	POST /rotate               -> KeysResponse (Current is the new key)
//	POST /retire?kid=KID       -> KeysResponse
//	GET  /keys                 -> KeysResponse
//	POST /clients              ClientRequest -> 204
//	POST /registration-token   the token as the body ("" opens registration) -> 204
//	GET  /registrations        -> []Registration as JSON
//	POST /jwks-cache-control   the header value as the body ("" sends none) -> 204
//	POST /cors-allowed-origins ["https://a", ...] (corsAllowedOrigins) -> 204
func (s *Server) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mint", func(w http.ResponseWriter, r *http.Request) {
		var req MintRequest
		if !decode(w, r, &req) {
			return
		}
		tok, err := s.Mint(req.Claims, MintOptions{Kid: req.Kid, Alg: req.Alg, Header: req.Header})
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, tok)
	})
	mux.HandleFunc("POST /rotate", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := s.Rotate(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, http.StatusOK, s.keysResponse())
	})
	mux.HandleFunc("POST /retire", func(w http.ResponseWriter, r *http.Request) {
		if err := s.Retire(r.URL.Query().Get("kid")); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		writeJSON(w, http.StatusOK, s.keysResponse())
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.keysResponse())
	})
	mux.HandleFunc("POST /clients", func(w http.ResponseWriter, r *http.Request) {
		var req ClientRequest
		if !decode(w, r, &req) {
			return
		}
		if req.ID == "" || req.Secret == "" {
			http.Error(w, "id and secret are required", http.StatusBadRequest)
			return
		}
		s.AddClient(req.ID, req.Secret, req.Claims)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /registration-token", setText(s.SetRegistrationToken))
	mux.HandleFunc("POST /jwks-cache-control", setText(s.SetJWKSCacheControl))
	mux.HandleFunc("POST /cors-allowed-origins", func(w http.ResponseWriter, r *http.Request) {
		var origins []string
		if !decode(w, r, &origins) {
			return
		}
		s.SetCORSAllowedOrigins(origins...)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /registrations", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.Registrations())
	})
	return mux
}

func (s *Server) keysResponse() KeysResponse {
	kids := s.Keys()
	return KeysResponse{Keys: kids, Current: kids[len(kids)-1]}
}

// setText handles a POST whose body is a short text value for set.
func setText(set func(string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 4096))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		set(string(b))
		w.WriteHeader(http.StatusNoContent)
	}
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		http.Error(w, "bad JSON body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
