// A server nobody here wrote: node oidc-provider, mounted under a Keycloak-style
// issuer path (/realms/dev), with one client per authentication method the
// playground speaks. argv: port, the private_key_jwt client's public JWKS (JSON).
// Prints one JSON line with its issuer and clients, then serves until killed.
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.argv[2] || 0);
const jwks = JSON.parse(process.argv[3] || '{"keys":[]}');
const prefix = '/realms/dev';
const secret = 'interop-secret-long-enough-for-hs256-0123456789abcdef';

const server = http.createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}${prefix}`;

const confidential = (client_id, method, extra = {}) => ({
  client_id,
  client_secret: secret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: method,
  scope: 'read write',
  ...extra,
});

const provider = new Provider(issuer, {
  clients: [
    confidential('basic', 'client_secret_basic'),
    confidential('post', 'client_secret_post'),
    confidential('secretjwt', 'client_secret_jwt'),
    {
      client_id: 'keyjwt',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks,
      scope: 'read write',
    },
    {
      client_id: 'native',
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
    },
  ],
  scopes: ['openid', 'offline_access', 'read', 'write'],
  claims: { openid: ['sub'] },
  cookies: { keys: ['interop-cookie-key-not-a-secret'] },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: true },
  },
  // Refresh tokens for the native client without offline_access's extra consent.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
});
provider.on('server_error', (ctx, err) => process.stderr.write(`server_error ${err.stack}\n`));

const callback = provider.callback();
server.on('request', (req, res) => {
  // Mounted the way Express's app.use(prefix, …) mounts it.
  if (req.url === prefix || req.url.startsWith(`${prefix}/`) || req.url.startsWith(`${prefix}?`)) {
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length) || '/';
    callback(req, res);
  } else {
    res.statusCode = 404;
    res.setHeader('Content-Type', 'application/json');
    res.end('{"error":"not_found"}');
  }
});

process.stdout.write(`${JSON.stringify({ issuer, secret })}\n`);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
