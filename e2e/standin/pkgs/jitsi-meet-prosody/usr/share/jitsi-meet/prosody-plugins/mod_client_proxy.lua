-- A component that stands for a client (stand-in for the mod_client_proxy
-- Jitsi ships): "focus.HOST" proxies to target_address, Jicofo's account.
--
-- It only knows the target's resources from their presence, so the
-- target's roster must give the component a presence subscription, as
-- jitsi-meet-prosody's postinst arranges with
-- "prosodyctl mod_roster_command subscribe focus.HOST focus@auth.HOST".
-- IQs to the component go to an available resource of the target with
-- from = COMPONENT/<original full JID>; the target's replies to that
-- address go back to the original sender from the component's JID.
-- Without an available resource the sender gets service-unavailable.

local jid = require "util.jid";
local st = require "util.stanza";

local target = module:get_option_string("target_address");
if not target then
	module:log("error", "target_address is not set");
	return;
end
target = jid.prep(target);
local available = {}; -- full JID -> true

local function from_target(stanza)
	return jid.bare(stanza.attr.from) == target;
end

local function on_presence(event)
	local stanza = event.stanza;
	if not from_target(stanza) then
		return;
	end
	local from = stanza.attr.from;
	local t = stanza.attr.type;
	if t == nil then
		if not available[from] then
			module:log("info", "%s is available", from);
		end
		available[from] = true;
	elseif t == "unavailable" then
		available[from] = nil;
	elseif t == "probe" then
		module:send(st.presence({ from = module.host, to = from }));
	end
	return true;
end
module:hook("presence/host", on_presence);
module:hook("presence/bare", on_presence);
module:hook("presence/full", on_presence);

-- relay sends a copy of stanza with the addresses from and to.
local function relay(stanza, from, to)
	local copy = st.clone(stanza);
	copy.attr.from, copy.attr.to = from, to;
	module:send(copy);
	return true;
end

local function some_resource()
	for full in pairs(available) do
		return full;
	end
end

-- An IQ from anyone but the target, to the component: forwarded.
local function forward(event)
	local origin, stanza = event.origin, event.stanza;
	local to = some_resource();
	if not to then
		if stanza.attr.type == "get" or stanza.attr.type == "set" then
			origin.send(st.error_reply(stanza, "cancel", "service-unavailable"));
		end
		return true;
	end
	return relay(stanza, module.host .. "/" .. stanza.attr.from, to);
end

-- A stanza from the target to COMPONENT/<full JID>: back to that JID.
local function back(stanza)
	local _, _, resource = jid.split(stanza.attr.to);
	if not resource then
		return;
	end
	return relay(stanza, module.host, resource);
end

-- A component JID has no node, so COMPONENT/<full JID> routes as "host".
-- What the target sends goes back; an IQ from anyone else is forwarded.
local function route(event)
	if from_target(event.stanza) then
		return back(event.stanza);
	end
	if event.stanza.name == "iq" then
		return forward(event);
	end
end
module:hook("iq/host", route, 10);
module:hook("message/host", route, 10);
