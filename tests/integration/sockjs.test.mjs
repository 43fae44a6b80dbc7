// SockJS (docs/protocol.md#sockjs) with raw HTTP: the greeting, info and CORS answers, each
// session transport's frames (xhr polling, xhr_send, xhr_streaming, eventsource, websocket and
// raw websocket), and the answers to bad input: broken or empty JSON, unknown sessions, a
// second receiver, polling a closed or expired session. The echo dialect at /__sockjs__ sends
// every message back; Myxi at /myxi-sockjs says Welcome first. With two shards, session
// requests reach the shard that owns the session whichever shard accepted them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startHerald, within, eventually, publish, heraldBinary } from '../lib/herald.mjs';

const config = `
[[endpoints]]
path = "/echo"
dialect = "echo"
sockjs = true

[[endpoints]]
path = "/pushwss"
sockjs = "/myxi-sockjs"

[sockjs]
disconnect_delay_seconds = 1
response_limit_bytes = 4096

[limits]
max_message_bytes = 1024
`;

let node;
before(async () => {
  node = await startHerald({ config, threads: 2 });
});
after(async () => {
  if (!node) return;
  assert.equal((await node.stop()).code, 0, 'herald exits 0 on SIGTERM');
});

let sessions = 0;
const newSession = () => `s${process.pid}-${++sessions}`;

