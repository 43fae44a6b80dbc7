// The Plezi dialect over the HTTP back end: raw messages (on_message) and JSON auto-dispatch
// with acks, unknown events as Plezi 0.12 (err 404) and 0.14 (close) answer them, Plezi's
// callbacks as back-end requests, writes by addressing the session, and every bad input's
// documented outcome (docs/protocol.md#the-plezi-dialect). Its keys' start-up errors are in
// command_line.test.mjs.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startHerald, send, within } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { connectPlezi } from '../lib/plezi.mjs';

let backend;
let node;

const endpoints = `
[[endpoints]]
path = "/raw"
dialect = "plezi"
[[endpoints]]
path = "/ws"
dialect = "plezi"
auto_dispatch = true
[[endpoints]]
path = "/ws14"
dialect = "plezi"
auto_dispatch = true
unknown_event = "close"
[[endpoints]]
path = "/gate"
dialect = "plezi"
verify = "backend"
`;

before(async () => {
  backend = await startHttpBackend(() => ({}));
  node = await startHerald({
    config: `
[limits]
max_message_bytes = 4096
[backend]
url = "${backend.url}"
timeout_ms = 400
${endpoints}`,
  });
});
after(async () => {
  assert.equal((await node.stop()).code, 0);
  await backend.stop();
});
beforeEach(() => { backend.requests.length = 0; backend.answer = () => ({}); });

const kinds = (kind) => backend.requests.filter((r) => r.kind === kind);
async function requestOf(kind) {
  while (kinds(kind).length === 0) await backend.received(backend.requests.length + 1);
  return kinds(kind)[0];
}

test('on_open tells the back end the path and query, and its answer is written to the client', async () => {
  backend.answer = (r) => (r.kind === 'on_open' ? { payload: 'welcome' } : {});
  const client = await connectPlezi(node, '/raw?room=7');
  assert.equal(await client.next(), 'welcome');
  const open = await requestOf('on_open');
  assert.equal(open.dialect, 'plezi');
  assert.equal(open.endpoint, '/raw');
  assert.deepEqual([open.path, open.query], ['/raw', 'room=7']);
  assert.match(open.session, /^[0-9a-f]{16}$/);
  await client.close();
  const close = await requestOf('on_close');
  assert.equal(close.session, open.session);
});

test('a raw text message goes to the back end as it is, and a string answer is written back', async () => {
  backend.answer = (r) => (r.kind === 'on_message' ? { payload: `got ${r.data}` } : {});
  const client = await connectPlezi(node, '/raw');
  client.send('hello {not json}');
  assert.equal(await client.next(), 'got hello {not json}');
  const message = await requestOf('on_message');
  assert.equal(message.data, 'hello {not json}');
  assert.equal(message.binary, undefined);
  await client.close();
});

test('a raw binary message reaches the back end as base64url with binary: true', async () => {
  const client = await connectPlezi(node, '/raw');
  client.send(Buffer.from([0, 255, 254, 1]));
  const message = await requestOf('on_message');
  assert.equal(message.binary, true);
  assert.deepEqual(Buffer.from(message.data, 'base64url'), Buffer.from([0, 255, 254, 1]));
  await client.close();
});

test('the back end writes to a raw session by unicast: a string as it is, an object as JSON', async () => {
  const client = await connectPlezi(node, '/raw');
  const { session } = await requestOf('on_open');
  assert.equal((await send(node, { to: { session }, event: 'ignored', payload: 'plain text' })).status, 202);
  assert.equal(await client.next(), 'plain text');
  await send(node, { to: { session }, event: 'chat', payload: { message: 'hi' } });
  assert.equal(await client.next(), '{"event":"chat","message":"hi"}');
  await send(node, { to: { session }, event: 'chat', payload: ['hi', 2] });
  assert.equal(await client.next(), '{"event":"chat","data":["hi",2]}');
  await client.close();
});

