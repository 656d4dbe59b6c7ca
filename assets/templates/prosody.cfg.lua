-- Prosody configuration for {{.Domain}}: Jitsi Meet with Janssen tokens.
-- Written by jitsi-installer from the jitsi-meet-prosody template; local changes
-- are replaced on the next run. Lines jitsi-meet-prosody and jitsi-meet-tokens
-- look for on upgrades are kept as they write them, so upgrades leave this file alone.

-- Since Prosody 13 component admins are not room owners; Jicofo must own the rooms.
component_admins_as_room_owners = true
{{- if .XMPPFrom}}
-- Remote videobridges log in as jvb@auth.{{.Domain}} from:{{range .XMPPFrom}} {{.}}{{end}}
{{- end}}

plugin_paths = { "/usr/share/jitsi-meet/prosody-plugins/" }

-- domain mapper options, must at least have domain base set to use the mapper
muc_mapper_domain_base = {{lua .Domain}};
{{- if .TURN}}

external_service_secret = {{lua .TURNSecret}};
external_services = {
     { type = "stun", host = {{lua .Domain}}, port = 3478 },
     { type = "turn", host = {{lua .Domain}}, port = 3478, transport = "udp", secret = true, ttl = 86400, algorithm = "turn" },
     { type = "turns", host = {{lua .Domain}}, port = {{.TURNTLSPort}}, transport = "tcp", secret = true, ttl = 86400, algorithm = "turn" }
{{- if .TURN443Host}},
     -- for networks that allow only 443: nginx passes this name to coturn
     { type = "turns", host = {{lua .TURN443Host}}, port = 443, transport = "tcp", secret = true, ttl = 86400, algorithm = "turn" }
{{- end}}
};
{{- end}}

-- Only the web client on https://{{.Domain}} talks to BOSH and WebSocket, through
-- nginx, so no CORS is needed (Prosody 0.12 dropped cross_domain_* for http_cors).
-- Their sessions are not considered secure (no consider_bosh_secure): the web
-- client signs in with a token on {{.Domain}}, which allows that, while
-- auth.{{.Domain}} (c2s_require_encryption, on by default) offers no password
-- login to them. Jicofo and the bridges sign in there over c2s with STARTTLS.

-- Prosody's HTTP server (BOSH, WebSocket) on loopback only, where nginx
-- reaches it; no HTTPS port (5281).
http_interfaces = { "127.0.0.1" }
https_ports = { }

-- Debian's prosody.cfg.lua loads these for every host; a meeting server needs
-- none: in-band registration and password changes, invitations, and
-- administration through ad-hoc commands (prosodyctl shell still works).
{{- if not .Federation}}
-- No federation either: no server-to-server listener (5269), no connections
-- to other XMPP servers (jitsi.federation in the answers turns it on).
{{- end}}
modules_disabled = {
{{- if not .Federation}}
    "s2s";
    "dialback";
{{- end}}
    "register";
    "invites";
    "invites_adhoc";
    "invites_register";
    "admin_adhoc";
}

-- https://ssl-config.mozilla.org/ intermediate configuration
ssl = {
    protocol = "tlsv1_2+";
    ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"
}

unlimited_jids = {
    {{lua (print "focus@auth." .Domain)}},
    {{lua (print "jvb@auth." .Domain)}}
}

-- https://prosody.im/doc/modules/mod_smacks
smacks_max_unacked_stanzas = 5;
smacks_hibernation_time = 60;
smacks_max_old_sessions = 1;

-- Debian's prosody.cfg.lua declares this host for its example setup.
VirtualHost "localhost"
    enabled = false

