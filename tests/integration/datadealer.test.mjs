// The DataDealer dialect over WebSocket: the client_connected handshake (the user from a JWT, or
// from the back end with the request's sessionid cookie), delivery of DataDealer's messages
// ({"action","token","data"} on srv_msg and user_<uid>) as {"ev","pl"}, kicks of a user's older
// sessions, actions to the back end, and the errors Herald adds where dd_app was silent. Then
// across two nodes on each broker, with the messages published straight into the broker as
// dd_app's back end does.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, connectJson, connectMyxi, publish, eventually } from '../lib/herald.mjs';
import { signJwt, now } from '../lib/jwt.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { buses, uniqueName, startNodes, shareBroker, brokerPublish } from '../lib/cluster.mjs';

const secret = 'datadealer-secret';
const token = (sub) => signJwt({ sub, exp: now() + 600 }, { secret });
const endpoints = '[[endpoints]]\npath = "/dd"\ndialect = "datadealer"\n';

// A DataDealer client, established as `token`'s user (or the cookie's, through the back end).
async function connectUser(node, tokenText, { cookie } = {}) {
  const client = await connectJson(node, '/dd', { nameKey: 'ev', headers: cookie ? { cookie } : undefined });
  client.sendJson({ ev: 'client_connected', pl: { token: tokenText } });
  await client.next('established', 'established');
  return client;
}

