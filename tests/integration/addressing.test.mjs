// Events addressed to sessions rather than topics (POST /api/send, docs/backend.md#addressing):
// every session, one endpoint's (skipping some), one session by id, an identity's. One node on
// the memory bus here; across nodes on RabbitMQ and Redis in addressing_brokers.test.mjs.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, connectMyxi, send } from '../lib/herald.mjs';
import { signJwt, now } from '../lib/jwt.mjs';

const secret = 'addressing-secret';
const config = `
[auth]
jwt_secret = "${secret}"
[[endpoints]]
path = "/pushwss"
[[endpoints]]
path = "/chat"
`;

// The next event frame (one with `mq`) a client gets.
const nextEvent = (client, what) => client.next((m) => m.mq !== undefined, what);

// Nothing more for `client` once a marker sent to it alone has arrived: what was addressed
// to it would have come first (one bus, one shard inbox, in order).
async function assertNothingBefore(node, client, what) {
  const marker = `marker-${Math.random()}`;
  assert.equal((await send(node, { to: { session: client.welcome.payload.id }, event: marker })).status, 202);
  const got = await nextEvent(client, `the marker (${what})`);
  assert.equal(got.event, marker, `${what}: got ${JSON.stringify(got)} first`);
}

describe('addressing on one node (memory bus)', () => {
  let node;
  let clients;
  before(async () => {
    node = await startHerald({ config, threads: 2 });
    // Four sessions over two shards: two on /pushwss, two on /chat.
    clients = await Promise.all(['/pushwss', '/pushwss', '/chat', '/chat'].map((p) => connectMyxi(node, p)));
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    const result = await node.stop();
    assert.equal(result.code, 0);
  });

  test('"to": "all" reaches every session of every endpoint once, with its payload as sent', async () => {
    const answer = await send(node, { to: 'all', event: 'Announce', payload: { text: 'hi', n: 1.50 } });
    assert.deepEqual(answer, { status: 202, body: { sent: 1 } });
    for (const client of clients) {
      const got = await nextEvent(client, 'the multicast');
      assert.deepEqual(got, { event: 'Announce', payload: { text: 'hi', n: 1.5 }, mq: { e: 'herald.multicast', rk: '' } });
    }
    for (const client of clients) await assertNothingBefore(node, client, 'one multicast, once');
  });

  test('an endpoint broadcast reaches that endpoint\'s sessions but the skipped ones', async () => {
    const [, , chatA, chatB] = clients;
    const answer = await send(node, { to: { endpoint: '/chat', skip: [chatA.welcome.payload.id] }, event: 'Said', payload: 'hello' });
    assert.deepEqual(answer, { status: 202, body: { sent: 1 } });
    assert.deepEqual(await nextEvent(chatB, 'the broadcast'), { event: 'Said', payload: 'hello', mq: { e: 'herald.broadcast', rk: '/chat' } });
    for (const client of clients) await assertNothingBefore(node, client, 'the broadcast only to /chat, not to the skipped');
  });

  test('a unicast reaches exactly the session it names', async () => {
    const target = clients[1];
    const answer = await send(node, { to: { session: target.welcome.payload.id.toUpperCase() }, event: 'Private', payload: [1, 2] });
    assert.deepEqual(answer, { status: 202, body: { sent: 1 } });
    const got = await nextEvent(target, 'the unicast');
    assert.deepEqual(got, { event: 'Private', payload: [1, 2], mq: { e: 'herald.unicast', rk: target.welcome.payload.id.slice(0, 4) } });
    for (const client of clients) await assertNothingBefore(node, client, 'the unicast to one session');
  });

  test('a unicast to a session of this node that is gone is answered 404 failed_unicast with the message', async () => {
    const leaving = await connectMyxi(node);
    const id = leaving.welcome.payload.id;
    await leaving.close();
    // The close handshake is done when close() resolves; the node forgets the session with it.
    const answer = await send(node, { to: { session: id }, event: 'Late', payload: { x: 1 } });
    assert.equal(answer.status, 404);
    assert.deepEqual(answer.body, {
      error: 'failed_unicast', detail: `no session ${id} on this node`, target: id, message: { event: 'Late', payload: { x: 1 } },
    });
  });

  test('an identity\'s sessions get what is sent to it, whichever endpoint; others do not', async () => {
    const token = signJwt({ sub: 'user-42', exp: now() + 600 }, { secret });
    const mine = [clients[0], clients[3]];
    for (const client of mine) assert.equal((await client.request('Authenticate', { token })).event, 'Authenticated');
    const answer = await send(node, { to: { identity: 'user-42' }, event: 'ForYou', payload: {} });
    assert.deepEqual(answer, { status: 202, body: { sent: 1 } });
    for (const client of mine) {
      assert.deepEqual(await nextEvent(client, 'the identity\'s event'), { event: 'ForYou', payload: {}, mq: { e: 'herald.identity', rk: 'user-42' } });
    }
    for (const client of clients) await assertNothingBefore(node, client, 'only the identity\'s sessions');
    // Anonymous again: no longer that identity.
    assert.equal((await clients[0].request('Deauthenticate', {})).event, 'Deauthenticated');
    await send(node, { to: { identity: 'user-42' }, event: 'Second', payload: {} });
    assert.equal((await nextEvent(clients[3], 'the second')).event, 'Second');
    await assertNothingBefore(node, clients[0], 'a session that left the identity');
  });

  test('a client cannot subscribe to the addressing exchanges to read what is sent to others', async () => {
    for (const exchange of ['herald.multicast', 'herald.broadcast', 'herald.unicast', 'herald.identity']) {
      const reply = await clients[0].request('Subscribe', { exchange, routing_key: 'user-42' });
      assert.equal(reply.event, 'Error', `${exchange}: ${JSON.stringify(reply)}`);
    }
  });

  test('bad requests get a 4xx with a JSON body that names the problem, and no event', async () => {
    const cases = [
      [{ raw: '{"to":' }, 400, 'invalid_json'],
      [{ body: [] }, 400, 'invalid_field'],
      [{ body: { event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: 'everyone', event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: {}, event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: { session: 'xyz' }, event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: { session: clients[0].welcome.payload.id, identity: 'a' }, event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: { identity: '' }, event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: { identity: 'x'.repeat(1025) }, event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: { endpoint: '/nowhere' }, event: 'E' } }, 400, 'unknown_endpoint'],
      [{ body: { to: { endpoint: '/chat', skip: Array(1001).fill(clients[2].welcome.payload.id) }, event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: { endpoint: '/chat', skip: [7] }, event: 'E' } }, 400, 'invalid_field'],
      [{ body: { to: 'all' } }, 400, 'invalid_field'],
      [{ body: { to: 'all', event: 'E' }, key: '' }, 401, 'unauthorized'],
      [{ body: { to: 'all', event: 'E' }, key: 'wrong' }, 403, 'forbidden'],
    ];
    for (const [{ body, raw, key = 'test-key' }, status, error] of cases) {
      const answer = await send(node, body, { raw, key });
      assert.equal(answer.status, status, `${raw ?? JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.error, error);
      assert.equal(typeof answer.body.detail, 'string');
    }
    // Herald's own events on its addressing exchanges cannot be published either.
    const forged = await fetch(node.url('/api/publish'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
      body: JSON.stringify({ exchange: 'herald.identity', routing_key: 'user-42', event: 'herald:registered', payload: 1 }),
    });
    assert.equal(forged.status, 400);
    assert.equal((await forged.json()).error, 'invalid_field');
    const get = await fetch(node.url('/api/send'));
    assert.equal(get.status, 405);
    for (const client of clients) await assertNothingBefore(node, client, 'refused requests send nothing');
  });
});
