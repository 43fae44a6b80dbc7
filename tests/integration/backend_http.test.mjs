// The application back end over HTTP: delegated subscriptions and authentication, custom
// actions with commands, and every way a back end can fail. A real Node HTTP server plays the
// back end; each test sets how it answers.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHerald, connectMyxi, publish, metrics, eventually, heraldBinary } from '../lib/herald.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';

let backend;
let node;
const timeoutMs = 400;
const perSession = 3;

before(async () => {
  backend = await startHttpBackend(() => ({}));
  node = await startHerald({
    config: `
[exchanges.news]
access = "public"
[exchanges.accounts]
access = "backend"
[backend]
url = "${backend.url}"
timeout_ms = ${timeoutMs}
max_pending_per_session = ${perSession}
authenticate = true
actions = ["GetBalance", "Kick"]
`,
  });
});
after(async () => {
  assert.equal((await node.stop()).code, 0);
  await backend.stop();
});
beforeEach(() => { backend.requests.length = 0; });

test('a subscription to a backend exchange is what the back end allows, with the whole envelope', async () => {
  backend.answer = (r) => ({ allow: r.routing_key === '42' });
  const client = await connectMyxi(node);
  const allowed = await client.request('Subscribe', { exchange: 'accounts', routing_key: 42 });
  assert.equal(allowed.event, 'Subscribed');
  assert.deepEqual(allowed.payload, { exchange: 'accounts', routing_key: 42 });
  const [request] = backend.requests;
  assert.equal(request.kind, 'subscribe');
  assert.equal(request.httpKind, 'subscribe');
  assert.equal(request.session, client.welcome.payload.id);
  assert.equal(request.endpoint, '/pushwss');
  assert.equal(request.dialect, 'myxi');
  assert.equal(request.remote_address, '127.0.0.1');
  assert.equal(request.identity, null);
  assert.equal(request.exchange, 'accounts');
  assert.equal(request.routing_key, '42');
  assert.equal(typeof request.node, 'number');

  const denied = await client.request('Subscribe', { exchange: 'accounts', routing_key: '7' });
  assert.equal(denied.payload.error, 'SubscriptionDenied');
  assert.equal(denied.payload.routing_key, '7');

  assert.equal((await publish(node, { exchange: 'accounts', routing_key: '42', event: 'Paid', payload: { n: 1 } })).status, 202);
  assert.deepEqual((await client.next('Paid')).payload, { n: 1 });
  await client.close();
});

test('a refusal carries the back end\'s reason; public exchanges never ask', async () => {
  backend.answer = () => ({ allow: false, reason: 'not your account' });
  const client = await connectMyxi(node);
  const denied = await client.request('Subscribe', { exchange: 'accounts', routing_key: '1' });
  assert.deepEqual(denied.payload, { error: 'SubscriptionDenied', exchange: 'accounts', routing_key: '1', detail: 'not your account' });
  assert.equal((await client.request('Subscribe', { exchange: 'news', routing_key: 'a' })).event, 'Subscribed');
  assert.equal(backend.requests.length, 1);
  await client.close();
});

test('Authenticate asks the back end, whose identity and grants later requests carry', async () => {
  backend.answer = (r) => r.kind === 'authenticate'
    ? (r.token === 'good' ? { allow: true, identity: 'user-9', grants: ['accounts:9'] } : { allow: false, reason: 'unknown token' })
    : { allow: true };
  const client = await connectMyxi(node);
  const refused = await client.request('Authenticate', { token: 'bad' });
  assert.deepEqual(refused.payload, { error: 'InvalidSessionToken', detail: 'unknown token' });
  const accepted = await client.request('Authenticate', { token: 'good' });
  assert.equal(accepted.event, 'Authenticated');
  assert.deepEqual(accepted.payload, { identity: 'user-9' });
  await client.request('Subscribe', { exchange: 'accounts', routing_key: '9' });
  const subscribe = backend.requests.find((r) => r.kind === 'subscribe');
  assert.deepEqual(subscribe.identity, { subject: 'user-9', grants: ['accounts:9'] });
  assert.equal(backend.requests[1].token, 'good');
  await client.close();
});