VirtualHost {{lua .Domain}}
    -- Every user needs a token issued by Janssen (jitsi-meet-tokens' mod_auth_token).
    authentication = "token" -- do not delete me
    app_id = {{lua .AppID}}
    asap_accepted_issuers = { {{lua .Issuer}} }
    asap_accepted_audiences = { {{lua .Audience}} }
{{- if not .KeyServerMode}}
    -- Janssen's RSA signing keys as a JWKS, on loopback: the installer's timer
    -- copies them from Janssen's JWKS, which also holds keys the plugin cannot
    -- read (EC, encryption). Re-read as its Cache-Control says.
    cache_keys_url = {{lua (print .KeyServerBase "/" .JWKSFile)}}
{{- end}}
    -- A key not in that JWKS (yet) is fetched from here as hex(sha256(kid)).pem:
    -- a key Janssen starts publishing works within a timer period, an unknown
    -- one is refused at once.
    asap_key_server = {{lua .KeyServerBase}}
    asap_require_room_claim = true
    enable_domain_verification = true
    allow_empty_token = false
    ssl = {
        key = {{lua (prosodyCert .Domain).Key}};
        certificate = {{lua (prosodyCert .Domain).Cert}};
    }
    modules_enabled = {
        "bosh";
        "websocket";
        "smacks"; -- XEP-0198: Stream Management
        "ping"; -- Enable mod_ping
        "pubsub";
{{- if .TURN}}
        "external_services";
{{- end}}
{{- range .Present "features_identity" "conference_duration" "muc_lobby_rooms" "muc_breakout_rooms"}}
        {{lua .}};
{{- end}}
    }
    c2s_require_encryption = false
{{- if .Has "muc_lobby_rooms"}}
    lobby_muc = {{lua (print "lobby." .Domain)}}
{{- end}}
{{- if .Has "muc_breakout_rooms"}}
    breakout_rooms_muc = {{lua (print "breakout." .Domain)}}
{{- end}}
    main_muc = {{lua (print "conference." .Domain)}}
    -- The plugins (breakout rooms, is_admin) read the admins of this host.
    admins = { {{lua (print "focus@auth." .Domain)}} }

Component {{lua (print "conference." .Domain)}} "muc"
    restrict_room_creation = true
    storage = "memory"
    modules_enabled = {
{{- template "room-modules" .}}
        -- checks the token's room (and sub) on every join
        "token_verification";
{{- if .Has "muc_password_whitelist"}}
        "muc_password_whitelist";
{{- end}}
    }
    admins = { {{lua (print "focus@auth." .Domain)}} }
{{- if .Has "muc_password_whitelist"}}
    muc_password_whitelist = {
        {{lua (print "focus@auth." .Domain)}}
    }
{{- end}}
    muc_room_locking = false
    muc_room_default_public_jids = true
{{- if .Has "muc_breakout_rooms"}}

Component {{lua (print "breakout." .Domain)}} "muc"
    restrict_room_creation = true
    storage = "memory"
    modules_enabled = {
{{- template "room-modules" .}}
    }
    admins = { {{lua (print "focus@auth." .Domain)}} }
    muc_room_locking = false
    muc_room_default_public_jids = true
{{- end}}

-- internal muc component, the bridges' brewery
Component {{lua (print "internal.auth." .Domain)}} "muc"
    storage = "memory"
    modules_enabled = {
{{- if .Has "muc_hide_all"}}
        "muc_hide_all";
{{- end}}
        "ping";
    }
    admins = { {{lua (print "focus@auth." .Domain)}}, {{lua (print "jvb@auth." .Domain)}} }
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_room_cache_size = 1000

-- Accounts of Jicofo and the bridges. This certificate is Prosody's own and stays
-- as the package made it: Jicofo and the bridges trust it through the system CA store.
VirtualHost {{lua (print "auth." .Domain)}}
    -- Password logins over TLS only: never over BOSH or WebSocket (above).
    c2s_require_encryption = true
    ssl = {
        key = {{lua (prosodyCert (print "auth." .Domain)).Key}};
        certificate = {{lua (prosodyCert (print "auth." .Domain)).Cert}};
    }
    modules_enabled = {
{{- if .Has "limits_exception"}}
        "limits_exception";
{{- end}}
        "ping";
    }
    authentication = "internal_hashed"

-- Proxy to jicofo's user JID, so that it doesn't have to register as a component.
Component {{lua (print "focus." .Domain)}} "client_proxy"
    target_address = {{lua (print "focus@auth." .Domain)}}
{{- range .MUCComponents}}

Component {{lua (print .Subdomain "." $.Domain)}} {{lua .Module}}
    muc_component = {{lua (print "conference." $.Domain)}}
{{- end}}
{{- if .Has "muc_lobby_rooms"}}

Component {{lua (print "lobby." .Domain)}} "muc"
    storage = "memory"
    restrict_room_creation = true
    muc_room_locking = false
    muc_room_default_public_jids = true
    modules_enabled = {
{{- range .Present "muc_hide_all" "muc_rate_limit"}}
        {{lua .}};
{{- end}}
    }
{{- end}}
{{- if .Has "room_metadata_component"}}

Component {{lua (print "metadata." .Domain)}} "room_metadata_component"
    muc_component = {{lua (print "conference." .Domain)}}
{{- if .Has "muc_breakout_rooms"}}
    breakout_rooms_component = {{lua (print "breakout." .Domain)}}
{{- end}}
{{- end}}
{{- if .Has "polls_component"}}

Component {{lua (print "polls." .Domain)}} "polls_component"
{{- end}}
{{- /* The optional modules of the rooms people meet in (conference and breakout MUCs). */}}
{{- define "room-modules"}}
{{- range .Present "muc_hide_all" "muc_meeting_id" "muc_domain_mapper" "muc_rate_limit"}}
        {{lua .}};
{{- end}}
        --"polls"; -- the polls component replaces the module (jitsi-meet-prosody looks for this line)
{{- end}}
