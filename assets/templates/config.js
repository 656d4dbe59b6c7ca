// Jitsi Meet configuration for {{.Domain}}, written by jitsi-installer; local
// changes are replaced on the next run. Every option: config.js in jitsi-meet.

var config = {
    hosts: {
        // XMPP domain.
        domain: {{js .Domain}},

        // XMPP MUC domain.
        muc: {{js (print "conference." .Domain)}}
    },

    // BOSH URL.
    bosh: {{js (print "https://" .Domain "/http-bind")}},

    // Websocket URL (XMPP over WebSocket).
    websocket: {{js (print "wss://" .Domain "/xmpp-websocket")}},

    // Number of participants whose video is forwarded to each client (-1: all).
    channelLastN: {{.ChannelLastN}},

    // Peer-to-peer mode for calls between two participants.
    p2p: {
        enabled: true{{if .StunServers}},
        stunServers: [
{{- range $i, $s := .StunServers}}{{if $i}},{{end}}
            { urls: {{js (print "stun:" $s)}} }
{{- end}}
        ]{{end}}
    },

{{if or .Shard .Region .Environment}}    // Reported in analytics and logs; region also guides bridge selection.
    deploymentInfo: {
{{- $first := true}}
{{- with .Shard}}{{if not $first}},{{end}}{{$first = false}}
        shard: {{js .}}
{{- end}}
{{- with .Region}}{{if not $first}},{{end}}{{$first = false}}
        region: {{js .}},
        userRegion: {{js .}}
{{- end}}
{{- with .Environment}}{{if not $first}},{{end}}{{$first = false}}
        environment: {{js .}},
        envType: {{js .}}
{{- end}}
    },

{{end}}    // Sign-in with Janssen: OpenID Connect authorization code flow with PKCE.
    // The client fills in {state} and {code_challenge} (the verifier stays in
    // sessionStorage); Janssen returns to static/sso.html, which exchanges the
    // code at sso.tokenService and joins the room with the access token.
    // Inline mode: the web client adds the nonce itself.
    tokenAuthUrl: {{js .TokenAuthURL}},
    tokenAuthInline: true,
{{- if .TokenLogoutURL}}
    tokenLogoutUrl: {{js .TokenLogoutURL}},
{{- end}}
    sso: {
        tokenService: {{js .TokenService}},
        clientId: {{js .ClientID}}
    },

    prejoinConfig: {
        enabled: true
    },

    // Rooms are named in the address bar or on the welcome page.
    enableWelcomePage: true
};
