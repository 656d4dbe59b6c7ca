-- Room access by token (stand-in for Jitsi's mod_token_verification), for
-- the conference MUC component's modules_enabled. Creating or joining a
-- room needs a session that signed in with a token whose room claim is this
-- room or "*"; admins (focus) always pass. With allow_empty_token a session
-- without a token passes too.

local jid = require "util.jid";
local st = require "util.stanza";

local admins = module:get_option_set("admins", {});
local allow_empty = module:get_option_boolean("allow_empty_token", false);
local require_room = module:get_option_boolean("asap_require_room_claim", true);

local function allowed(session, stanza, room_jid)
    if session == nil or session.type ~= "c2s" then
        return true;
    end
    if admins:contains(jid.bare(stanza.attr.from)) then
        return true;
    end
    if session.auth_token == nil and session.jitsi_meet_room == nil then
        if allow_empty then return true; end
        return false, "no token";
    end
    local room = session.jitsi_meet_room;
    if not require_room or room == "*" then
        return true;
    end
    local node = jid.split(room_jid);
    if type(room) == "string" and node and room:lower() == node:lower() then
        return true;
    end
    return false, "token is for room " .. tostring(room);
end

local function check(event)
    local ok, why = allowed(event.origin, event.stanza, event.room.jid);
    if ok then return; end
    module:log("info", "refused %s into %s: %s", tostring(event.stanza.attr.from), event.room.jid, why);
    event.origin.send(st.error_reply(event.stanza, "cancel", "not-allowed"));
    return true;
end

module:hook("muc-room-pre-create", check, 99);
module:hook("muc-occupant-pre-join", check, 99);
