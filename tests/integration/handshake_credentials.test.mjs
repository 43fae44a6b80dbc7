// Credentials before the upgrade (Plezi's pre_connect): an endpoint takes a token from the path,
// the query, the Authorization header or a cookie, and verifies it as a JWT or asks the back
// end. A refused client gets an HTTP error with a JSON body and never a WebSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startHerald, connectMyxi, within } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { signJwt, now } from '../lib/jwt.mjs';

const secret = 'a-test-secret-of-enough-length';
let backend;
let node;

before(async () => {
  backend = await startHttpBackend(() => ({}));
  node = await startHerald({
    config: `
[auth]
jwt_secret = "${secret}"
[exchanges.members]
access = "authenticated"
[backend]
url = "${backend.url}"
timeout_ms = 400
[[endpoints]]
path = "/pushwss"
[[endpoints]]
path = "/api/{token}"
credentials = "path:token"
[[endpoints]]
path = "/q"
credentials = "query:access_token"
[[endpoints]]
path = "/h"
credentials = "header"
[[endpoints]]
path = "/c"
credentials = "cookie:sid"
[[endpoints]]
path = "/b/{token}"
credentials = "path:token"
verify = "backend"
`,
  });
});
after(async () => {
  assert.equal((await node.stop()).code, 0);
  await backend.stop();
});

const token = (claims = {}) => signJwt({ sub: 'user-5', exp: now() + 600, ...claims }, { secret });

// Attempts the upgrade with Node's http client: the 101 or the refusal's status and JSON body.
function upgrade(path, headers = {}) {
  return within(5000, new Promise((resolve, reject) => {
    const request = http.get(node.url(path), {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', ...headers },
    });
    request.on('upgrade', (res, socket) => { socket.destroy(); resolve({ status: res.statusCode }); });
    request.on('response', (res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    request.on('error', reject);
  }), `the upgrade of ${path}`);
}

test('a valid JWT in the path opens an authenticated session', async () => {
  const client = await connectMyxi(node, `/api/${token()}`);
  assert.equal((await client.request('Subscribe', { exchange: 'members', routing_key: 'x' })).event, 'Subscribed');
  await client.close();
});

test('each source is read where the endpoint says: query, Authorization header, cookie', async () => {
  assert.equal((await upgrade(`/q?access_token=${token()}`)).status, 101);
  assert.equal((await upgrade('/h', { authorization: `Bearer ${token()}` })).status, 101);
  assert.equal((await upgrade('/c', { cookie: `theme=dark; sid=${token()}` })).status, 101);
});

test('missing credentials are 401 credentials_required, saying where the token goes', async () => {
  const cases = [
    ['/q', {}, 'the query parameter access_token'],
    ['/h', { authorization: 'Basic abc' }, 'an Authorization: Bearer header'],
    ['/c', { cookie: 'other=1' }, 'the cookie sid'],
  ];
  for (const [path, headers, where] of cases) {
    const refused = await upgrade(path, headers);
    assert.equal(refused.status, 401, path);
    assert.deepEqual(refused.body, { error: 'credentials_required', detail: `this endpoint needs a token in ${where}` });
  }
});

test('a bad or expired JWT is 401 invalid_credentials with the reason', async () => {
  const expired = await upgrade(`/api/${token({ exp: now() - 3600 })}`);
  assert.deepEqual({ status: expired.status, body: expired.body }, { status: 401, body: { error: 'invalid_credentials', detail: 'expired' } });
  const forged = await upgrade(`/api/${signJwt({ sub: 'x', exp: now() + 60 }, { secret: 'another-secret-entirely' })}`);
  assert.equal(forged.body.detail, 'bad_signature');
});

test('an endpoint without credentials stays open to anyone', async () => {
  assert.equal((await upgrade('/pushwss')).status, 101);
});

test('verify = "backend" sends a connect request and opens the session as the identity it names', async () => {
  backend.requests.length = 0;
  backend.answer = (r) => (r.token === 'good-one' ? { allow: true, identity: 'user-77', grants: [] } : { allow: false, reason: 'unknown token' });
  const client = await connectMyxi(node, '/b/good-one');
  assert.equal((await client.request('Subscribe', { exchange: 'members', routing_key: 'm' })).event, 'Subscribed');
  const [connect] = backend.requests;
  assert.equal(connect.kind, 'connect');
  assert.equal(connect.token, 'good-one');
  assert.equal(connect.path, '/b/good-one');
  assert.equal(connect.endpoint, '/b/{token}');
  assert.equal(connect.session, undefined);
  assert.equal(connect.identity, null);
  await client.close();

  const refused = await upgrade('/b/bad-one');
  assert.deepEqual(refused, { status: 403, body: { error: 'refused', detail: 'unknown token' } });
});

test('a back end that fails the connect request gives 504 or 502, never a hang', async () => {
  backend.answer = () => 'hang';
  assert.deepEqual(await upgrade('/b/x'), { status: 504, body: { error: 'backend_timeout', detail: 'the back end did not answer in time' } });
  backend.answer = () => ({ status: 500, body: '' });
  assert.deepEqual(await upgrade('/b/x'), { status: 502, body: { error: 'backend_error', detail: 'the back end is unavailable' } });
});
