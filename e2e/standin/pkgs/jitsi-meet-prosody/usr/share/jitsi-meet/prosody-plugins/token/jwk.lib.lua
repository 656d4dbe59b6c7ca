-- JWK to PEM conversion (stand-in for Jitsi's token/jwk.lib.lua; its
-- presence marks a release that reads cache_keys_url).
--
-- Like the upstream library it treats every key as RSA: it DER-encodes
-- SubjectPublicKeyInfo{rsaEncryption, RSAPublicKey{n, e}} from the JWK's
-- "n" and "e". A key without them (an EC key: kty EC, x, y) makes it raise
-- a Lua error, as upstream does.

local basexx = require "basexx";

local M = {};

local function der_length(n)
	if n < 0x80 then
		return string.char(n);
	elseif n < 0x100 then
		return string.char(0x81, n);
	elseif n < 0x10000 then
		return string.char(0x82, n // 0x100, n % 0x100);
	end
	return string.char(0x83, n // 0x10000, (n // 0x100) % 0x100, n % 0x100);
end

local function tlv(tag, body)
	return string.char(tag) .. der_length(#body) .. body;
end

-- A positive INTEGER: a leading zero byte when the high bit is set.
local function der_integer(bytes)
	if bytes:byte(1) >= 0x80 then
		bytes = "\0" .. bytes;
	end
	return tlv(0x02, bytes);
end

local function from_b64url(s)
	s = s:gsub("-", "+"):gsub("_", "/");
	if #s % 4 > 0 then
		s = s .. string.rep("=", 4 - #s % 4);
	end
	return basexx.from_base64(s);
end

-- 1.2.840.113549.1.1.1 (rsaEncryption)
local RSA_OID = "\42\134\72\134\247\13\1\1\1";

function M.jwk_to_pem(jwk)
	local n = from_b64url(jwk.n);
	local e = from_b64url(jwk.e);
	local rsa = tlv(0x30, der_integer(n) .. der_integer(e));
	local algorithm = tlv(0x30, tlv(0x06, RSA_OID) .. "\5\0");
	local spki = tlv(0x30, algorithm .. tlv(0x03, "\0" .. rsa));
	local b64 = basexx.to_base64(spki);
	local lines = {};
	for i = 1, #b64, 64 do
		lines[#lines + 1] = b64:sub(i, i + 63);
	end
	return "-----BEGIN PUBLIC KEY-----\n" .. table.concat(lines, "\n") .. "\n-----END PUBLIC KEY-----\n";
end

return M;
