-- Token verification (stand-in for Jitsi's token/util.lib.lua), written
-- from the behaviour of the current upstream library:
--
-- Options: app_id (required), app_secret, asap_key_server, cache_keys_url,
-- signature_algorithm (default RS256 with a key server or JWKS, else HS256),
-- allow_empty_token, asap_accepted_issuers (default { app_id }),
-- asap_accepted_audiences (default { "*" }), asap_require_room_claim
-- (default true), enable_domain_verification (default true),
-- muc_mapper_domain_base / _prefix, jwt_pubkey_cache_size.
--
-- Keys: with cache_keys_url the JWKS is fetched at start and again
-- Cache-Control max-age minus 60 s later (6 h without the header, 30 s
-- after a failure); every key with a "kid" is converted as RSA (n, e) --
-- an EC key raises a Lua error, which ends this refresh and every later
-- one. A kid not in that cache is fetched from
-- asap_key_server/hex(sha256(kid)).pem; without asap_key_server that is a
-- Lua error and the sign-in gets no answer, as upstream.
--
-- Checks (luajwtjitsi): three parts, typ "JWT", alg equal to
-- signature_algorithm, the signature, exp and nbf numbers when present and
-- current, iss and aud among the accepted values (an array aud never
-- equals one); then room (when required) and sub present. sub and room are
-- matched against the room at join time (verify_room, used by
-- mod_token_verification).

local basexx = require "basexx";
local have_async, async = pcall(require, "util.async");
local hex = require "util.hex";
local jwt = module:require "luajwtjitsi";
local jwk_to_pem = module:require "token/jwk".jwk_to_pem;
local jid = require "util.jid";
local json_safe = require "cjson.safe";
local path = require "util.paths";
local sha256 = require "util.hashes".sha256;
local main_util = module:require "util";
local timer = require "util.timer";
local inspect = require "inspect";
local ssl = require "ssl";

local ends_with = main_util.ends_with;
local starts_with = main_util.starts_with;
local extract_subdomain = main_util.extract_subdomain;
local get_room_from_jid = main_util.get_room_from_jid;
local http_get_with_retry = main_util.http_get_with_retry;
local table_shallow_copy = main_util.table_shallow_copy;

local nr_retries = 3;
local cache_size = module:get_option_number("jwt_pubkey_cache_size", 128);

local Util = {};
Util.__index = Util;

function Util.new(module)
	local self = setmetatable({}, Util);

	self.appId = module:get_option_string("app_id");
	self.appSecret = module:get_option_string("app_secret");
	self.asapKeyServer = module:get_option_string("asap_key_server");
	self.cacheKeysUrl = module:get_option_string("cache_keys_url");
	self.signatureAlgorithm = module:get_option_string("signature_algorithm");
	self.allowEmptyToken = module:get_option_boolean("allow_empty_token");
	self.cache = require "util.cache".new(cache_size);

	self.muc_domain_prefix = module:get_option_string("muc_mapper_domain_prefix", "conference");
	self.muc_domain_base = module:get_option_string("muc_mapper_domain_base");
	if self.muc_domain_base then
		self.muc_domain = module:get_option_string("muc_mapper_domain",
			self.muc_domain_prefix .. "." .. self.muc_domain_base);
	end
	self.enableDomainVerification = module:get_option_boolean("enable_domain_verification", true);

	if self.allowEmptyToken == true then
		module:log("warn", "WARNING - empty tokens allowed");
	end
	if self.appId == nil then
		module:log("error", "'app_id' must not be empty");
		return nil;
	end
	if self.appSecret == nil and self.asapKeyServer == nil and self.cacheKeysUrl == nil then
		module:log("error", "'app_secret', 'asap_key_server or 'cacheKeysUrl' must be specified");
		return nil;
	end
	if self.signatureAlgorithm == nil then
		if self.asapKeyServer ~= nil or self.cacheKeysUrl then
			self.signatureAlgorithm = "RS256";
		elseif self.appSecret ~= nil then
			self.signatureAlgorithm = "HS256";
		end
	end

	self.acceptedIssuers = module:get_option_array("asap_accepted_issuers", { self.appId });
	self.acceptedAudiences = module:get_option_array("asap_accepted_audiences", { "*" });
	self.requireRoomClaim = module:get_option_boolean("asap_require_room_claim", true);

	if (self.asapKeyServer or self.cacheKeysUrl) and not have_async then
		module:log("error", "requires a version of Prosody with util.async");
		return nil;
	end

	if self.cacheKeysUrl then
		self.cachedKeys = {};
		local refresh;
		refresh = async.runner(function()
			local content, code, cache_for = http_get_with_retry(self.cacheKeysUrl, nr_retries);
			if content == nil then
				module:log("warn", "Failed to retrieve cached public keys code:%s", code);
				timer.add_task(30, function() refresh:run("update_keys_cache"); end);
				return;
			end
			local stale = table_shallow_copy(self.cachedKeys);
			for k, v in pairs(json_safe.decode(content) or {}) do
				if k == "keys" and type(v) == "table" then
					-- JWKS: every key with a kid, whatever its kty.
					for _, key in ipairs(v) do
						if key.kid then
							self.cachedKeys[key.kid] = jwk_to_pem(key);
							stale[key.kid] = nil;
						end
					end
				elseif starts_with(v, "-----BEGIN CERTIFICATE-----") then
					-- kid -> PEM certificate mapping
					self.cachedKeys[k] = ssl.loadcertificate(v):pubkey();
					stale[k] = nil;
				end
			end
			-- Keys gone from the set are dropped 90 minutes later.
			timer.add_task(90 * 60, function()
				for k in pairs(stale) do
					self.cachedKeys[k] = nil;
				end
			end);
			local after = 6 * 60 * 60;
			if cache_for then
				after = tonumber(cache_for);
				if after > 60 then
					after = after - 60;
				end
			end
			timer.add_task(after, function() refresh:run("update_keys_cache"); end);
		end);
		refresh:run("update_keys_cache");
	end

	return self;
end

function Util:set_asap_key_server(v) self.asapKeyServer = v; end
function Util:set_asap_accepted_issuers(v) self.acceptedIssuers = v; end
function Util:set_asap_accepted_audiences(v) self.acceptedAudiences = v; end
function Util:set_asap_require_room_claim(v) self.requireRoomClaim = v; end
function Util:clear_asap_cache() self.cache = require "util.cache".new(cache_size); end

-- The PEM for kid from asap_key_server (cached), or nil.
function Util:get_public_key(kid)
	local content = self.cache:get(kid);
	if content ~= nil then
		return content;
	end
	-- With asap_key_server unset this raises an error, as upstream.
	local url = path.join(self.asapKeyServer, hex.to(sha256(kid)) .. ".pem");
	local code;
	content, code = http_get_with_retry(url, nr_retries);
	if content ~= nil then
		self.cache:set(kid, content);
	elseif code == nil then
		module:log("warn", "Timeout retrieving %s from %s", kid, url);
	end
	return content;
end

-- Checks session.auth_token and binds its claims to the session. Returns
-- true, or false, an error condition and a reason.
function Util:process_and_verify_token(session)
	if session.auth_token == nil then
		if self.allowEmptyToken then
			return true;
		end
		return false, "not-allowed", "token required";
	end

	local key;
	if session.public_key then
		key = session.public_key;
	elseif self.asapKeyServer or self.cacheKeysUrl then
		local dot = session.auth_token:find("%.");
		if not dot then return false, "not-allowed", "Invalid token"; end
		local encoded = basexx.from_url64(session.auth_token:sub(1, dot - 1));
		if not encoded then return false, "not-allowed", "Invalid token"; end
		local header, err = json_safe.decode(encoded);
		if err then
			return false, "not-allowed", "bad token format";
		end
		local kid = header["kid"];
		if kid == nil then
			return false, "not-allowed", "'kid' claim is missing";
		end
		local alg = header["alg"];
		if alg == nil then
			return false, "not-allowed", "'alg' claim is missing";
		end
		if alg:sub(1, 2) ~= "RS" then
			return false, "not-allowed", "'kid' claim only support with RS family";
		end
		if self.cachedKeys and self.cachedKeys[kid] then
			key = self.cachedKeys[kid];
		else
			key = self:get_public_key(kid);
		end
		if key == nil then
			return false, "not-allowed", "could not obtain public key";
		end
	elseif self.appSecret ~= nil then
		key = self.appSecret;
	end
	if key == nil then
		return false, "not-allowed", "signature verification key is missing";
	end

	local claims, msg = jwt.verify(session.auth_token, self.signatureAlgorithm, key,
		self.acceptedIssuers, self.acceptedAudiences);
	if claims == nil then
		return false, "not-allowed", msg;
	end
	if self.requireRoomClaim and claims["room"] == nil then
		return false, "not-authorized", "room claim is missing";
	end
	session.jitsi_meet_room = claims["room"];
	if claims["sub"] == nil then
		return false, "not-authorized", "sub claim is missing";
	end
	session.jitsi_meet_domain = claims["sub"];
	session.jitsi_meet_auth_issuer = claims["iss"];

	local context = claims["context"];
	if context ~= nil then
		session.jitsi_meet_str_tenant = context["tenant"];
		for _, name in ipairs({ "user", "group", "features", "room" }) do
			if context[name] ~= nil then
				session["jitsi_meet_context_" .. name] = context[name];
			end
		end
	elseif claims["user_id"] then
		session.jitsi_meet_context_user = { id = claims["user_id"] };
	end

	prosody.events.fire_event("jitsi-authentication-token-verified", {
		session = session;
		claims = claims;
	});
	if session.contextRequired and context == nil then
		return false, "not-allowed", "jwt missing required context claim";
	end
	return true;
end

-- Whether the session's token lets it into room_address: the room must
-- exist; room and, with domain verification, sub must match the address.
-- Returns true, or false, an error condition and a reason.
function Util:verify_room(session, room_address)
	local room = jid.split(room_address);
	if room == nil then
		module:log("error", "Unable to get name of the MUC room ? to: %s", room_address);
		return false, "invalid-room-address", "Room address is invalid";
	end
	local room_instance = get_room_from_jid(jid.join(room, self.muc_domain));
	if not room_instance then
		module:log("info", "Room does not exists:%s", room);
		return false, "room-does-not-exist", "Room does not exist";
	end

	if self.allowEmptyToken and session.auth_token == nil then
		if room_instance._data.allowUnauthenticatedAccess == false then
			return false, "authentication-required", "Authentication required";
		end
		return true;
	end

	local auth_room = session.jitsi_meet_room;
	if auth_room then
		if type(auth_room) == "string" then
			auth_room = auth_room:lower();
		else
			module:log("warn", "session.jitsi_meet_room not string: %s", inspect(auth_room));
		end
	end

	if not self.enableDomainVerification then
		if auth_room and (room ~= auth_room and not ends_with(room, "]" .. auth_room)) and auth_room ~= "*" then
			return false, "room-mismatch", "Room does not match the room from token";
		end
		return true;
	end

	local address = jid.bare(room_address);
	local node = jid.node(room_address);
	local target_subdomain, target_room = extract_subdomain(node);

	local room_to_check;
	if auth_room == "*" then
		room_to_check = target_room or node;
	else
		local ctx_room = session.jitsi_meet_context_room;
		if ctx_room and (ctx_room["regex"] == true or ctx_room["regex"] == "true") then
			local ok, result = pcall(string.match, target_room or node, auth_room);
			if not ok then
				return false, "invalid-regex", "Room claim is not a valid Lua pattern";
			end
			room_to_check = result;
		else
			room_to_check = auth_room;
		end
		if not room_to_check then
			if not self.requireRoomClaim then
				return true;
			end
			return false, "room-name-does-not-match", "Room name cannot be matched to the one from token.";
		end
	end

	if session.jitsi_meet_str_tenant
		and string.lower(session.jitsi_meet_str_tenant) ~= session.jitsi_web_query_prefix then
		session.jitsi_meet_tenant_mismatch = true;
		if room_instance._data.allowUnauthenticatedAccess == false then
			return false;
		end
		module:log("warn", "Tenant differs for user:%s url_tenant:%s token_tenant:%s",
			session.jitsi_meet_context_user and session.jitsi_meet_context_user.id or "",
			session.jitsi_web_query_prefix, session.jitsi_meet_str_tenant);
	end

	local auth_domain = string.lower(session.jitsi_meet_domain);
	if target_subdomain then
		local subdomain_to_check = auth_domain == "*" and target_subdomain or auth_domain;
		if not self.muc_domain_base then
			module:log("warn", "No 'muc_domain_base' option set, denying access!");
			return false, "server-missing-config", "Misconfiguration of server";
		end
		return address == jid.join("[" .. subdomain_to_check .. "]" .. room_to_check, self.muc_domain);
	end
	local domain_to_check;
	if auth_domain == "*" then
		domain_to_check = self.muc_domain;
	else
		domain_to_check = self.muc_domain_prefix .. "." .. auth_domain;
	end
	return address == jid.join(room_to_check, domain_to_check);
end

return Util;
