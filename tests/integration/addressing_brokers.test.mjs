// Events addressed to sessions across two nodes on each broker: the API of one node sends, the
// sessions live on both; a back end publishes a unicast straight into the broker with Python
// (pika, redis-py); a unicast for a session the owning node lacks becomes a failed_unicast
// lifecycle event from that node. Each run has its own exchanges ([addressing] prefix).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectMyxi, send, metrics, eventually } from '../lib/herald.mjs';
import { signJwt, now } from '../lib/jwt.mjs';
import { startHttpBackend } from '../lib/http_backend.mjs';
import { buses, uniqueName, startNodes, shareBroker, consume, brokerPublish, nodeOfSession, settleWith } from '../lib/cluster.mjs';

const secret = 'addressing-brokers-secret';
const nextEvent = (client, what) => client.next((m) => m.mq !== undefined, what);

for (const bus of buses) {
  describe(`addressing across two nodes on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const prefix = uniqueName('addr');
    const lifecycle = uniqueName('lifecycle');
    let release;
    let nodes;
    let clients; // two on node 1, two on node 2; the first of each on /chat
    let backend;
    before(async () => {
      release = await shareBroker(bus, `addressing_brokers.test.mjs (${bus.name})`);
      // The Login action registers the session as the identity in its payload.
      backend = await startHttpBackend((r) => (r.kind !== 'action' ? {} : {
        event: 'LoggedIn', commands: [{ command: 'register_as', identity: r.payload.identity, ...r.payload.options }],
      }));
      nodes = await startNodes(bus, {
        count: 2,
        config: `[addressing]\nprefix = "${prefix}"\n[lifecycle]\nexchange = "${lifecycle}"\nevents = ["failed_unicast"]\n` +
          `[backend]\nurl = "${backend.url}"\nactions = ["Login"]\n` +
          `[auth]\njwt_secret = "${secret}"\n[[endpoints]]\npath = "/pushwss"\n[[endpoints]]\npath = "/chat"\n`,
      });
      clients = await Promise.all([[0, '/chat'], [0, '/pushwss'], [1, '/chat'], [1, '/pushwss']]
        .map(([n, path]) => connectMyxi(nodes[n], path)));
    });
    after(async () => {
      await Promise.all((clients ?? []).map((c) => c.close()));
      const results = await Promise.all((nodes ?? []).map((n) => n.stop()));
      await backend?.stop();
      release?.();
      for (const r of results) assert.equal(r.code, 0);
    });

    // A marker unicast to each client through node 1: whatever was meant for it came first.
    async function assertNothingElse(what) {
      for (const client of clients) {
        const marker = `marker-${Math.random()}`;
        assert.equal((await send(nodes[0], { to: { session: client.welcome.payload.id }, event: marker })).status, 202);
        const got = await nextEvent(client, `the marker (${what})`);
        assert.equal(got.event, marker, `${what}: got ${JSON.stringify(got)} first`);
      }
    }

    test('a unicast sent through one node reaches the session on the other node, and only it', async () => {
      const target = clients[3];
      assert.equal(nodeOfSession(target.welcome.payload.id), nodes[1].id);
      const answer = await send(nodes[0], { to: { session: target.welcome.payload.id }, event: 'Hi', payload: { n: 1 } });
      assert.deepEqual(answer, { status: 202, body: { sent: 1 } });
      assert.deepEqual(await nextEvent(target, 'the unicast'),
        { event: 'Hi', payload: { n: 1 }, mq: { e: `${prefix}.unicast`, rk: target.welcome.payload.id.slice(0, 4) } });
      await assertNothingElse('one unicast');
    });

    test('a multicast reaches every session of both nodes once', async () => {
      assert.equal((await send(nodes[1], { to: 'all', event: 'All', payload: 1 })).status, 202);
      for (const client of clients) assert.equal((await nextEvent(client, 'the multicast')).event, 'All');
      await assertNothingElse('one multicast');
    });

    test('a broadcast reaches the endpoint\'s sessions on both nodes but the skipped one', async () => {
      const skip = [clients[2].welcome.payload.id];
      assert.equal((await send(nodes[1], { to: { endpoint: '/chat', skip }, event: 'Room', payload: 'x' })).status, 202);
      assert.deepEqual(await nextEvent(clients[0], 'the broadcast'), { event: 'Room', payload: 'x', mq: { e: `${prefix}.broadcast`, rk: '/chat' } });
      await assertNothingElse('the broadcast, not to /pushwss and not to the skipped');
    });

    test('an identity\'s sessions on both nodes get what is sent to it', async () => {
      const token = signJwt({ sub: 'ann', exp: now() + 600 }, { secret });
      for (const client of [clients[1], clients[2]]) {
        assert.equal((await client.request('Authenticate', { token })).event, 'Authenticated');
      }
      // Each node asks its broker for the identity's events once a session has it.
      await settleWith([clients[1], clients[2]], (event, payload) => send(nodes[0], { to: { identity: 'ann' }, event, payload }), 'ann');
      assert.equal((await send(nodes[0], { to: { identity: 'ann' }, event: 'ForAnn', payload: {} })).status, 202);
      for (const client of [clients[1], clients[2]]) {
        assert.deepEqual(await nextEvent(client, 'the identity\'s event'), { event: 'ForAnn', payload: {}, mq: { e: `${prefix}.identity`, rk: 'ann' } });
      }
      await assertNothingElse('only ann\'s sessions');
    });

    test('a back end publishes a unicast straight into the broker (Python)', async () => {
      const target = clients[2];
      const id = target.welcome.payload.id;
      await brokerPublish(bus, {
        via: 'python', exchange: `${prefix}.unicast`, routingKey: id.slice(0, 4),
        bodies: [JSON.stringify({ event: 'FromPython', payload: { ok: true }, session: id, note: 'kept' })],
      });
      assert.deepEqual(await nextEvent(target, 'the unicast from Python'),
        { event: 'FromPython', payload: { ok: true }, note: 'kept', mq: { e: `${prefix}.unicast`, rk: id.slice(0, 4) } });
      await assertNothingElse('the unicast from Python');
    });

    test('a unicast published into the broker without a session id is dropped and counted, not delivered', async () => {
      const target = clients[2];
      await brokerPublish(bus, {
        via: 'node', exchange: `${prefix}.unicast`, routingKey: target.welcome.payload.id.slice(0, 4),
        bodies: [JSON.stringify({ event: 'NoSession', payload: {} }), JSON.stringify({ event: 'BadSession', session: 'x' })],
      });
      await eventually(async () => (await metrics(nodes[1])).get('herald_addressed_refused_total') === 2,
        'node 2 counts both as refused');
      await assertNothingElse('refused unicasts');
    });

    test('a node whose lifecycle events go to the back end posts a failed_unicast there', async () => {
      const [third] = await startNodes(bus, {
        count: 1,
        firstId: 3,
        config: `[addressing]\nprefix = "${prefix}"\n[lifecycle]\nto = "backend"\nevents = ["failed_unicast"]\n` +
          `[backend]\nurl = "${backend.url}"\n`,
      });
      try {
        const missing = '00030000cafe0001';
        // Once ready, the new node's unicast binding is at the broker (bus_thread reports ready
        // after the bus's after_subscriptions): one unicast is enough.
        assert.equal((await send(nodes[0], { to: { session: missing }, event: 'Lost', payload: { x: 1 } })).status, 202);
        await eventually(() => backend.requests.some((r) => r.kind === 'lifecycle' && r.target === missing),
          'the back end gets the failed_unicast');
        const told = backend.requests.find((r) => r.kind === 'lifecycle' && r.target === missing);
        assert.deepEqual({ ...told, httpKind: undefined },
          { kind: 'lifecycle', event: 'failed_unicast', node: 3, target: missing, message: { event: 'Lost', payload: { x: 1 } }, httpKind: undefined });
      } finally {
        assert.equal((await third.stop()).code, 0);
      }
    });

    test('a registration on one node supersedes the older session of the identity on the other (max_connections 1)', async () => {
      const first = await connectMyxi(nodes[0]);
      assert.equal((await first.request('Login', { identity: 'zed' })).event, 'LoggedIn');
      // Node 1 hears the identity's events once its broker binding is in place.
      await settleWith([first], (event, payload) => send(nodes[1], { to: { identity: 'zed' }, event, payload }), 'zed');
      const second = await connectMyxi(nodes[1]);
      assert.equal((await second.request('Login', { identity: 'zed' })).event, 'LoggedIn');
      assert.equal((await first.closed()).code, 4003);
      assert.equal(second.isClosed, false);
      await second.close();
    });

    test('forged or malformed registrations published into the broker are dropped and counted; the node goes on', async () => {
      const client = await connectMyxi(nodes[1]);
      assert.equal((await client.request('Login', { identity: 'mal' })).event, 'LoggedIn');
      await settleWith([client], (event, payload) => send(nodes[0], { to: { identity: 'mal' }, event, payload }), 'mal');
      const before = (await metrics(nodes[1])).get('herald_addressed_refused_total');
      await brokerPublish(bus, {
        via: 'node', exchange: `${prefix}.identity`, routingKey: 'mal',
        bodies: [
          JSON.stringify({ event: 'herald:registered', payload: 1 }),
          JSON.stringify({ event: 'herald:registered', payload: { session: 'x', max_connections: 1 } }),
          JSON.stringify({ event: 'herald:registered', payload: { session: client.welcome.payload.id, max_connections: 0 } }),
          JSON.stringify({ event: 'herald:left', payload: [] }),
        ],
      });
      await eventually(async () => (await metrics(nodes[1])).get('herald_addressed_refused_total') === before + 4,
        'node 2 counts the four as refused');
      assert.equal(client.isClosed, false);
      assert.equal((await send(nodes[0], { to: { session: client.welcome.payload.id }, event: 'Alive' })).status, 202);
      assert.equal((await nextEvent(client, 'an event after them')).event, 'Alive');
      await client.close();
    });

    test('an identity too long for the broker cannot be sent to, and the answer says why', { skip: bus.name !== 'amqp' && 'RabbitMQ only: AMQP caps a routing key at 255 bytes' }, async () => {
      const answer = await send(nodes[0], { to: { identity: 'x'.repeat(256) }, event: 'TooLong' });
      assert.equal(answer.status, 503);
      assert.equal(answer.body.error, 'bus_unavailable');
      assert.match(answer.body.detail, /255 bytes/);
    });

    test('a unicast to a session the other node does not have becomes its failed_unicast lifecycle event', async () => {
      const consumer = await consume(bus, lifecycle);
      try {
        const missing = `${clients[2].welcome.payload.id.slice(0, 4)}0000deadbeef`;
        // The sending node cannot know: it hands the unicast on.
        assert.deepEqual(await send(nodes[0], { to: { session: missing }, event: 'Lost', payload: [1] }), { status: 202, body: { sent: 1 } });
        const told = await consumer.next((m) => m.event === 'failed_unicast', 'failed_unicast');
        assert.deepEqual(told, {
          event: 'failed_unicast',
          payload: { event: 'failed_unicast', node: nodes[1].id, target: missing, message: { event: 'Lost', payload: [1] } },
        });
        assert.equal((await metrics(nodes[1])).get('herald_unicasts_failed_total'), 1);
        assert.equal((await metrics(nodes[0])).get('herald_unicasts_failed_total'), 0);
      } finally {
        await consumer.stop();
      }
    });
  });
}