test('a custom action is answered by the back end as an event with its tag, and its commands run', async () => {
  backend.answer = (r) => ({
    event: 'Balance',
    payload: { amount: 12.5, for: r.payload.account },
    commands: [
      { command: 'subscribe', exchange: 'accounts', routing_key: 'a-1' },
      { command: 'send', event: 'Notice', payload: { text: 'hello' } },
    ],
  });
  const client = await connectMyxi(node);
  const tag = client.send('GetBalance', { account: 'a-1' });
  const balance = await client.next('Balance');
  assert.equal(balance.tag, tag);
  assert.deepEqual(balance.payload, { amount: 12.5, for: 'a-1' });
  const subscribed = await client.next('Subscribed');
  assert.deepEqual(subscribed.payload, { exchange: 'accounts', routing_key: 'a-1' });
  assert.deepEqual((await client.next('Notice')).payload, { text: 'hello' });
  const [request] = backend.requests;
  assert.equal(request.kind, 'action');
  assert.equal(request.action, 'GetBalance');
  assert.equal(request.tag, tag);
  assert.deepEqual(request.payload, { account: 'a-1' });
  // The commanded subscription is real: events reach it without another question.
  await publish(node, { exchange: 'accounts', routing_key: 'a-1', event: 'Moved', payload: {} });
  await client.next('Moved');
  assert.equal(backend.requests.length, 1);
  await client.close();
});

test('an action not named in [backend] actions is still InvalidAction and never reaches the back end', async () => {
  const client = await connectMyxi(node);
  const reply = await client.request('Transfer', {});
  assert.equal(reply.payload.error, 'InvalidAction');
  assert.equal(backend.requests.length, 0);
  await client.close();
});

test('set_identity, unsubscribe and disconnect commands act on the asking session', async () => {
  backend.answer = (r) => r.action === 'Kick'
    ? { commands: [{ command: 'disconnect', code: 4403, reason: 'kicked' }] }
    : { commands: [
        { command: 'set_identity', identity: 'user-3', grants: [] },
        { command: 'unsubscribe', exchange: 'news' },
      ] };
  const client = await connectMyxi(node);
  await client.request('Subscribe', { exchange: 'news', routing_key: 'x' });
  client.send('GetBalance', {});
  assert.deepEqual((await client.next('Authenticated')).payload, { identity: 'user-3' });
  const gone = await client.next('Unsubscribed');
  assert.deepEqual(gone.payload, { exchange: 'news', exchange_name: 'news', routing_key: 'x', auto: true });
  client.send('Kick', {});
  const closed = await client.closed();
  assert.equal(closed.code, 4403);
  assert.equal(closed.reason, 'kicked');
});

test('a back end that does not answer in time gives BackendTimeout, and the session goes on', async () => {
  backend.answer = () => 'hang';
  const client = await connectMyxi(node);
  const started = Date.now();
  const reply = await client.request('GetBalance', {});
  assert.deepEqual(reply.payload, { error: 'BackendTimeout' });
  assert.ok(Date.now() - started >= timeoutMs - 50, 'not before the timeout');
  assert.equal((await client.request('Ping', {})).event, 'Pong');
  await client.close();
});

test('garbage, an HTTP error and a contract-breaking answer are each a BackendError', async () => {
  const client = await connectMyxi(node);
  const cases = [
    [{ status: 200, body: 'not json' }, 'the back end\'s answer was not understood'],
    [{ status: 200, body: '[1,2]' }, 'the back end\'s answer was not understood'],
    [{ commands: [{ command: 'explode' }] }, 'the back end\'s answer was not understood'],
    [{ status: 500, body: '{}' }, 'the back end is unavailable'],
    [{ error: 'account frozen' }, 'account frozen'],
  ];
  for (const [answer, detail] of cases) {
    backend.answer = () => answer;
    const reply = await client.request('GetBalance', {});
    assert.deepEqual(reply.payload, { error: 'BackendError', detail }, JSON.stringify(answer));
  }
  await client.close();
});

