// A certified OpenID provider (node-oidc-provider 9) set up like Janssen
// where it can be, for the end-to-end tests. Started by oidc.Start with one
// argument: a JSON configuration file (see config in oidc.go). Prints
// "listening" on standard output once it serves.
import fs from 'node:fs';
import https from 'node:https';
import { pathToFileURL } from 'node:url';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const { default: Provider } = await import(pathToFileURL(cfg.module).href);

// An adapter that keeps everything in memory and lets the test count the
// clients registered dynamically.
const stores = new Map();
class Adapter {
  constructor(name) {
    this.name = name;
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }
  async upsert(id, payload) { this.store.set(id, { ...payload }); }
  async find(id) { return this.store.get(id); }
  async findByUserCode(code) { return [...this.store.values()].find((p) => p.userCode === code); }
  async findByUid(uid) { return [...this.store.values()].find((p) => p.uid === uid); }
  async consume(id) { const p = this.store.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, p] of this.store) if (p.grantId === grantId) this.store.delete(id);
  }
}

// Resource servers: the meeting server's audience gets RS256 JWT access
// tokens as Janssen issues them to a client with access_token_as_jwt; the
// others sign with algorithms Prosody cannot verify, or keep RFC 9068's typ.
const resources = {
  [cfg.resource]: { alg: 'RS256', typ: 'JWT' },
  'https://rs384.example.com': { alg: 'RS384', typ: 'JWT' },
  'https://es256.example.com': { alg: 'ES256', typ: 'JWT' },
  'https://ps256.example.com': { alg: 'PS256', typ: 'JWT' },
  'https://rfc9068.example.com': { alg: 'RS256' },
};

const clients = [{
  client_id: cfg.testClientId,
  client_secret: cfg.testClientSecret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
}];
// The web app's client, as the installer registers it with Janssen: public
// (PKCE), returning to sso.html and logout.html.
if (cfg.webClientId) {
  clients.push({
    client_id: cfg.webClientId,
    application_type: 'web',
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [`https://${cfg.domain}/static/sso.html`],
    post_logout_redirect_uris: [`https://${cfg.domain}/static/logout.html`],
    token_endpoint_auth_method: 'none',
  });
}
// Janssen's corsAllowedOrigins: "*" or a list of origins.
const corsOrigins = cfg.corsOrigins ?? ['*'];

const provider = new Provider(cfg.issuer, {
  adapter: Adapter,
  jwks: { keys: cfg.jwks },
  clients,
  clientBasedCORS: (ctx, origin) => corsOrigins.includes('*') || corsOrigins.includes(origin),
  ttl: { AccessToken: 3600, ClientCredentials: 3600 },
  claims: { openid: ['sub'], profile: ['name', 'picture'], email: ['email'] },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  features: {
    // Its login and consent pages stand for Janssen's, for the web client.
    devInteractions: { enabled: Boolean(cfg.webClientId) },
    // Janssen publishes encryption keys too; this makes the RSA one of use.
    encryption: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    registration: { enabled: true, initialAccessToken: cfg.initialAccessToken },
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
    rpInitiatedLogout: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => cfg.resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        const r = resources[resource];
        if (!r) throw new Error(`unknown resource ${resource}`);
        return {
          scope: 'meet',
          audience: resource === cfg.resource ? cfg.audience : resource,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: r.alg } },
        };
      },
    },
  },
  // What Janssen's UPDATE_TOKEN script adds for Jitsi.
  extraTokenClaims: () => ({
    room: '*',
    context: { user: { id: cfg.testClientId, name: 'OIDC Test', moderator: true } },
  }),
  formats: {
    customizers: {
      jwt: (ctx, token, jwt) => {
        const r = resources[token.resourceServer?.identifier()];
        jwt.payload.sub = cfg.domain;
        if (r?.typ) jwt.header = { typ: r.typ };
      },
    },
  },
  enabledJWA: {
    idTokenSigningAlgValues: ['RS256', 'RS384', 'PS256', 'ES256'],
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

const callback = provider.callback();
const server = https.createServer({
  cert: fs.readFileSync(cfg.cert),
  key: fs.readFileSync(cfg.key),
}, (req, res) => {
  // Test-only: the ids of the clients registered dynamically.
  if (req.method === 'GET' && req.url === '/_test/clients') {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify([...(stores.get('Client') ?? new Map()).keys()]));
    return;
  }
  callback(req, res);
});
server.listen(cfg.port, cfg.host, () => console.log('listening'));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
