-- Session fields from the BOSH or WebSocket URL and headers (stand-in for
-- Jitsi's mod_jitsi_session). A global module: it sees every host's
-- sessions. It only copies values; mod_auth_token checks the token.
module:set_global();

local formdecode = require "util.http".formdecode;
local region_header_name = module:get_option_string("region_header_name", "x_proxy_region");

local function init_session(event)
	local session, request = event.session, event.request;
	local query = request.url.query;
	local token = nil;

	local authorization = request.headers["authorization"];
	if authorization then
		-- "Bearer " is assumed, not checked.
		token = authorization:sub(8, #authorization);
	end

	if query ~= nil then
		local params = formdecode(query);
		session.previd = params.previd;
		session.customusername = params.customusername;
		session.jitsi_web_query_room = params.room;
		session.jitsi_web_query_prefix = params.prefix or "";
		if params.token then
			token = params.token;
		end
	end

	session.user_region = request.headers[region_header_name];
	session.auth_token = token;
	session.user_agent_header = request.headers["user_agent"];
end

module:hook_global("bosh-session", init_session, 1);
module:hook_global("websocket-session", init_session, 1);
