-- Token authentication (stand-in for Jitsi's mod_auth_token).
-- Clients sign in with SASL ANONYMOUS; the token comes from the BOSH or
-- WebSocket URL (?token=...) or an "Authorization: Bearer" header and is
-- checked by token/util.lib.lua (claims and key id, not the signature).

local formdecode = require "util.http".formdecode;
local sasl = require "util.sasl";
local generate_uuid = require "util.uuid".generate;

local token_util = module:require "token/util".new(module);
if token_util == nil then
    return;
end

local function init_session(event)
    local session, request = event.session, event.request;
    if session.host ~= module.host then
        return;
    end
    local token;
    local auth = request.headers and request.headers["authorization"];
    if auth and auth:sub(1, 7):lower() == "bearer " then
        token = auth:sub(8);
    end
    local query = request.url and request.url.query;
    if query ~= nil then
        local params = formdecode(query);
        if type(params) == "table" then
            token = params.token or token;
            session.jitsi_bosh_query_room = params.room;
        end
    end
    session.auth_token = token;
end

-- mod_bosh and mod_websocket are global modules: their events are too.
module:hook_global("bosh-session", init_session);
module:hook_global("websocket-session", init_session);

module:require "auth_provider"(module, function(session, handler, message)
    local ok, err, reason = token_util:process_and_verify_token(session);
    if not ok then
        module:log("warn", "Error verifying token err:%s, reason:%s", tostring(err), tostring(reason));
        session.auth_token = nil;
        return false, err, reason;
    end
    handler.username = message;
    return true;
end);

-- Prosody's own ANONYMOUS mechanism retries until the profile accepts, which
-- would spin on a refused token: this one reports the failure instead.
local function anonymous(self, message)
    local result, err, msg = self.profile.anonymous(self, generate_uuid(), self.realm);
    if result == true then
        return "success";
    end
    return "failure", err, msg;
end

sasl.registerMechanism("ANONYMOUS", { "anonymous" }, anonymous);
