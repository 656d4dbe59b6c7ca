-- JWT verification as Jitsi's luajwtjitsi library does it (stand-in).
-- Written for the stand-in from the behaviour of the upstream library: the
-- same libraries (lua-cjson, lua-basexx, lua-luaossl), the same checks in
-- the same order and the same error strings.

local cjson_safe = require "cjson.safe";
local basexx = require "basexx";
local digest = require "openssl.digest";
local hmac = require "openssl.hmac";
local pkey = require "openssl.pkey";

local function rsa_verify(data, signature, key, md)
	local ok, pub = pcall(pkey.new, key);
	if not ok or pub == nil then
		return false;
	end
	return pub:verify(signature, digest.new(md):update(data));
end

local function rsa_sign(data, key, md)
	local priv = pkey.new(key);
	if priv == nil then
		return nil, "Not a private PEM key";
	end
	return priv:sign(digest.new(md):update(data));
end

local signers = {
	HS256 = function(data, key) return hmac.new(key, "sha256"):final(data); end,
	HS384 = function(data, key) return hmac.new(key, "sha384"):final(data); end,
	HS512 = function(data, key) return hmac.new(key, "sha512"):final(data); end,
	RS256 = function(data, key) return rsa_sign(data, key, "sha256"); end,
	RS384 = function(data, key) return rsa_sign(data, key, "sha384"); end,
	RS512 = function(data, key) return rsa_sign(data, key, "sha512"); end,
};

local verifiers = {
	HS256 = function(data, sig, key) return sig == signers.HS256(data, key); end,
	HS384 = function(data, sig, key) return sig == signers.HS384(data, key); end,
	HS512 = function(data, sig, key) return sig == signers.HS512(data, key); end,
	RS256 = function(data, sig, key) return rsa_verify(data, sig, key, "sha256"); end,
	RS384 = function(data, sig, key) return rsa_verify(data, sig, key, "sha384"); end,
	RS512 = function(data, sig, key) return rsa_verify(data, sig, key, "sha512"); end,
};

-- The non-empty dot-separated parts of token.
local function parts(token)
	local out = {};
	for p in token:gmatch("[^%.]+") do
		out[#out + 1] = p;
	end
	return out;
end

local function parse(token)
	local p = parts(token);
	if #p ~= 3 then
		return nil, nil, nil, "Invalid token";
	end
	local header, err = cjson_safe.decode(basexx.from_url64(p[1]));
	if err then
		return nil, nil, nil, "Invalid header";
	end
	local body;
	body, err = cjson_safe.decode(basexx.from_url64(p[2]));
	if err then
		return nil, nil, nil, "Invalid body";
	end
	local sig;
	sig, err = basexx.from_url64(p[3]);
	if err then
		return nil, nil, nil, "Invalid signature";
	end
	return header, body, sig;
end

-- accepted holds exact values or the wildcard "*".
local function accepted(claim, list)
	for _, v in ipairs(list) do
		if v == "*" or claim == v then
			return true;
		end
	end
	return false;
end

-- claimError says why body's claim name is not in list, or nil; no list
-- accepts anything.
local function claimError(body, name, list)
	if list == nil then
		return nil;
	end
	if body[name] == nil then
		return "'" .. name .. "' claim is missing";
	end
	if not accepted(body[name], list) then
		return "invalid '" .. name .. "' claim";
	end
	return nil;
end

local M = {};

function M.encode(data, key, alg, header)
	if type(data) ~= "table" then return nil, "Argument #1 must be table"; end
	if type(key) ~= "string" then return nil, "Argument #2 must be string"; end
	alg = alg or "HS256";
	if not signers[alg] then return nil, "Algorithm not supported"; end
	header = header or {};
	header.typ, header.alg = "JWT", alg;
	local h, err = cjson_safe.encode(header);
	if h == nil then return nil, err; end
	local b;
	b, err = cjson_safe.encode(data);
	if b == nil then return nil, err; end
	local input = basexx.to_url64(h) .. "." .. basexx.to_url64(b);
	local sig;
	sig, err = signers[alg](input, key);
	if sig == nil then return nil, err; end
	return input .. "." .. basexx.to_url64(sig);
end

-- verify returns the claims of a token signed with key using expectedAlgo,
-- or nil and the reason.
function M.verify(token, expectedAlgo, key, acceptedIssuers, acceptedAudiences)
	if type(token) ~= "string" then return nil, "token argument must be string"; end
	if type(expectedAlgo) ~= "string" then return nil, "algorithm argument must be string"; end
	if type(key) ~= "string" then return nil, "key argument must be string"; end
	if acceptedIssuers ~= nil and type(acceptedIssuers) ~= "table" then
		return nil, "acceptedIssuers argument must be table";
	end
	if acceptedAudiences ~= nil and type(acceptedAudiences) ~= "table" then
		return nil, "acceptedAudiences argument must be table";
	end
	if not verifiers[expectedAlgo] then
		return nil, "Algorithm not supported";
	end

	local header, body, sig, err = parse(token);
	if err ~= nil then
		return nil, err;
	end
	if header.typ ~= "JWT" then
		return nil, "Invalid typ";
	end
	if header.alg ~= expectedAlgo then
		return nil, "Invalid or incorrect alg";
	end
	local p = parts(token);
	if not verifiers[expectedAlgo](p[1] .. "." .. p[2], sig, key) then
		return nil, "Invalid signature";
	end

	if body.exp and type(body.exp) ~= "number" then
		return nil, "exp must be number";
	end
	if body.nbf and type(body.nbf) ~= "number" then
		return nil, "nbf must be number";
	end
	local now = os.time();
	if body.exp and now >= body.exp then
		local extra = "";
		if body.iat then
			extra = ", valid for:" .. tostring(body.exp - body.iat) .. " sec";
		end
		return nil, "Not acceptable by exp (" .. tostring(now - body.exp) .. " sec since expired" .. extra .. ")";
	end
	if body.nbf and now < body.nbf then
		return nil, "Not acceptable by nbf";
	end

	err = claimError(body, "iss", acceptedIssuers) or claimError(body, "aud", acceptedAudiences);
	if err ~= nil then
		return nil, err;
	end
	return body;
end

return M;