test('an event with _EID_ is acked first, then the back end\'s object answer is sent', async () => {
  backend.answer = (r) => (r.kind === 'event' ? { payload: { event: 'chat', echo: r.message.data } } : {});
  const client = await connectPlezi(node, '/ws');
  client.send({ event: 'chat', data: 'hi', _EID_: 17 });
  assert.deepEqual(await client.json(), { event: '_ack_', _EID_: 17 });
  assert.deepEqual(await client.json(), { event: 'chat', echo: 'hi' });
  const request = await requestOf('event');
  assert.equal(request.event, 'chat');
  assert.deepEqual(request.message, { event: 'chat', data: 'hi', _EID_: 17 });
  // A string _EID_ comes back JSON-encoded (Plezi 0.14), not interpolated (0.12's bug).
  client.send({ event: 'chat', data: 'x', _EID_: 'e"1' });
  assert.deepEqual(await client.json(), { event: '_ack_', _EID_: 'e"1' });
  await client.next();
  await client.close();
});

test('an event the back end refuses is answered with Plezi 0.12\'s err 404 and the request', async () => {
  backend.answer = () => ({ allow: false });
  const client = await connectPlezi(node, '/ws');
  client.send({ event: 'nope', n: 1 });
  assert.deepEqual(await client.json(), { event: 'err', status: 404, result: 'not found', request: { event: 'nope', n: 1 } });
  await client.close();
});

test('a reserved or underscored event name is unknown without asking the back end', async () => {
  const client = await connectPlezi(node, '/ws');
  await requestOf('on_open');
  for (const event of ['on_open', '_private', 5]) {
    client.send({ event });
    assert.deepEqual(await client.json(), { event: 'err', status: 404, result: 'not found', request: { event } });
  }
  assert.equal(kinds('event').length, 0);
  await client.close();
});

test('on an endpoint with unknown_event = "close", an unknown event closes with 1008 (Plezi 0.14)', async () => {
  backend.answer = (r) => (r.kind === 'event' ? { allow: false } : {});
  const client = await connectPlezi(node, '/ws14');
  client.send({ event: 'nope', _EID_: 1 });
  assert.deepEqual(await client.json(), { event: '_ack_', _EID_: 1 });
  assert.deepEqual(await client.closed, { code: 1008, reason: 'unknown event' });
});

test('a back end that does not answer in time gets the client an err 504', async () => {
  backend.answer = (r) => (r.kind === 'event' ? 'hang' : {});
  const client = await connectPlezi(node, '/ws');
  client.send({ event: 'slow' });
  const err = await client.json();
  assert.equal(err.status, 504);
  assert.match(err.result, /^BackendTimeout/);
  assert.deepEqual(err.request, { event: 'slow' });
  await client.close();
});

test('bad input closes an auto-dispatch session with a documented code and reason', async () => {
  for (const [input, code, reason] of [
    ['{"event":', 1007, 'invalid JSON'],
    ['["chat"]', 1007, 'a message must be a JSON object'],
    [`{"event":"deep","data":${'['.repeat(100)}${']'.repeat(100)}}`, 1007, 'JSON nested deeper than 64 levels'],
    [Buffer.from('{"event":"chat"}'), 1003, 'binary messages are not dispatched'],
    [JSON.stringify({ event: 'big', data: 'x'.repeat(5000) }), 1009, ''],
  ]) {
    const client = await connectPlezi(node, '/ws');
    client.send(input);
    assert.deepEqual(await client.closed, { code, reason }, String(input).slice(0, 40));
  }
});

test('an _EID_ over 128 bytes of JSON gets err 400 and no ack, and the session stays open', async () => {
  backend.answer = (r) => (r.kind === 'event' ? { payload: { event: 'ok' } } : {});
  const client = await connectPlezi(node, '/ws');
  client.send({ event: 'chat', _EID_: 'x'.repeat(200) });
  assert.deepEqual(await client.json(), { event: 'err', status: 400, result: '_EID_ is longer than 128 bytes of JSON' });
  client.send({ event: 'chat' });
  assert.deepEqual(await client.json(), { event: 'ok' });
  assert.equal(kinds('event').length, 1);
  await client.close();
});

