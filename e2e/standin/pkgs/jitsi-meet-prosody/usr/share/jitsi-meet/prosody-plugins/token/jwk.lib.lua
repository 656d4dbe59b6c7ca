-- Public keys for token checks (stand-in for Jitsi's token/jwk.lib.lua,
-- whose presence tells an installer that cache_keys_url is supported).
--
-- jwks(module, url): the kids of the RSA keys in the JWKS at url, fetched at
-- start and again after Cache-Control max-age (6 hours without it) or when
-- a token names an unknown kid (at most every 30 s).
-- key_server(module, base): whether base/hex(sha256(kid)).pem answers with a
-- PEM public key, remembered per kid.
-- Fetches run in the background: a token with a kid not fetched yet is
-- refused once, and accepted when the fetch has succeeded.

local http = require "net.http";
local json = require "util.json";
local sha256 = require "util.hashes".sha256;

local M = {};

local DEFAULT_TTL = 6 * 3600;
local MIN_REFETCH = 30;

local function max_age(response)
    local cc = response and response.headers and response.headers["cache-control"];
    local n = cc and tonumber(cc:match("max%-age=(%d+)"));
    return n or DEFAULT_TTL;
end

local JWKS = {};
JWKS.__index = JWKS;

function M.jwks(module, url)
    local self = setmetatable({ module = module, url = url, kids = nil,
        expires = 0, last_fetch = 0, error = "JWKS not fetched yet" }, JWKS);
    self:fetch();
    return self;
end

function JWKS:fetch()
    self.last_fetch = os.time();
    http.request(self.url, nil, function(body, code, response)
        if code ~= 200 then
            self.error = "JWKS " .. self.url .. " answered " .. tostring(code);
            self.module:log("error", "%s", self.error);
            return;
        end
        local doc = json.decode(body or "");
        if type(doc) ~= "table" or type(doc.keys) ~= "table" then
            self.error = "JWKS " .. self.url .. " has no keys array";
            self.module:log("error", "%s", self.error);
            return;
        end
        local kids = {};
        for _, k in ipairs(doc.keys) do
            if type(k) == "table" and k.kty == "RSA" and type(k.kid) == "string" then
                kids[k.kid] = true;
            end
        end
        self.kids, self.error = kids, nil;
        self.expires = os.time() + max_age(response);
        self.module:log("info", "fetched JWKS %s", self.url);
    end);
end

function JWKS:has(kid)
    local now = os.time();
    local stale = now >= self.expires;
    local known = self.kids and self.kids[kid];
    if (stale or not known) and now - self.last_fetch >= MIN_REFETCH then
        self:fetch();
    end
    if known then return true; end
    if self.kids == nil then return false, self.error; end
    return false, "kid " .. kid .. " is not in the JWKS " .. self.url;
end

local KeyServer = {};
KeyServer.__index = KeyServer;

function M.key_server(module, base)
    return setmetatable({ module = module, base = base:gsub("/$", ""), known = {},
        pending = {} }, KeyServer);
end

function KeyServer:has(kid)
    local entry = self.known[kid];
    if entry and os.time() < entry then return true; end
    local url = self.base .. "/" .. sha256(kid, true) .. ".pem";
    if not self.pending[kid] then
        self.pending[kid] = true;
        http.request(url, nil, function(body, code, response)
            self.pending[kid] = nil;
            if code == 200 and body and body:find("BEGIN PUBLIC KEY", 1, true) then
                self.known[kid] = os.time() + max_age(response);
            else
                self.module:log("error", "key server %s answered %s", url, tostring(code));
            end
        end);
    end
    return false, "public key for kid " .. kid .. " not fetched from " .. url;
end

return M;
