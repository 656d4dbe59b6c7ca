package janssentest

import (
	"net/http"
	"slices"
	"strings"
)

// Janssen's CORS filter (jans-auth-server's CorsFilter on Tomcat's) allows
// these methods and request headers by default.
var (
	corsMethods = []string{"GET", "POST", "HEAD", "OPTIONS"}
	corsHeaders = []string{"origin", "accept", "x-requested-with", "content-type",
		"access-control-request-method", "access-control-request-headers"}
)

// SetCORSAllowedOrigins sets Janssen's corsAllowedOrigins (its
// corsConfigurationFilters): the origins whose pages may call the endpoints
// from a browser. "*" allows any, Janssen's default. A client's own
// authorized_origins, when it has any, replace the list for requests that
// name the client (client_id).
func (s *Server) SetCORSAllowedOrigins(origins ...string) {
	store(s, &s.corsOrigins, append([]string(nil), origins...))
}

// cors is Janssen's CORS filter: a cross-origin request from an origin it
// does not allow is refused with 403 and no CORS headers, which a browser
// reports as a network error; an allowed one gets its origin back with
// credentials allowed (corsSupportCredentials).
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || origin == s.issuer {
			next.ServeHTTP(w, r)
			return
		}
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !s.originAllowed(r, origin, preflight) {
			http.Error(w, "CORS request rejected", http.StatusForbidden)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if !preflight {
			next.ServeHTTP(w, r)
			return
		}
		if !slices.Contains(corsMethods, r.Header.Get("Access-Control-Request-Method")) {
			http.Error(w, "CORS request rejected", http.StatusForbidden)
			return
		}
		for _, name := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" && !slices.Contains(corsHeaders, name) {
				http.Error(w, "CORS request rejected", http.StatusForbidden)
				return
			}
		}
		h.Set("Access-Control-Allow-Methods", strings.Join(corsMethods, ","))
		h.Set("Access-Control-Allow-Headers", strings.Join(corsHeaders, ","))
		h.Set("Access-Control-Max-Age", "1800")
		w.WriteHeader(http.StatusOK)
	})
}

// originAllowed: the authorized origins of the client the request names
// (client_id in the query or form body), when it has any, else
// corsAllowedOrigins. A preflight carries no body, so only the global list
// applies to it, as in Janssen.
func (s *Server) originAllowed(r *http.Request, origin string, preflight bool) bool {
	var id string
	if !preflight {
		r.ParseForm()
		id = r.Form.Get("client_id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	allowed := s.corsOrigins
	if c, ok := s.clients[id]; ok && id != "" {
		if own := stringList(c.meta["authorized_origins"]); len(own) > 0 {
			allowed = own
		}
	}
	return slices.Contains(allowed, "*") || slices.Contains(allowed, origin)
}

// stringList reads a JSON array of strings; anything else is empty.
func stringList(v any) []string {
	var out []string
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		for _, e := range l {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
	}
	return out
}
