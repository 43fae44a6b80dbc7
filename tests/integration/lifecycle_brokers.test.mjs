// Lifecycle events through a real broker, as a back end consumes them: RabbitMQ (amqplib, a
// queue bound to the lifecycle exchange) and redis (node-redis, SUBSCRIBE to its channels).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connectMyxi } from '../lib/herald.mjs';
import { buses, uniqueName, startNodes, shareBroker, consume } from '../lib/cluster.mjs';

for (const bus of buses) {
  describe(`lifecycle events on the ${bus.name} bus`, { skip: bus.skip }, () => {
    const exchange = uniqueName('lifecycle');
    let release;
    let node;
    before(async () => {
      release = await shareBroker(bus, `lifecycle_brokers.test.mjs (${bus.name})`);
      [node] = await startNodes(bus, { count: 1, config: `[lifecycle]\nexchange = "${exchange}"\n` });
    });
    after(async () => {
      const result = await node.stop();
      release?.();
      assert.equal(result.code, 0);
    });

    test('a back end consuming the lifecycle exchange sees a session connect and leave', async () => {
      const consumer = await consume(bus, exchange);
      const client = await connectMyxi(node);
      const id = client.welcome.payload.id;
      const of = (name) => (m) => m.event === name && m.payload.session === id;
      const connected = await consumer.next(of('connected'), 'connected');
      assert.deepEqual([connected.payload.event, connected.payload.node, connected.payload.endpoint],
        ['connected', node.id, '/pushwss']);
      await client.close();
      const disconnected = await consumer.next(of('disconnected'), 'disconnected');
      assert.equal(disconnected.payload.reason, 'client');
      await consumer.stop();
    });
  });
}