// One request on its own connection; resolves with { status, headers, body }.
function request(method, path, { body, headers = {} } = {}) {
  return within(10000, new Promise((resolve, reject) => {
    const req = http.request(node.url(path), { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  }), `${method} ${path}`);
}

const poll = (prefix, id) => request('POST', `${prefix}/000/${id}/xhr`);
const sendMessages = (prefix, id, body) => request('POST', `${prefix}/000/${id}/xhr_send`, { body });

// A streaming response read as it arrives: next(text) waits until the body so far contains it.
function openStream(path, method, on = node) {
  let text = '';
  const waiters = [];
  let ended = false;
  const check = () => {
    for (const w of waiters.splice(0)) {
      if (text.includes(w.expected, w.from)) w.resolve(text);
      else if (ended) w.reject(new Error(`the stream ended without ${w.expected}: ${text.slice(-200)}`));
      else waiters.push(w);
    }
  };
  const response = new Promise((resolve, reject) => {
    const req = http.request(on.url(path), { method, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; check(); });
      res.on('end', () => { ended = true; check(); });
      resolve(res);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    response,
    get text() { return text; },
    next(expected, from = 0) {
      return within(10000, new Promise((resolve, reject) => { waiters.push({ expected, from, resolve, reject }); check(); }), expected);
    },
    ended: () => eventually(() => ended, 'the stream to end'),
  };
}

test('the prefix greets, and info says websocket is on and no cookie is needed', async () => {
  const greeting = await request('GET', '/__sockjs__');
  assert.equal(greeting.status, 200);
  assert.equal(greeting.body, 'Welcome to SockJS!\n');
  assert.match(greeting.headers['content-type'], /^text\/plain/);

  const info = await request('GET', '/__sockjs__/info', { headers: { Origin: 'http://example.test' } });
  assert.equal(info.status, 200);
  const body = JSON.parse(info.body);
  assert.deepEqual({ ...body, entropy: 0 }, { websocket: true, cookie_needed: false, origins: ['*:*'], entropy: 0 });
  assert.equal(typeof body.entropy, 'number');
  assert.equal(info.headers['access-control-allow-origin'], 'http://example.test');
  assert.equal(info.headers['access-control-allow-credentials'], 'true');
  assert.match(info.headers['cache-control'], /no-store/);
});

test('OPTIONS is a CORS preflight that names the methods; a wrong method gets 405', async () => {
  const preflight = await request('OPTIONS', '/__sockjs__/000/x/xhr', { headers: { Origin: 'http://a.test', 'Access-Control-Request-Headers': 'content-type' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-methods'], 'OPTIONS, POST');
  assert.equal(preflight.headers['access-control-allow-headers'], 'content-type');
  assert.equal(preflight.headers['access-control-allow-origin'], 'http://a.test');
  assert.equal((await request('OPTIONS', '/__sockjs__/info')).headers['access-control-allow-methods'], 'OPTIONS, GET');
  assert.equal((await request('GET', '/__sockjs__/000/x/xhr')).status, 405);
  assert.equal((await request('POST', '/__sockjs__/info')).status, 405);
});

test('xhr polling opens the session, then carries back what xhr_send sent, in one array frame', async () => {
  const id = newSession();
  const opened = await poll('/__sockjs__', id);
  assert.equal(opened.status, 200);
  assert.equal(opened.body, 'o\n');
  assert.match(opened.headers['content-type'], /^application\/javascript/);

  const sent = await sendMessages('/__sockjs__', id, JSON.stringify(['hello', 'wörld "quoted"']));
  assert.equal(sent.status, 204);
  assert.equal(sent.body, '');
  const echoed = await poll('/__sockjs__', id);
  assert.equal(echoed.body, 'a' + JSON.stringify(['hello', 'wörld "quoted"']) + '\n');
});

test('a poll waits for the next message when none is queued', async () => {
  const id = newSession();
  await poll('/__sockjs__', id);
  const waiting = poll('/__sockjs__', id);
  await sendMessages('/__sockjs__', id, '["later"]');
  assert.equal((await waiting).body, 'a["later"]\n');
});

test('xhr_send answers 404 for an unknown session, 500 for an empty or broken body', async () => {
  const unknown = await sendMessages('/__sockjs__', newSession(), '["x"]');
  assert.equal(unknown.status, 404);

  const id = newSession();
  await poll('/__sockjs__', id);
  const empty = await sendMessages('/__sockjs__', id, '');
  assert.deepEqual([empty.status, empty.body], [500, 'Payload expected.']);
  for (const broken of ['[', '["a", 1]', '{"a":"b"}', 'x', '["a"] ["b"]']) {
    const answer = await sendMessages('/__sockjs__', id, broken);
    assert.deepEqual([answer.status, answer.body], [500, 'Broken JSON encoding.'], broken);
  }
  // Nothing of the refused bodies reached the session; it still works.
  await sendMessages('/__sockjs__', id, '["fine"]');
  assert.equal((await poll('/__sockjs__', id)).body, 'a["fine"]\n');
});

test('a bad session id or an unknown transport gets 404', async () => {
  assert.equal((await request('POST', '/__sockjs__/000/a.b/xhr')).status, 404);
  assert.equal((await request('POST', `/__sockjs__/000/${'x'.repeat(65)}/xhr`)).status, 404);
  assert.equal((await request('GET', '/__sockjs__/000/abc/htmlfile')).status, 404);
  assert.equal((await request('GET', '/__sockjs__/000/abc/jsonp')).status, 404);
});

test('a second receiver while one is attached gets c[2010,"Another connection still open"]', async () => {
  const id = newSession();
  const stream = openStream(`/__sockjs__/000/${id}/xhr_streaming`, 'POST');
  await stream.next('o\n'); // the stream is the session's receiver now
  assert.equal((await poll('/__sockjs__', id)).body, 'c[2010,"Another connection still open"]\n');
  await sendMessages('/__sockjs__', id, '["still mine"]');
  await stream.next('o\na["still mine"]\n');
  (await stream.response).destroy();
});

test('a message over max_message_bytes closes the session; polling it then answers the close frame', async () => {
  const id = newSession();
  await poll('/__sockjs__', id);
  assert.equal((await sendMessages('/__sockjs__', id, JSON.stringify(['x'.repeat(1025)]))).status, 204);
  assert.equal((await poll('/__sockjs__', id)).body, 'c[1009,"protocol_error"]\n');
  assert.equal((await poll('/__sockjs__', id)).body, 'c[1009,"protocol_error"]\n');
  assert.equal((await sendMessages('/__sockjs__', id, '["x"]')).status, 204, 'the session is known until it expires');
});

test('a session without a receiver for disconnect_delay ends, and is unknown afterwards', async () => {
  const id = newSession();
  await poll('/__sockjs__', id);
  await eventually(async () => (await sendMessages('/__sockjs__', id, '["x"]')).status === 404, 'the session to expire', 5000);
  assert.equal((await poll('/__sockjs__', id)).body, 'o\n', 'the same id opens a new session');
});

test('xhr_streaming sends the 2 KiB prelude, the open frame, then each message as it comes, and ends after response_limit', async () => {
  const id = newSession();
  const stream = openStream(`/__sockjs__/000/${id}/xhr_streaming`, 'POST');
  const res = await stream.response;
  assert.equal(res.statusCode, 200);
  const prelude = 'h'.repeat(2048) + '\n';
  await stream.next(prelude + 'o\n');
  await sendMessages('/__sockjs__', id, '["one"]');
  await stream.next('a["one"]\n');
  await sendMessages('/__sockjs__', id, JSON.stringify(['y'.repeat(1000)]));
  await stream.next('y"]\n', prelude.length + 12);
  // 4096 bytes of frames end the stream; the session lives on for the next one.
  for (let i = 0; i < 4; ++i) await sendMessages('/__sockjs__', id, JSON.stringify(['z'.repeat(1000)]));
  await stream.ended();
  const next = openStream(`/__sockjs__/000/${id}/xhr_streaming`, 'POST');
  await sendMessages('/__sockjs__', id, '["after"]');
  await next.next('a["after"]\n');
});

test('eventsource carries the same frames as server-sent events', async () => {
  const id = newSession();
  const stream = openStream(`/__sockjs__/000/${id}/eventsource`, 'GET');
  const res = await stream.response;
  assert.match(res.headers['content-type'], /^text\/event-stream/);
  await stream.next('\r\ndata: o\r\n\r\n');
  await sendMessages('/__sockjs__', id, '["es"]');
  await stream.next('data: a["es"]\r\n\r\n');
  res.destroy();
});

test('Myxi over SockJS: Welcome in the first array frame, then a published event', async () => {
  const id = newSession();
  assert.equal((await poll('/myxi-sockjs', id)).body, 'o\n');
  const welcome = JSON.parse((await poll('/myxi-sockjs', id)).body.slice(1));
  assert.equal(JSON.parse(welcome[0]).event, 'Welcome');
  await sendMessages('/myxi-sockjs', id, JSON.stringify([JSON.stringify({ action: 'Subscribe', payload: { exchange: 'news', routing_key: 'k' } })]));
  const subscribed = JSON.parse((await poll('/myxi-sockjs', id)).body.slice(1));
  assert.equal(JSON.parse(subscribed[0]).event, 'Subscribed');
  assert.equal((await publish(node, { exchange: 'news', routing_key: 'k', event: 'Hi', payload: { n: 1 } })).status, 202);
  const events = JSON.parse((await poll('/myxi-sockjs', id)).body.slice(1));
  assert.deepEqual(JSON.parse(events[0]), { event: 'Hi', payload: { n: 1 }, mq: { e: 'news', rk: 'k' } });
});

test('sessions whose ids hash to either shard all work, whichever shard accepts their requests', async () => {
  const ids = Array.from({ length: 8 }, newSession);
  await Promise.all(ids.map(async (id) => {
    assert.equal((await poll('/__sockjs__', id)).body, 'o\n');
    await sendMessages('/__sockjs__', id, JSON.stringify([id]));
    assert.equal((await poll('/__sockjs__', id)).body, `a["${id}"]\n`);
  }));
});

test('a waiting receiver gets an h frame after heartbeat_seconds without a frame', async () => {
  const other = await startHerald({ config: '[[endpoints]]\npath = "/echo"\ndialect = "echo"\nsockjs = true\n[sockjs]\nheartbeat_seconds = 1\n' });
  try {
    const id = newSession();
    const stream = openStream(`/__sockjs__/000/${id}/xhr_streaming`, 'POST', other);
    await stream.next('o\n');
    await stream.next('o\nh\n');
  } finally {
    assert.equal((await other.stop()).code, 0);
  }
});

test('at shutdown the receiver of a session gets c[1001,"shutdown"] and the node exits', async () => {
  const other = await startHerald({ config: '[[endpoints]]\npath = "/echo"\ndialect = "echo"\nsockjs = true\n' });
  const stream = openStream(`/__sockjs__/000/${newSession()}/xhr_streaming`, 'POST', other);
  await stream.next('o\n');
  const stopped = other.stop();
  await stream.next('o\nc[1001,"shutdown"]\n');
  await stream.ended();
  assert.equal((await stopped).code, 0);
});

// A WebSocket whose messages are queued; next() takes the first.
async function openWebSocket(path) {
  const ws = new WebSocket(node.wsUrl(path));
  const queue = [];
  const waiters = [];
  ws.on('message', (data) => {
    const text = data.toString();
    if (waiters.length) waiters.shift()(text);
    else queue.push(text);
  });
  await within(10000, new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }), `${path} to open`);
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  return {
    ws,
    closed,
    next: () => within(10000, queue.length ? Promise.resolve(queue.shift()) : new Promise((resolve) => waiters.push(resolve)), 'a message'),
  };
}

test('the websocket transport frames: o, then a[...] for each message; broken JSON closes with c[1007,...]', async () => {
  const client = await openWebSocket(`/__sockjs__/000/${newSession()}/websocket`);
  assert.equal(await client.next(), 'o');
  client.ws.send('["ws one","ws two"]');
  assert.equal(await client.next(), 'a["ws one"]');
  assert.equal(await client.next(), 'a["ws two"]');
  client.ws.send('"a string alone"');
  assert.equal(await client.next(), 'a["a string alone"]');
  client.ws.send('[1');
  assert.equal(await client.next(), 'c[1007,"Broken JSON encoding."]');
  assert.equal(await client.closed, 1007);
});

test('raw websocket under the prefix speaks the dialect as a plain WebSocket', async () => {
  const client = await openWebSocket('/__sockjs__/websocket');
  client.ws.send('plain text');
  assert.equal(await client.next(), 'plain text');
  client.ws.close();
  const myxi = await openWebSocket('/myxi-sockjs/websocket');
  assert.equal(JSON.parse(await myxi.next()).event, 'Welcome');
  myxi.ws.close();
});

test('a GET of a websocket path without an upgrade gets 400', async () => {
  const answer = await request('GET', '/__sockjs__/000/abc/websocket');
  assert.deepEqual([answer.status, answer.body], [400, 'Can "Upgrade" only to "WebSocket".']);
});

test('a SockJS prefix that is taken, hides a path, or comes with credentials stops Herald at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-sockjs-config-'));
  const refusal = (text) => {
    const file = join(dir, 'herald.toml');
    writeFileSync(file, text);
    const run = spawnSync(heraldBinary, ['--config', file, '--port', '0', '--bind', '127.0.0.1'], { encoding: 'utf8', timeout: 20000 });
    assert.equal(run.status, 2, run.stderr); // a configuration error
    return run.stderr;
  };
  try {
    const twice = '[[endpoints]]\npath = "/a"\nsockjs = true\n[[endpoints]]\npath = "/b"\nsockjs = true\n';
    assert.match(refusal(twice), /endpoints\[1\]\.sockjs: \/__sockjs__ is already the SockJS prefix of endpoints\[0\]/);
    assert.match(refusal('[[endpoints]]\npath = "/s/x"\n[[endpoints]]\npath = "/b"\nsockjs = "/s"\n'), /would hide the endpoint \/s\/x/);
    assert.match(refusal('[[endpoints]]\npath = "/b"\nsockjs = "/api"\n'), /would hide the HTTP API path \/api\/publish/);
    assert.match(refusal('[[endpoints]]\npath = "/b"\nsockjs = "/x/"\n'), /endpoints\[0\]\.sockjs: must be true, false or a path/);
    assert.match(refusal('[[endpoints]]\npath = "/b/{token}"\ncredentials = "path:token"\nsockjs = true\n'), /cannot be served over SockJS yet/);
    // The back end's check of every upgrade (Plezi's pre_connect) would be skipped over SockJS.
    assert.match(refusal('[backend]\nurl = "http://127.0.0.1:9/h"\n[[endpoints]]\npath = "/b"\nverify = "backend"\nsockjs = true\n'), /verify = "backend" cannot be served over SockJS yet/);
    assert.match(refusal('[[endpoints]]\npath = "/api/{token}"\ndialect = "piped"\nsockjs = true\n'), /carry no \{parameters\}/);
    assert.match(refusal('[[endpoints]]\npath = "/a"\nsockjs = "/s"\n[[endpoints]]\npath = "/b"\nsockjs = "/s/t"\n'), /\/s\/t lies under the SockJS prefix \/s of endpoints\[0\]/);
    assert.match(refusal('[sockjs]\nheartbeat_seconds = 0\n'), /sockjs\.heartbeat_seconds/);
    assert.match(refusal('[sockjs]\nbogus = 1\n'), /sockjs\.bogus: unknown key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