test('without a back end, raw messages are echoed where echo = true and every event is unknown', async () => {
  const alone = await startHerald({
    config: `
[[endpoints]]
path = "/echo"
dialect = "plezi"
echo = true
[[endpoints]]
path = "/ws"
dialect = "plezi"
auto_dispatch = true
`,
  });
  const echo = await connectPlezi(alone, '/echo');
  echo.send('ping?');
  assert.equal(await echo.next(), 'ping?');
  echo.send(Buffer.from([1, 2]));
  assert.deepEqual(await echo.next(), Buffer.from([1, 2]));
  const client = await connectPlezi(alone, '/ws');
  client.send({ event: 'chat', _EID_: 3 });
  assert.deepEqual(await client.json(), { event: '_ack_', _EID_: 3 });
  assert.deepEqual(await client.json(), { event: 'err', status: 404, result: 'not found', request: { event: 'chat', _EID_: 3 } });
  await echo.close();
  await client.close();
  assert.equal((await alone.stop()).code, 0);
});

test('on_close reaches the back end even while the session has every request it may have pending', async () => {
  // Nothing is answered: on_open and the first message fill the session's two places.
  const own = await startHttpBackend((r) => (r.kind === 'on_close' ? {} : 'hang'));
  const busy = await startHerald({ config: `[backend]\nurl = "${own.url}"\ntimeout_ms = 10000\nmax_pending_per_session = 2\n${endpoints}` });
  try {
    const client = await connectPlezi(busy, '/raw');
    client.send('one');
    client.send('two'); // over the limit: dropped (documented)
    await own.received(2);
    await client.close();
    while (!own.requests.some((r) => r.kind === 'on_close')) await own.received(own.requests.length + 1);
    assert.deepEqual(own.requests.map((r) => r.kind), ['on_open', 'on_message', 'on_close']);
  } finally {
    assert.equal((await busy.stop()).code, 0);
    await own.stop();
  }
});

test('on_shutdown and on_close reach the back end when the node stops', async () => {
  const own = await startHttpBackend(() => ({}));
  const stopping = await startHerald({ config: `[backend]\nurl = "${own.url}"\n${endpoints}` });
  const client = await connectPlezi(stopping, '/raw');
  await own.received(1);
  const stopped = stopping.stop();
  assert.equal((await client.closed).code, 1001);
  assert.equal((await stopped).code, 0);
  await own.received(3);
  // Sent in that order; over several keep-alive connections they may arrive in another.
  assert.deepEqual(own.requests.map((r) => r.kind).sort(), ['on_close', 'on_open', 'on_shutdown']);
  await own.stop();
});

test('pre_connect: without credentials the back end decides every upgrade, with no token', async () => {
  backend.answer = (r) => {
    if (r.kind !== 'connect') return {};
    if (r.query === 'who=nobody') return { allow: false, reason: 'go away' };
    return r.query === 'who=ann' ? { allow: true, identity: 'ann' } : { allow: true };
  };
  const refused = await within(5000, new Promise((resolve, reject) => {
    const ws = new WebSocket(node.wsUrl('/gate?who=nobody'));
    ws.on('unexpected-response', (request, res) => {
      let body = '';
      res.on('data', (chunk) => { body += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: JSON.parse(body) }));
    });
    ws.on('open', () => reject(new Error('opened')));
  }), 'the refusal');
  assert.deepEqual(refused, { status: 403, body: { error: 'refused', detail: 'go away' } });
  const [connect] = kinds('connect');
  assert.equal(connect.token, null);
  assert.equal(connect.endpoint, '/gate');
  const anonymous = await connectPlezi(node, '/gate?who=any');
  assert.equal((await requestOf('on_open')).identity, null);
  await anonymous.close();
  backend.requests.length = 0;
  const ann = await connectPlezi(node, '/gate?who=ann');
  assert.equal((await requestOf('on_open')).identity.subject, 'ann');
  await ann.close();
});
