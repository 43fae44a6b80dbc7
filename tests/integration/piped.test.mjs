// The Piped dialect over the HTTP back end: /api/{token}, methods answered by the back end as
// results, ping answered locally, events addressed to a token, Piped's error events.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHerald, publish, within } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';

let backend;
let node;

before(async () => {
  backend = await startHttpBackend(() => ({}));
  node = await startHerald({
    config: `
[backend]
url = "${backend.url}"
timeout_ms = 400
[[endpoints]]
path = "/api/{token}"
dialect = "piped"
`,
  });
});
after(async () => {
  assert.equal((await node.stop()).code, 0);
  await backend.stop();
});
beforeEach(() => { backend.requests.length = 0; });

// A Piped client: JSON messages in arrival order; next() waits for one that matches.
async function connectPiped(token) {
  const ws = new WebSocket(node.wsUrl(`/api/${token}`));
  const queue = [];
  const waiters = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    const i = waiters.findIndex((w) => w.match(m));
    if (i >= 0) waiters.splice(i, 1)[0].resolve(m); else queue.push(m);
  });
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  await within(5000, new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), 'open');
  return {
    send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next(match = () => true, what = 'a message') {
      const i = queue.findIndex(match);
      if (i >= 0) return Promise.resolve(queue.splice(i, 1)[0]);
      return within(5000, new Promise((resolve) => waiters.push({ match, resolve })), what);
    },
    close: () => { ws.close(); return closed; },
    closed,
  };
}

test('a method goes to the back end with the token, and its answer comes back as a result', async () => {
  backend.answer = (r) => ({ payload: { title: `article ${r.payload?.articleId}` } });
  const client = await connectPiped('tok-1');
  client.send({ id: 1, method: 'get-article', payload: { articleId: 7 } });
  assert.deepEqual(await client.next(), { id: 1, type: 'result', method: 'get-article', payload: { title: 'article 7' } });
  const [request] = backend.requests;
  assert.equal(request.kind, 'method');
  assert.equal(request.dialect, 'piped');
  assert.deepEqual([request.id, request.method, request.token, request.payload], [1, 'get-article', 'tok-1', { articleId: 7 }]);
  // Without an id, the result has none either.
  client.send({ method: 'touch' });
  assert.deepEqual(await client.next(), { type: 'result', method: 'touch', payload: { title: 'article undefined' } });
  await client.close();
});

test('ping is answered by the node, never by the back end', async () => {
  const client = await connectPiped('tok-2');
  client.send({ method: 'ping' });
  assert.deepEqual(await client.next(), { type: 'event', event: 'pong' });
  assert.equal(backend.requests.length, 0);
  await client.close();
});

test('an event addressed to a token reaches every session of that token and no other', async () => {
  const [a1, a2, b] = [await connectPiped('alice'), await connectPiped('alice'), await connectPiped('bob')];
  const sent = await publish(node, { exchange: 'piped', routing_key: 'alice', event: 'balance-changed', payload: { balance: 5 } });
  assert.equal(sent.status, 202);
  for (const client of [a1, a2]) {
    assert.deepEqual(await client.next(), { type: 'event', event: 'balance-changed', payload: { balance: 5 } });
  }
  b.send({ method: 'ping' });
  assert.deepEqual(await b.next(), { type: 'event', event: 'pong' }, 'bob got nothing before his pong');
  for (const client of [a1, a2, b]) await client.close();
});

test('input that is not JSON, or has no method, gets a readable error event', async () => {
  const client = await connectPiped('tok-3');
  client.send('not json at all');
  const notJson = await client.next();
  assert.equal(notJson.type, 'event');
  assert.equal(notJson.event, 'error');
  assert.match(notJson.payload.message, /^Can not parse JSON .*: not json at all$/);
  client.send({ id: 4, payload: {} });
  assert.deepEqual(await client.next(), { type: 'event', event: 'error', payload: { message: 'Method is not specified: the message needs a string "method"' } });
  client.send('null');
  assert.match((await client.next()).payload.message, /must be a JSON object/);
  await client.close();
});

test('a back end that fails gives an error event carrying the call\'s id', async () => {
  backend.answer = () => 'hang';
  const client = await connectPiped('tok-4');
  client.send({ id: 'x', method: 'slow' });
  assert.deepEqual(await client.next(), { id: 'x', type: 'event', event: 'error', payload: { message: 'BackendTimeout: the back end did not answer slow in time' } });
  backend.answer = () => ({ error: 'no such article' });
  client.send({ id: 'y', method: 'get-article' });
  assert.deepEqual(await client.next(), { id: 'y', type: 'event', event: 'error', payload: { message: 'BackendError: no such article' } });
  await client.close();
});

test('clients cannot reach the Piped exchange through another dialect', async () => {
  const other = await startHerald({ config: `[[endpoints]]\npath = "/pushwss"\n[[endpoints]]\npath = "/api/{token}"\ndialect = "piped"\n` });
  const { connectMyxi } = await import('../lib/herald.mjs');
  const spy = await connectMyxi(other);
  const denied = await spy.request('Subscribe', { exchange: 'piped', routing_key: 'alice' });
  assert.equal(denied.payload.error, 'SubscriptionDenied');
  await spy.close();
  assert.equal((await other.stop()).code, 0);
});
