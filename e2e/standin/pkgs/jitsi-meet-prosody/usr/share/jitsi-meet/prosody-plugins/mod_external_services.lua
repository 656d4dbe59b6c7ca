-- XEP-0215 external service discovery (stand-in for the copy Jitsi ships
-- for Prosody 0.11, which lacks the module). Services with secret = true get
-- time-limited TURN credentials: username = expiry time, password =
-- base64(HMAC-SHA1(external_service_secret, username)), as coturn's
-- use-auth-secret expects.

local st = require "util.stanza";
local hmac_sha1 = require "util.hashes".hmac_sha1;
local base64 = require "util.encodings".base64.encode;

local services = module:get_option("external_services", {});
local secret = module:get_option_string("external_service_secret");
local default_ttl = module:get_option_number("external_service_ttl", 86400);

local function services_element(xmlns)
    local reply = st.stanza("services", { xmlns = xmlns });
    for _, srv in ipairs(services) do
        local attrs = {
            type = srv.type, host = srv.host, transport = srv.transport,
            port = srv.port and tostring(srv.port) or nil,
        };
        if srv.secret and secret then
            local expires = os.time() + (srv.ttl or default_ttl);
            attrs.username = string.format("%d", expires);
            attrs.password = base64(hmac_sha1(secret, attrs.username, false));
            attrs.expires = os.date("!%Y-%m-%dT%H:%M:%SZ", expires);
            attrs.restricted = "1";
        end
        reply:tag("service", attrs):up();
    end
    return reply;
end

local function handle(event)
    local origin, stanza = event.origin, event.stanza;
    local xmlns = stanza.tags[1].attr.xmlns;
    origin.send(st.reply(stanza):add_child(services_element(xmlns)));
    return true;
end

module:add_feature("urn:xmpp:extdisco:1");
module:add_feature("urn:xmpp:extdisco:2");
module:hook("iq-get/host/urn:xmpp:extdisco:1:services", handle);
module:hook("iq-get/host/urn:xmpp:extdisco:2:services", handle);
