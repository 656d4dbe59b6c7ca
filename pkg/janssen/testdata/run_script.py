# Runs the UPDATE_TOKEN script under Python 3 with stand-ins for the Java
# classes Janssen hands it, and prints what it did to each token as JSON.
# Usage: run_script.py SCRIPT CLIENT_ID
import json
import sys
import types


class JSONObject(dict):
    def put(self, k, v):
        self[k] = v

    def has(self, k):
        return k in self


class Claims(dict):
    def setClaim(self, k, v):
        self[k] = v


class Client(object):
    def __init__(self, cid):
        self.cid = cid

    def getClientId(self):
        return self.cid

    def getClientName(self):
        return "client " + self.cid


class Person(object):
    def getAttribute(self, name):
        return {"inum": "u-1", "displayName": "Demo User", "mail": "demo@example.test"}.get(name)

    def getUserId(self):
        return "demo"

    def getAttributeValues(self, name):
        return []


class Grant(object):
    def getUser(self):
        return Person()


class Context(object):
    def __init__(self, cid, claims):
        self.client = Client(cid)
        self.claims = claims

    def getClient(self):
        return self.client

    def getGrant(self):
        return Grant()

    def getClaims(self):
        return self.claims


class WebResponse(object):
    def __init__(self, claims):
        self.claims = claims

    def getClaims(self):
        return self.claims


token_mod = types.ModuleType("io.jans.model.custom.script.type.token")
token_mod.UpdateTokenType = object
sys.modules["io.jans.model.custom.script.type.token"] = token_mod
json_mod = types.ModuleType("org.json")
json_mod.JSONObject = JSONObject
sys.modules["org.json"] = json_mod

script = {}
exec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), script)
updater = script["UpdateToken"](0)
cid = sys.argv[2]
original = {"iss": "https://login.example.test", "sub": "u-1", "aud": cid, "nonce": "n-1"}
access = Claims(original)
updater.modifyAccessToken(None, Context(cid, access))
idtoken = Claims(original)
updater.modifyIdToken(WebResponse(idtoken), Context(cid, idtoken))
print(json.dumps({"access": access, "id": idtoken}))