describe('the DataDealer dialect on one node', () => {
  let node;
  let backend;
  before(async () => {
    backend = await startHttpBackend((r) => {
      if (r.kind === 'authenticate') {
        return r.sessionid === 'cookie-of-777' ? { allow: true, identity: '777' } : { allow: false, reason: 'unknown session' };
      }
      if (r.kind === 'action') return { event: `${r.action}_done`, payload: { got: r.payload, user: r.identity?.subject } };
      return {};
    });
    node = await startHerald({ config: `[auth]\njwt_secret = "${secret}"\n[backend]\nurl = "${backend.url}"\nactions = ["*"]\n${endpoints}` });
  });
  after(async () => {
    assert.equal((await node.stop()).code, 0);
    await backend.stop();
  });

  test('a JWT in client_connected makes the session its subject\'s, which gets user_<uid> and srv_msg messages', async () => {
    const client = await connectUser(node, token('666'));
    const forUser = { _id: { $oid: '5f1d7a3e8b1e4a2b3c4d5e6f' }, type: 'ContactPerp' };
    assert.equal((await publish(node, { exchange: 'datadealer', routing_key: 'user_666', event: 'node_ready', payload: forUser })).status, 202);
    assert.deepEqual(await client.next('node_ready'), { ev: 'node_ready', pl: forUser });
    assert.equal((await publish(node, { exchange: 'datadealer', routing_key: 'srv_msg', event: 'debug', payload: { message: 'all' } })).status, 202);
    assert.deepEqual(await client.next('debug'), { ev: 'debug', pl: { message: 'all' } });
    await client.close();
  });

  test('without a JWT the back end names the user from the sessionid cookie, as dd_app did', async () => {
    const client = await connectUser(node, 'django-session-key', { cookie: 'csrftoken=x; sessionid=cookie-of-777' });
    const asked = backend.requests.find((r) => r.kind === 'authenticate');
    assert.equal(asked.token, 'django-session-key');
    assert.equal(asked.sessionid, 'cookie-of-777');
    await publish(node, { exchange: 'datadealer', routing_key: 'user_777', event: 'new_items', payload: { level: 3 } });
    assert.deepEqual(await client.next('new_items'), { ev: 'new_items', pl: { level: 3 } });
    await client.close();
  });

  test('no user: an error event says so instead of silence, and the client may try again', async () => {
    const client = await connectJson(node, '/dd', { nameKey: 'ev', headers: { cookie: 'sessionid=nobody' } });
    client.sendJson({ ev: 'client_connected', pl: { token: 'not-a-session' } });
    assert.deepEqual(await client.next('error'), { ev: 'error', pl: { error: 'no_identity', detail: 'unknown session' } });
    client.sendJson({ ev: 'client_connected', pl: { token: token('42') } });
    await client.next('established');
    await client.close();
  });

  test('a new session of a user kicks the older ones, which get kick with its sender and close with 4004', async () => {
    const older = await connectUser(node, token('555'));
    const newer = await connectUser(node, token('555'));
    const kick = await older.next('kick');
    assert.equal(typeof kick.pl.sender, 'string');
    assert.match(kick.pl.sender, /^[0-9a-f]{16}$/);
    assert.equal((await older.closed()).code, 4004);
    // The newer one was not kicked by its own kick, and still gets the user's messages.
    await publish(node, { exchange: 'datadealer', routing_key: 'user_555', event: 'debug', payload: { message: 'still here' } });
    assert.deepEqual(await newer.next(), { ev: 'debug', pl: { message: 'still here' } });
    await newer.close();
  });

  test('over SockJS, as dd_js spoke it, the user comes from the sessionid cookie and messages are objects', async () => {
    const sockjs = await startHerald({ config: `[backend]\nurl = "${backend.url}"\n[[endpoints]]\npath = "/dd"\ndialect = "datadealer"\nsockjs = true\n` });
    try {
      const base = '/__sockjs__/000/dd-cookie-1';
      const post = async (path, body) => {
        const response = await fetch(sockjs.url(`${base}/${path}`), { method: 'POST', body, headers: { cookie: 'sessionid=cookie-of-777' } });
        return { status: response.status, text: await response.text() };
      };
      assert.deepEqual(await post('xhr'), { status: 200, text: 'o\n' });
      assert.equal((await post('xhr_send', JSON.stringify([JSON.stringify({ ev: 'client_connected', pl: { token: 'k' } })]))).status, 204);
      assert.deepEqual(await post('xhr'), { status: 200, text: 'a[{"ev":"established","pl":{}}]\n' });
      await publish(sockjs, { exchange: 'datadealer', routing_key: 'user_777', event: 'debug', payload: { message: 'hi' } });
      assert.deepEqual(await post('xhr'), { status: 200, text: 'a[{"ev":"debug","pl":{"message":"hi"}}]\n' });
      // A payload published on several lines: the line ends would end the frame; they go.
      const pretty = '{"exchange":"datadealer","routing_key":"user_777","event":"debug","payload":{\n  "a": 1,\r\n  "b": "x\\ny"\n}}';
      assert.equal((await publish(sockjs, null, { raw: pretty })).status, 202);
      const frame = (await post('xhr')).text;
      assert.equal(frame.indexOf('\n'), frame.length - 1, JSON.stringify(frame));
      assert.deepEqual(JSON.parse(frame.slice(1)), [{ ev: 'debug', pl: { a: 1, b: 'x\ny' } }]);
    } finally {
      assert.equal((await sockjs.stop()).code, 0);
    }
  });

  test('other ev go to the back end as actions with the user, and its answer comes back', async () => {
    const client = await connectUser(node, token('888'));
    client.sendJson({ ev: 'collect', pl: { node: 'n1' } });
    assert.deepEqual(await client.next('collect_done'), { ev: 'collect_done', pl: { got: { node: 'n1' }, user: '888' } });
    await client.close();
  });

  test('bad input gets an error event and the session goes on', async () => {
    const client = await connectJson(node, '/dd', { nameKey: 'ev' });
    client.sendJson({ ev: 'collect', pl: {} });
    assert.equal((await client.next('error')).pl.error, 'not_established');
    client.sendRaw('{"ev":');
    assert.equal((await client.next('error')).pl.error, 'invalid_message');
    client.sendRaw('[1,2]');
    assert.equal((await client.next('error')).pl.error, 'invalid_message');
    client.sendJson({ pl: {} });
    assert.equal((await client.next('error')).pl.error, 'invalid_message');
    client.sendJson({ ev: 'client_connected', pl: { token: token('9') } });
    await client.next('established');
    client.sendJson({ ev: 'client_connected', pl: { token: token('9') } });
    assert.equal((await client.next('error')).pl.error, 'already_established');
    await client.close();
  });

  test('clients cannot subscribe to the datadealer exchange through another dialect', async () => {
    const other = await startHerald({ config: `${endpoints}[[endpoints]]\npath = "/pushwss"\n` });
    try {
      const myxi = await connectMyxi(other);
      const reply = await myxi.request('Subscribe', { exchange: 'datadealer', routing_key: 'srv_msg' });
      assert.equal(reply.event, 'Error');
      assert.equal(reply.payload.error, 'SubscriptionDenied');
      await myxi.close();
    } finally {
      assert.equal((await other.stop()).code, 0);
    }
  });
});

