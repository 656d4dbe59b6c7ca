-- prosodyctl mod_roster_command subscribe CONTACT USER (stand-in for the
-- module Jitsi ships): gives CONTACT a subscription to USER's presence by
-- writing the item into USER's roster (subscription "from", or "both" when
-- USER was already subscribed to CONTACT). USER must be a local account.

local jid = require "util.jid";

if module.host ~= "*" then
	module:log("error", "mod_roster_command only works from prosodyctl");
	return;
end

function module.command(arg)
	local cmd = table.remove(arg, 1);
	if cmd ~= "subscribe" or #arg ~= 2 then
		print("Usage: prosodyctl mod_roster_command subscribe CONTACT_JID USER_JID");
		return 1;
	end
	local contact = jid.prep(arg[1]);
	local username, host = jid.split(jid.prep(arg[2]));
	if not contact or not username or not prosody.hosts[host] then
		print("Unknown JID: " .. tostring(arg[1]) .. " or " .. tostring(arg[2]));
		return 1;
	end
	require "core.storagemanager".initialize_host(host);
	local usermanager = require "core.usermanager";
	if not prosody.hosts[host].users or prosody.hosts[host].users.name == "null" then
		usermanager.initialize_host(host);
	end
	if not usermanager.user_exists(username, host) then
		print("No such user: " .. arg[2]);
		return 1;
	end
	local rostermanager = require "core.rostermanager";
	local roster = rostermanager.load_roster(username, host);
	local item = roster[contact] or { groups = {} };
	if item.subscription == "to" or item.subscription == "both" then
		item.subscription = "both";
	else
		item.subscription = "from";
	end
	item.ask = nil;
	roster[contact] = item;
	if not rostermanager.save_roster(username, host, roster, contact) then
		print("Could not save the roster of " .. arg[2]);
		return 1;
	end
	return 0;
end