test('a session may have only max_pending_per_session requests waiting for the back end', async () => {
  backend.answer = () => 'hang';
  const client = await connectMyxi(node);
  const tags = [];
  for (let i = 0; i <= perSession; i++) tags.push(client.send('GetBalance', {}));
  const refused = await client.next((m) => m.tag === tags[perSession]);
  assert.deepEqual(refused.payload, { error: 'BackendError', detail: 'too many requests are waiting for the back end' });
  await backend.received(perSession);
  assert.equal(backend.requests.length, perSession);
  for (const t of tags.slice(0, perSession)) {
    assert.equal((await client.next((m) => m.tag === t)).payload.error, 'BackendTimeout');
  }
  await client.close();
});

test('an answer for a session that has gone is dropped, and the node counts every outcome', async () => {
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  backend.answer = async () => { await released; return { event: 'Late' }; };
  const before = await metrics(node);
  const client = await connectMyxi(node);
  client.send('GetBalance', {});
  await backend.received(1);
  await client.close();
  release();
  await eventually(async () => (await metrics(node)).get('herald_backend_requests_total{result="answered"}') ===
    before.get('herald_backend_requests_total{result="answered"}') + 1, 'the late answer is counted');
  assert.equal((await metrics(node)).get('herald_backend_pending'), 0);
  // The node still serves.
  const other = await connectMyxi(node);
  assert.equal((await other.request('Ping', {})).event, 'Pong');
  await other.close();
});

test('an unreachable back end is a BackendError, not a hang, and one log line', async () => {
  const closed = await startHttpBackend(() => ({}));
  const url = closed.url;
  await closed.stop();
  const lonely = await startHerald({ config: `[backend]\nurl = "${url}"\nactions = ["Go"]\ntimeout_ms = 3000\n` });
  const client = await connectMyxi(lonely);
  for (let i = 0; i < 3; i++) {
    const reply = await client.request('Go', {});
    assert.deepEqual(reply.payload, { error: 'BackendError', detail: 'the back end is unavailable' });
  }
  await client.close();
  assert.equal((await lonely.stop()).code, 0);
  // One line for the cause, not one per request: a dead back end does not flood the log.
  const lines = lonely.output.split('\n').filter((line) => line.includes('back end: a request ended unavailable'));
  assert.equal(lines.length, 1, lonely.output);
  assert.match(lines[0], /connecting to 127\.0\.0\.1:\d+: Connection refused\); 1 so far/);
});

test('access = "backend" without [backend] url stops Herald at start with one clear line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  const file = join(dir, 'herald.toml');
  writeFileSync(file, '[exchanges.accounts]\naccess = "backend"\n');
  const run = spawnSync(heraldBinary, ['--config', file, '--port', '0'], { encoding: 'utf8', timeout: 10000 });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /exchanges\.accounts\.access: "backend" needs \[backend\] url/);
});

test('delegated subscriptions are re-checked in one request per round, and revoked ones are taken away', async () => {
  const checker = await startHttpBackend((r) => (r.kind === 'subscribe' ? { allow: true } : {}));
  const touching = await startHerald({
    threads: 2,
    config: `
[exchanges.accounts]
access = "backend"
[exchanges.news]
access = "public"
[backend]
url = "${checker.url}"
touch_interval_seconds = 1
`,
  });
  // Sessions are spread over both shards; the round must still be one request.
  const clients = [await connectMyxi(touching), await connectMyxi(touching), await connectMyxi(touching)];
  for (const [i, client] of clients.entries()) {
    assert.equal((await client.request('Subscribe', { exchange: 'accounts', routing_key: `k${i}` })).event, 'Subscribed');
    await client.request('Subscribe', { exchange: 'news', routing_key: 'n' });
  }
  let round;
  const roundSeen = new Promise((resolve) => { round = resolve; });
  checker.answer = (r) => {
    if (r.kind !== 'touch') return {};
    round(r);
    const victim = r.subscriptions.find((s) => s.routing_key === 'k1');
    return { revoke: [
      { session: victim.session, exchange: 'accounts', routing_key: 'k1' },
      // Neither a public exchange nor another node's session can be revoked this way.
      { session: victim.session, exchange: 'news', routing_key: 'n' },
      { session: 'ffff000000000001', exchange: 'accounts', routing_key: 'k0' },
    ] };
  };
  const touch = await roundSeen;
  assert.equal(touch.node, Number.parseInt(clients[0].welcome.payload.id.slice(0, 4), 16));
  assert.deepEqual(touch.subscriptions.map((s) => s.routing_key).sort(), ['k0', 'k1', 'k2']);
  assert.deepEqual(touch.subscriptions.find((s) => s.routing_key === 'k1').session, clients[1].welcome.payload.id);
  assert.equal(touch.subscriptions[0].identity, null);
  assert.equal(checker.requests.filter((r) => r.kind === 'touch').length, 1);

  const revoked = await clients[1].next('Unsubscribed');
  assert.deepEqual(revoked.payload, { exchange: 'accounts', exchange_name: 'accounts', routing_key: 'k1', auto: true });
  const listed = await clients[1].request('ListSubscriptions', {});
  assert.deepEqual(listed.payload.subscriptions, { news: ['n'] });
  const others = await clients[0].request('ListSubscriptions', {});
  assert.deepEqual(others.payload.subscriptions, { accounts: ['k0'], news: ['n'] });
  for (const client of clients) await client.close();
  assert.equal((await touching.stop()).code, 0);
  await checker.stop();
});