// Publishes with `post(id)` until every client has had a settle message with that id.
async function settle(clients, post) {
  const id = uniqueName('settle');
  const arrived = clients.map(() => false);
  clients.forEach((client, i) => {
    client.next((m) => m.ev === 'settle' && m.pl.id === id, 'a settle message', 30000).then(() => { arrived[i] = true; }, () => {});
  });
  await eventually(async () => {
    await post(id);
    return arrived.every(Boolean);
  }, 'every client gets the settle message', 30000);
  // Later settle copies are left queued; the tests match what they wait for by name.
}

for (const bus of buses) {
  describe(`DataDealer across two nodes on the ${bus.name} bus`, { skip: bus.skip }, () => {
    let release;
    let nodes;
    before(async () => {
      release = await shareBroker(bus, `datadealer.test.mjs (${bus.name})`);
      nodes = await startNodes(bus, { count: 2, config: `[auth]\njwt_secret = "${secret}"\n${endpoints}` });
    });
    after(async () => {
      const results = await Promise.all((nodes ?? []).map((n) => n.stop()));
      release?.();
      for (const r of results) assert.equal(r.code, 0);
    });

    test('dd_app\'s own messages, published into the broker, reach the user\'s sessions on both nodes', async () => {
      const uid = uniqueName('u');
      const toBroker = (channel, body, via = 'node') =>
        brokerPublish(bus, { via, exchange: 'datadealer', routingKey: channel, channel, bodies: [JSON.stringify(body)] });
      const a = await connectUser(nodes[0], token(uid));
      // A kick reaches only the sessions whose subscription the broker already has, as in
      // dd_app: wait for a's before the second session kicks it.
      await settle([a], (id) => toBroker(`user_${uid}`, { action: 'settle', token: null, data: { id } }));
      const b = await connectUser(nodes[1], token(uid));
      // The second one kicked the first: a user has one session, as in dd_app.
      await a.next('kick');
      const c = await connectUser(nodes[0], token(`${uid}-2`));
      // Until the nodes' subscriptions have reached the broker, a message may find nobody.
      await settle([b], (id) => toBroker(`user_${uid}`, { action: 'settle', token: null, data: { id } }));
      await settle([b, c], (id) => toBroker('srv_msg', { action: 'settle', token: null, data: { id } }));

      await toBroker(`user_${uid}`, { action: 'node_ready', token: 'whatever', data: { id: { $oid: 'abc' }, result: [1] } });
      assert.deepEqual(await b.next('node_ready'), { ev: 'node_ready', pl: { id: { $oid: 'abc' }, result: [1] } });
      await toBroker('srv_msg', { action: 'debug', token: null, data: { message: 'everyone' } }, 'python');
      assert.deepEqual(await b.next('debug'), { ev: 'debug', pl: { message: 'everyone' } });
      assert.deepEqual(await c.next('debug'), { ev: 'debug', pl: { message: 'everyone' } });
      // Through node 1's HTTP API, to the user on node 2: Herald's format on the broker, read too.
      assert.equal((await publish(nodes[0], { exchange: 'datadealer', routing_key: `user_${uid}`, event: 'new_items', payload: { level: 2 } })).status, 202);
      assert.deepEqual(await b.next('new_items'), { ev: 'new_items', pl: { level: 2 } });
      // Neither format: nobody gets it (and nothing breaks).
      await toBroker('srv_msg', { other: 'x' });
      await toBroker('srv_msg', { action: 'debug', token: null, data: { message: 'after' } });
      assert.deepEqual(await c.next('debug'), { ev: 'debug', pl: { message: 'after' } });
      await Promise.all([b.close(), c.close()]);
    });
  });
}
