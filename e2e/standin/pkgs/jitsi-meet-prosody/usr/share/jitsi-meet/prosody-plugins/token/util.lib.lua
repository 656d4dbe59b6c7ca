-- Token checks shared by mod_auth_token and mod_token_verification
-- (stand-in for Jitsi's token/util.lib.lua).
--
-- Reads the same options as Jitsi's library: app_id, app_secret,
-- asap_key_server, cache_keys_url, asap_accepted_issuers,
-- asap_accepted_audiences, asap_require_room_claim,
-- enable_domain_verification, allow_empty_token, signature_algorithm.
--
-- What it checks: the token has three base64url parts with JSON header and
-- payload; alg is not "none" and starts with RS when keys come from a key
-- server or a JWKS (HS256 when only app_secret is set); kid is present and,
-- in key-server or JWKS mode, names a key the server publishes; iss, aud,
-- exp, nbf, sub and room as Jitsi checks them.
-- What it does NOT check: the signature itself (no RSA in Prosody's Lua).

local json = require "util.json";
local base64_decode = require "util.encodings".base64.decode;
local jwk = module:require "token/jwk";

local Util = {};
Util.__index = Util;

local function set_of(list)
    local s = {};
    for _, v in ipairs(list or {}) do s[v] = true; end
    return s;
end

function Util.new(module)
    local self = setmetatable({ module = module }, Util);
    self.app_id = module:get_option_string("app_id");
    self.app_secret = module:get_option_string("app_secret");
    self.asap_key_server = module:get_option_string("asap_key_server");
    self.cache_keys_url = module:get_option_string("cache_keys_url");
    self.allow_empty_token = module:get_option_boolean("allow_empty_token", false);
    self.require_room = module:get_option_boolean("asap_require_room_claim", true);
    self.verify_domain = module:get_option_boolean("enable_domain_verification", true);
    self.signature_algorithm = module:get_option_string("signature_algorithm");
    self.domain = module:get_option_string("muc_mapper_domain_base", module.host);
    if self.app_id == nil or self.app_id == "" then
        module:log("error", "'app_id' must not be empty");
        return nil;
    end
    if (self.app_secret == nil or self.app_secret == "")
        and self.asap_key_server == nil and self.cache_keys_url == nil then
        module:log("error", "'app_secret', 'asap_key_server' or 'cache_keys_url' must be specified");
        return nil;
    end
    self.issuers = set_of(module:get_option_array("asap_accepted_issuers", { self.app_id }));
    self.audiences = set_of(module:get_option_array("asap_accepted_audiences", { "*" }));
    if self.cache_keys_url then
        self.keys = jwk.jwks(module, self.cache_keys_url);
        module:log("info", "token keys from JWKS %s", self.cache_keys_url);
    elseif self.asap_key_server then
        self.keys = jwk.key_server(module, self.asap_key_server);
        module:log("info", "token keys from key server %s", self.asap_key_server);
    end
    return self;
end

local function b64url(s)
    s = s:gsub("-", "+"):gsub("_", "/");
    local pad = #s % 4;
    if pad == 2 then s = s .. "==" elseif pad == 3 then s = s .. "=" end
    return base64_decode(s);
end

-- decode returns header and claims of a JWT, or nil and why not.
function Util.decode(token)
    local h, p, sig = token:match("^([%w_-]+)%.([%w_-]+)%.([%w_-]*)$");
    if not h then return nil, nil, "not a JWT (three base64url parts)"; end
    local header = json.decode(b64url(h) or "");
    local claims = json.decode(b64url(p) or "");
    if type(header) ~= "table" or type(claims) ~= "table" then
        return nil, nil, "header or payload is not JSON";
    end
    return header, claims, sig;
end

-- verify_token returns the claims, or nil, an error condition and a reason.
function Util:verify_token(token)
    local header, claims, err = Util.decode(token);
    if not header then return nil, "not-allowed", err; end
    local alg = header.alg;
    if type(alg) ~= "string" or alg == "none" then
        return nil, "not-allowed", "alg must be set and not 'none'";
    end
    if self.keys then
        local want = self.signature_algorithm or "RS";
        if alg:sub(1, #want) ~= want then
            return nil, "not-allowed", "alg " .. alg .. " is not " .. want;
        end
        if type(header.kid) ~= "string" or header.kid == "" then
            return nil, "not-allowed", "kid is missing from the header";
        end
        local known, why = self.keys:has(header.kid);
        if not known then return nil, "not-allowed", why; end
    elseif alg ~= (self.signature_algorithm or "HS256") then
        return nil, "not-allowed", "alg " .. alg .. " is not HS256";
    end
    if not self.issuers["*"] and not self.issuers[claims.iss] then
        return nil, "not-allowed", "iss " .. tostring(claims.iss) .. " is not accepted";
    end
    local aud_ok = self.audiences["*"] or self.audiences[claims.aud];
    if type(claims.aud) == "table" then
        for _, a in ipairs(claims.aud) do aud_ok = aud_ok or self.audiences[a]; end
    end
    if not aud_ok then
        return nil, "not-allowed", "aud " .. tostring(claims.aud) .. " is not accepted";
    end
    local now = os.time();
    if type(claims.exp) ~= "number" then
        return nil, "not-allowed", "exp must be a number";
    end
    if claims.exp <= now then return nil, "not-allowed", "token expired"; end
    if claims.nbf ~= nil then
        if type(claims.nbf) ~= "number" then
            return nil, "not-allowed", "nbf must be a number";
        end
        if claims.nbf > now then return nil, "not-allowed", "token not yet valid"; end
    end
    if self.verify_domain and claims.sub ~= "*"
        and (type(claims.sub) ~= "string" or claims.sub:lower() ~= self.domain:lower()) then
        return nil, "not-allowed", "sub " .. tostring(claims.sub) .. " is not " .. self.domain .. " or *";
    end
    if self.require_room and type(claims.room) ~= "string" then
        return nil, "not-allowed", "room claim is missing";
    end
    return claims;
end

-- process_and_verify_token checks session.auth_token and keeps its claims
-- on the session the way Jitsi's plugins expect them.
function Util:process_and_verify_token(session)
    local token = session.auth_token;
    if token == nil or token == "" then
        if self.allow_empty_token then return true; end
        return false, "not-allowed", "token required";
    end
    local claims, err, reason = self:verify_token(token);
    if not claims then return false, err, reason; end
    session.jitsi_meet_room = claims.room;
    session.jitsi_meet_domain = claims.sub;
    if type(claims.context) == "table" then
        session.jitsi_meet_context_user = claims.context.user;
        session.jitsi_meet_context_group = claims.context.group;
        session.jitsi_meet_context_features = claims.context.features;
    end
    return true;
end

return Util;
