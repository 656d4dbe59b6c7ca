-- Anonymous authentication (stand-in for Jitsi's mod_auth_jitsi-anonymous):
-- every SASL ANONYMOUS login is accepted under a random name.

module:depends("jitsi_session");

module:require "auth_provider"(module, function(session, handler, username)
	handler.username = username;
	return true;
end);
