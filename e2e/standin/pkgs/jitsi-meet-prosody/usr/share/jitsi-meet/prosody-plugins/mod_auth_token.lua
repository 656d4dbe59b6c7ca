-- Token authentication (stand-in for Jitsi's mod_auth_token), written from
-- the behaviour of the upstream module. Clients sign in with SASL
-- ANONYMOUS; mod_jitsi_session puts the token from ?token= on the BOSH or
-- WebSocket URL (or an "Authorization: Bearer" header) on the session, and
-- token/util.lib.lua verifies it. The password-less provider is
-- auth_provider.lib.lua's, shared with mod_auth_jitsi-anonymous (upstream
-- repeats it in each module). When token/util cannot be loaded (a missing
-- Lua library: basexx, cjson, inspect, luaossl, luasec) the module fails to
-- load and the host offers no SASL mechanism, as upstream.

local generate_uuid = require "util.uuid".generate;
local sasl = require "util.sasl";
local token_util = module:require "token/util".new(module);
local sessions = prosody.full_sessions;

-- no token configuration
if token_util == nil then
	return;
end

module:depends("jitsi_session");

local function verify(session)
	local res, err, reason = token_util:process_and_verify_token(session);
	if res == false then
		module:log("warn", "Error verifying token err:%s, reason:%s tenant:%s room:%s user_agent:%s",
			err, reason, session.jitsi_web_query_prefix, session.jitsi_web_query_room,
			session.user_agent_header);
		session.auth_token = nil;
		return { res = res, error = err, reason = reason };
	end
	return { verify_result = res, custom_username = prosody.events.fire_event("pre-jitsi-authentication", session) };
end

-- The SASL ANONYMOUS profile: the token decides, and the username is the
-- one a pre-jitsi-authentication handler chose, a resumed session's, or the
-- random one the mechanism below made.
module:require "auth_provider"(module, function(session, handler, message)
	local result = verify(session);
	if result.res == false then
		return result.res, result.error, result.reason;
	end
	if result.custom_username then
		handler.username = result.custom_username;
	elseif session.previd ~= nil then
		for _, other in pairs(sessions) do
			if other.resumption_token == session.previd then
				handler.username = other.username;
				break;
			end
		end
	else
		handler.username = message;
	end
	session._jitsi_auth_done = true;
	return result.verify_result;
end);

-- Prosody's own ANONYMOUS mechanism would retry a refused profile; this one
-- answers the failure.
local function anonymous(self, message)
	local username = generate_uuid();
	local result, err, msg = self.profile.anonymous(self, username, self.realm);
	if result == true then
		if self.username == nil then
			self.username = username;
		end
		return "success";
	end
	return "failure", err, msg;
end

sasl.registerMechanism("ANONYMOUS", { "anonymous" }, anonymous);
