// The reference server of the endpoint benchmark: node oidc-provider with its
// in-memory adapter, configured to answer the same three requests authclients
// answers (client_credentials, introspection, the token's user). It prints one
// JSON line with its URL, client and a live token, then serves until killed.
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const clientId = 'bench';
const clientSecret = process.argv[3] || 'bench-secret-for-the-reference-server-0123456789';
const issuer = `http://127.0.0.1:${port}`;

// oidc-provider's own memory adapter is an LRU of 1,000 entries: under load the
// benchmark's user token would be evicted and every later introspection answer
// {"active": false} cheaply. A plain Map keeps every token, as a database would.
const stores = new Map();
class MapAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.items = stores.get(name);
  }
  async upsert(id, payload) { this.items.set(id, payload); }
  async find(id) { return this.items.get(id); }
  async findByUid(uid) { for (const p of this.items.values()) if (p.uid === uid) return p; return undefined; }
  async findByUserCode(code) { for (const p of this.items.values()) if (p.userCode === code) return p; return undefined; }
  async consume(id) { const p = this.items.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.items.delete(id); }
  async revokeByGrantId(grantId) {
    for (const [id, p] of this.items) if (p.grantId === grantId) this.items.delete(id);
  }
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'openid read write',
  }],
  scopes: ['openid', 'read', 'write'],
  ttl: { Grant: 86400 },
  cookies: { keys: ['bench-cookie-key-not-a-secret'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
  },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});
provider.proxy = false;

// A live user token, minted as a code exchange would: a grant, then its access token.
const client = await provider.Client.find(clientId);
const grant = new provider.Grant({ accountId: 'bench-user', clientId });
grant.addOIDCScope('openid read');
const grantId = await grant.save();
const token = new provider.AccessToken({
  accountId: 'bench-user', client, grantId, scope: 'openid read', expiresIn: 86400,
});
const value = await token.save();

const server = provider.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  process.stdout.write(`${JSON.stringify({
    url: `http://127.0.0.1:${bound}`, client_id: clientId, secret: clientSecret, token: value,
    token_path: '/token', introspection_path: '/token/introspection', userinfo_path: '/me',
  })}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
