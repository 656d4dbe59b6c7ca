-- Helpers shared by the Jitsi plugins (stand-in for the parts of Jitsi's
-- util.lib.lua that the token plugins use). Loaded with
-- module:require "util", so options are read in the calling module's
-- context, as upstream.

local jid = require "util.jid";
local http = require "net.http";
local timer = require "util.timer";
local async = require "util.async";

local config_global_admin_jids = module:context("*"):get_option_set("admins", {}) / jid.prep;
local config_admin_jids = module:get_option_inherited_set("admins", {}) / jid.prep;

local http_timeout = 30;
local http_headers = {
	["User-Agent"] = "Prosody (" .. prosody.version .. "; " .. prosody.platform .. ")",
};

local function get_room_from_jid(room_jid)
	local _, host = jid.split(room_jid);
	local component = prosody.hosts[host];
	if component then
		local muc = component.modules.muc;
		if muc then
			return muc.get_room_from_jid(room_jid);
		end
	end
end

-- "[tenant]room" -> "tenant", "room"; "room" -> nil, "room".
local function extract_subdomain(room_node)
	local subdomain, room_name = room_node:match("^%[([^%]]+)%](.+)$");
	if not subdomain then
		room_name = room_node;
	end
	local customer_id = subdomain and subdomain:match("^vpaas%-magic%-cookie%-(.*)$") or nil;
	return subdomain, room_name, customer_id;
end

local function starts_with(str, start)
	if not str then
		return false;
	end
	return str:sub(1, #start) == start;
end

local function ends_with(str, ending)
	if not str then
		return false;
	end
	return ending == "" or str:sub(-#ending) == ending;
end

local function table_shallow_copy(t)
	local c = {};
	for k, v in pairs(t) do
		c[k] = v;
	end
	return c;
end

-- GET url from inside an async runner; retries after each 30 s timeout.
-- Returns the body, the status code and Cache-Control's max-age, read the
-- way upstream reads it (the value of the last "word=word" pair "age").
local function http_get_with_retry(url, retry, auth_token)
	local content, code, cache_for;
	local timed_out;
	local wait, done = async.waiter();
	local headers = http_headers;
	if auth_token ~= nil then
		headers["Authorization"] = "Bearer " .. auth_token;
	end

	local function cb(body, status, response)
		if timed_out ~= nil then
			module:log("warn", "External call reply delivered after timeout from: %s", url);
			return;
		end
		code = status;
		if code == 200 or code == 204 then
			content = body;
			local cc = response and response.headers and response.headers["cache-control"];
			if cc then
				local vals = {};
				for k, v in cc:gmatch("(%w+)=(%w+)") do
					vals[k] = v;
				end
				cache_for = vals.age;
			end
		else
			module:log("warn", "Error on GET request: Code %s, Content %s", status, body);
		end
		done();
	end

	local function request()
		return http.request(url, { headers = headers, method = "GET" }, cb);
	end
	local req = request();
	timer.add_task(http_timeout, function()
		if code ~= nil then
			return;
		end
		timed_out = true;
		module:log("warn", "Timeout %s seconds making the external call to: %s", http_timeout, url);
		if http.destroy_request ~= nil then
			http.destroy_request(req);
		end
		if retry == nil or retry < 1 then
			done();
			return;
		end
		-- As upstream, a reply to a retry still counts as late: once a
		-- request timed out, the call returns nothing.
		retry = retry - 1;
		req = request();
		return http_timeout;
	end);
	wait();
	return content, code, cache_for;
end

-- Admins are the global ones and those of the calling module's host.
local function is_admin(_jid)
	local bare = jid.bare(_jid);
	return config_global_admin_jids:contains(bare) or config_admin_jids:contains(bare);
end

return {
	extract_subdomain = extract_subdomain;
	ends_with = ends_with;
	get_room_from_jid = get_room_from_jid;
	http_get_with_retry = http_get_with_retry;
	is_admin = is_admin;
	starts_with = starts_with;
	table_shallow_copy = table_shallow_copy;
};