test('behind a trusted proxy, remote_address is the first X-Forwarded-For hop; otherwise the socket\'s peer', async () => {
  const seen = await startHttpBackend(() => ({ event: 'Here' }));
  const config = (trust) => `[backend]\nurl = "${seen.url}"\nactions = ["Where"]\ntrust_forwarded_for = ${trust}\n`;
  for (const [trust, expected] of [[true, '203.0.113.7'], [false, '127.0.0.1']]) {
    const proxied = await startHerald({ config: config(trust) });
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(proxied.wsUrl('/pushwss'), { headers: { 'X-Forwarded-For': ' 203.0.113.7 , 10.0.0.1' } });
    const messages = [];
    let wake;
    ws.on('message', (d) => { messages.push(JSON.parse(d.toString())); wake?.(); });
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ action: 'Where', tag: 1, payload: {} }));
    while (!messages.some((m) => m.tag === 1)) await new Promise((resolve) => { wake = resolve; });
    assert.equal(seen.requests.at(-1).remote_address, expected, `trust_forwarded_for = ${trust}`);
    ws.close();
    assert.equal((await proxied.stop()).code, 0);
  }
  await seen.stop();
});

test('a keep-alive connection the back end closed while idle is replaced without the client noticing', async () => {
  const closing = await startHttpBackend(() => ({ event: 'Fine' }));
  let socketClosed;
  closing.server.on('connection', (socket) => socket.on('close', () => socketClosed?.()));
  const node2 = await startHerald({ config: `[backend]\nurl = "${closing.url}"\nactions = ["Go"]\nconnections = 1\n` });
  const client = await connectMyxi(node2);
  assert.equal((await client.request('Go', {})).event, 'Fine');
  // The back end ends the idle connection, as servers with a keep-alive timeout do.
  const closed = new Promise((resolve) => { socketClosed = resolve; });
  closing.server.closeIdleConnections();
  await closed;
  assert.equal((await client.request('Go', {})).event, 'Fine', 'sent again on a fresh connection');
  assert.equal(closing.requests.length, 2);
  await client.close();
  assert.equal((await node2.stop()).code, 0);
  await closing.stop();
});

test('an answer over max_answer_bytes is refused as a BackendError, over HTTP', async () => {
  const big = await startHttpBackend(() => ({ event: 'Big', payload: 'x'.repeat(5000) }));
  const node2 = await startHerald({ config: `[backend]\nurl = "${big.url}"\nactions = ["Go"]\nmax_answer_bytes = 4096\n` });
  const client = await connectMyxi(node2);
  assert.deepEqual((await client.request('Go', {})).payload,
    { error: 'BackendError', detail: 'the back end\'s answer was not understood' });
  big.answer = () => ({ event: 'Small' });
  assert.equal((await client.request('Go', {})).event, 'Small', 'the next answer is read again');
  const m = await metrics(node2);
  assert.equal(m.get('herald_backend_requests_total{result="bad_answer"}'), 1);
  await client.close();
  assert.equal((await node2.stop()).code, 0);
  await big.stop();
});
