-- Room access by token (stand-in for Jitsi's mod_token_verification),
-- loaded on the conference MUC component. Creating or joining a room calls
-- token/util's verify_room: the room must exist (Jicofo, an admin, creates
-- it) and the token's room and sub must match its address. Admins of the
-- component and token_verification_allowlist domains pass.

local st = require "util.stanza";
local jid_split = require "util.jid".split;
local jid_bare = require "util.jid".bare;
local util = module:require "util";
local is_admin = util.is_admin;

local host = module.host;
local parent = string.gmatch(tostring(host), "%w+.(%w.+)")();
if parent == nil then
	module:log("error", "Failed to start - unable to get parent hostname");
	return;
end
local parent_ctx = module:context(parent);
if parent_ctx == nil then
	module:log("error", "Failed to start - unable to get parent context for host: %s", tostring(parent));
	return;
end

local token_util = module:require "token/util".new(parent_ctx);
if token_util == nil then
	return;
end

local require_token_for_moderation, allowlist;
local function load_config()
	require_token_for_moderation = module:get_option_boolean("token_verification_require_token_for_moderation");
	allowlist = module:get_option_set("token_verification_allowlist", {});
end
load_config();

local function verify_user(session, stanza)
	local user_jid = stanza.attr.from;
	if is_admin(user_jid) then
		return true;
	end
	local _, user_domain = jid_split(user_jid);
	if allowlist:contains(user_domain) or allowlist:contains(jid_bare(user_jid))
		or session.type == "s2sin" then
		return true;
	end
	local res, err, reason = token_util:verify_room(session, stanza.attr.to);
	if not res then
		if not err and not reason then
			reason = "Room and token mismatched";
		end
		module:log("error", "Token %s not allowed to join: %s err: %s reason: %s",
			tostring(session.auth_token), tostring(stanza.attr.to), err, reason);
		local response = st.error_reply(stanza, "cancel", "not-allowed", reason);
		if err then
			response:tag(err, { xmlns = "http://jitsi.org/jitmeet" });
		end
		session.send(response);
		return false;
	end
	return true;
end

module:hook("muc-room-pre-create", function(event)
	if not verify_user(event.origin, event.stanza) then
		return true;
	end
end, 99);

module:hook("muc-occupant-pre-join", function(event)
	if not verify_user(event.origin, event.stanza) then
		return true;
	end
end, 99);

for _, event_name in ipairs({
	"iq-set/bare/http://jabber.org/protocol/muc#owner:query",
	"iq-set/host/http://jabber.org/protocol/muc#owner:query",
}) do
	module:hook(event_name, function(event)
		local session, stanza = event.origin, event.stanza;
		if not require_token_for_moderation or is_admin(stanza.attr.from) then
			return;
		end
		if not session.auth_token or not session.jitsi_meet_room then
			session.send(st.error_reply(stanza, "cancel", "not-allowed", "Room modification disabled for guests"));
			return true;
		end
	end, -1);
end

module:hook_global("config-reloaded", load_config);
