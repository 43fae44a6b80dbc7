// The back end over the broker ([backend] queue): requests reach back-end workers as competing
// consumers, and each answer reaches only the node and session that asked, on RabbitMQ and
// Redis, with real workers (amqplib, node-redis) and two nodes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectMyxi, metrics, eventually, startHerald } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker } from '../lib/cluster.mjs';
import { startWorker } from '../lib/broker_workers.mjs';

for (const bus of buses) {
  describe(`the back end over ${bus.name}`, { skip: bus.skip }, () => {
    const queue = uniqueName('requests');
    let release;
    let worker;
    let nodes = [];
    before(async () => {
      release = await shareBroker(bus, `backend_broker.test.mjs (${bus.name})`);
      worker = await startWorker(bus, queue, (r) => ({
        event: 'Answer',
        payload: { action: r.action, session: r.session, node: r.node },
      }));
      nodes = await startNodes(bus, {
        count: 2,
        config: `
[exchanges.accounts]
access = "backend"
[backend]
queue = "${queue}"
timeout_ms = 1500
actions = ["Ask"]
`,
      });
    });
    after(async () => {
      const results = await Promise.all(nodes.map((node) => node.stop()));
      await worker.stop();
      release?.();
      for (const result of results) assert.equal(result.code, 0);
    });

    test('each node\'s request reaches a worker, and the answer reaches only the session that asked', async () => {
      const clients = await Promise.all(nodes.map((node) => connectMyxi(node)));
      const tags = clients.map((client) => client.send('Ask', {}));
      for (const [i, client] of clients.entries()) {
        const reply = await client.next((m) => m.tag === tags[i]);
        assert.equal(reply.event, 'Answer');
        assert.deepEqual(reply.payload, { action: 'Ask', session: client.welcome.payload.id, node: nodes[i].id });
      }
      const request = worker.requests.find((r) => r.session === clients[0].welcome.payload.id);
      assert.equal(request.kind, 'action');
      assert.ok(request.correlationId.length > 0);
      for (const client of clients) await client.close();
    });

    test('a delegated subscription is decided by a worker', async () => {
      worker.answer = (r) => (r.kind === 'subscribe' ? { allow: r.routing_key === 'mine' } : {});
      const client = await connectMyxi(nodes[1]);
      assert.equal((await client.request('Subscribe', { exchange: 'accounts', routing_key: 'mine' })).event, 'Subscribed');
      assert.equal((await client.request('Subscribe', { exchange: 'accounts', routing_key: 'theirs' })).payload.error, 'SubscriptionDenied');
      await client.close();
    });

    test('a second answer to one request is counted as late and changes nothing', async () => {
      worker.answer = () => [{ event: 'First' }, { event: 'Second' }];
      const before = (await metrics(nodes[0])).get('herald_backend_late_answers_total');
      const client = await connectMyxi(nodes[0]);
      const tag = client.send('Ask', {});
      assert.equal((await client.next((m) => m.tag === tag)).event, 'First');
      await eventually(async () => (await metrics(nodes[0])).get('herald_backend_late_answers_total') === before + 1,
        'the second answer is counted as late');
      client.send('Ping', {});
      assert.equal((await client.next((m) => m.event !== 'Welcome')).event, 'Pong', 'Second never reached the client');
      await client.close();
    });

    test('no answer is a BackendTimeout; a broken answer is a BackendError', async () => {
      const client = await connectMyxi(nodes[0]);
      worker.answer = () => null;
      assert.deepEqual((await client.request('Ask', {})).payload, { error: 'BackendTimeout' });
      worker.answer = () => (bus.name === 'amqp' ? 'not json' : { allow: 'maybe' });
      assert.deepEqual((await client.request('Ask', {})).payload,
        { error: 'BackendError', detail: 'the back end\'s answer was not understood' });
      await client.close();
    });
  });
}

const amqp = buses.find((bus) => bus.name === 'amqp');
test('on RabbitMQ, a request to a queue nobody declared fails at once, not at the timeout', { skip: amqp.skip }, async () => {
  const release = await shareBroker(amqp, 'backend_broker.test.mjs (no queue)');
  const [node] = await startNodes(amqp, {
    count: 1,
    config: `[backend]\nqueue = "${uniqueName('nobody-listens')}"\ntimeout_ms = 60000\nactions = ["Ask"]\n`,
  });
  try {
    const client = await connectMyxi(node);
    const started = Date.now();
    assert.deepEqual((await client.request('Ask', {})).payload, { error: 'BackendError', detail: 'the back end is unavailable' });
    assert.ok(Date.now() - started < 10000, 'long before the 60 s timeout');
    await client.close();
  } finally {
    assert.equal((await node.stop()).code, 0);
    release();
  }
});

test('[backend] queue on the memory bus stops Herald at start with one clear line', async () => {
  await assert.rejects(startHerald({ config: '[backend]\nqueue = "requests"\n' }),
    /backend\.queue: the back end over the broker needs a RabbitMQ or Redis bus/);
});
