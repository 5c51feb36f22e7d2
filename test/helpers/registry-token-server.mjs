// A token service for docker-registry's `auth: token` mode (the scheme Docker Hub, GHCR and most
// hosted registries use): GET /token?service=…&scope=repository:NAME:ACTIONS with basic
// credentials → a JWT signed RS256 with the test key, its certificate in the `x5c` header (the
// registry trusts it through `rootcertbundle`). Runs as its own process because the tests call
// mlp synchronously, which would block a server in the test's own event loop.
//
//   node registry-token-server.mjs <port> <key.pem> <cert.pem> <issuer> <service> <user> <password>
import { createPrivateKey, createSign, randomUUID, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const [port, keyFile, certFile, issuer, service, user, password] = process.argv.slice(2);
const key = createPrivateKey(fs.readFileSync(keyFile));
const cert = new X509Certificate(fs.readFileSync(certFile));
const b64url = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  const auth = req.headers.authorization ?? '';
  const given = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
  process.stdout.write(`${JSON.stringify({ path: url.pathname, scope: url.searchParams.get('scope'), user: given.split(':')[0] || null })}\n`);
  if (url.pathname !== '/token' || given !== `${user}:${password}`) {
    res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
    return;
  }
  const access = [];
  for (const scope of url.searchParams.getAll('scope')) {
    const [type, name, actions] = scope.split(':');
    access.push({ type, name, actions: actions.split(',') });
  }
  const now = Math.floor(Date.now() / 1000);
  const header = { typ: 'JWT', alg: 'RS256', x5c: [cert.raw.toString('base64')] };
  const claims = { iss: issuer, sub: user, aud: url.searchParams.get('service') ?? service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
  const body = `${b64url(header)}.${b64url(claims)}`;
  const signature = createSign('RSA-SHA256').update(body).sign(key).toString('base64url');
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: `${body}.${signature}`, expires_in: 300 }));
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
